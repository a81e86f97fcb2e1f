"""The Stripe webhook's two helpers for reversals: the refunds of a charge listed from Stripe
(when `charge.refunded` does not carry them), and the reversals that waited for their payment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.payments.reversal import apply_waiting
from bot.payments.stripe_reversals import RefundLister
from bot.providers.stripe.client import StripeGateway
from bot.providers.stripe.reversal_shapes import RefundObject
from bot.providers.stripe.shapes import CheckoutEvent
from bot.runtime import Runtime
from bot.webhooks import validate


def refund_lister(runtime: Runtime) -> RefundLister | None:
    """Lists a charge's refunds from Stripe; None without STRIPE_API_KEY."""
    if not runtime.settings.stripe_enabled:
        return None
    settings = runtime.settings

    async def listed(charge_id: str) -> Sequence[RefundObject]:
        gateway = StripeGateway.from_settings(settings)
        try:
            found = await gateway.list_refunds(charge_id)
        finally:
            await gateway.close()
        return [validate(RefundObject, item, "refund") for item in found]

    return listed


async def settle_waiting(event: CheckoutEvent, now: dt.datetime, grace_days: int) -> int:
    session = event.session
    return await apply_waiting(session.payment_intent or session.id, now, grace_days)
