"""POST /stripe/webhook: Stripe's signed events about Checkout Sessions.

Size first (bot/webhooks.py: 413 past the limit, read in chunks), then Stripe's signature on the
raw bytes (400 for anything that does not verify, nothing read), then the event's shape
(bot/providers/stripe/shapes.py). A signed event that does not fit is parked (bot/parking.py)
and answered 200, so Stripe stops redelivering it; staff hear of it. A fitting event is applied once
(bot/payments/checkout.py); an error while applying it answers 500 so Stripe delivers it again.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.parking import park
from bot.payments.checkout import apply_checkout_event
from bot.payments.stripe_reversals import apply_reversal_event
from bot.providers.stripe.client import signature_is_valid
from bot.providers.stripe.reversal_shapes import REVERSAL_KINDS, reversal_event
from bot.providers.stripe.shapes import CheckoutEvent, checkout_event
from bot.providers.stripe.waiting import refund_lister, settle_waiting
from bot.runtime import Runtime
from bot.web import WebPart
from bot.webhooks import Malformed, load_json, read_body

log = logging.getLogger(__name__)

PROVIDER = "stripe"
WEBHOOK_PATH = "/stripe/webhook"


async def handle(runtime: Runtime, raw: bytes) -> str:
    """A verified body: its shape, then its effect. Raises Malformed when it does not fit."""
    payload = load_json(raw)
    kind = payload.get("type") if isinstance(payload, dict) else None
    grace = runtime.policy.payments.reopen_grace_days
    if kind in REVERSAL_KINDS:
        found = reversal_event(payload, kind)
        return await apply_reversal_event(found, runtime.now(), grace, refund_lister(runtime))
    event = checkout_event(payload)
    outcome = await apply_checkout_event(runtime.settings, runtime.now(), event)
    if isinstance(event, CheckoutEvent) and outcome in ("paid", "already_recorded"):
        # A refund or dispute that came before this payment was recorded: applied now.
        await settle_waiting(event, runtime.now(), grace)
    return outcome


async def replay(runtime: Runtime, kind: str, raw: bytes) -> str:
    """A parked event, once more through `handle` (python -m bot events replay)."""
    return await handle(runtime, raw)


def web_part(runtime: Runtime) -> WebPart:
    secret = runtime.settings.stripe_webhook_secret

    async def webhook(request: Request) -> JSONResponse:
        raw = await read_body(request, PROVIDER)
        if not signature_is_valid(raw, request.headers.get("stripe-signature"), secret):
            log.warning("stripe webhook refused: the signature does not verify")
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        try:
            outcome = await handle(runtime, raw)
        except Malformed as problem:
            parked = await park(runtime, PROVIDER, problem, raw)
            return JSONResponse({"received": True, "outcome": "parked", "parked": parked.id})
        return JSONResponse({"received": True, "outcome": outcome})

    return WebPart(routes=[Route(WEBHOOK_PATH, webhook, methods=["POST"])])
