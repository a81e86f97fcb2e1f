"""What Stripe's refund, dispute and failed-charge events mean for our books (the webhook's
shapes are bot/providers/stripe/reversal_shapes.py; the reversal itself bot/payments/reversal.py).

- A refund that `succeeded` reverses its amount (key: the refund id); `failed` or `canceled`
  restores it for good. `charge.refunded` carries the charge's refunds (or we list them from
  Stripe): each is applied as its own refund, so the charge event and the refund events, in any
  order and any number of times, reverse each refund once.
- A dispute whose funds were withdrawn (`charge.dispute.created`, `funds_withdrawn`) reverses the
  disputed amount (key: the dispute id); an inquiry (`warning_*`) withdraws nothing. Closed `won`
  restores it for good, `lost` keeps it reversed for good, `funds_reinstated` restores it. A
  dispute closed before its creation was seen is remembered, so the late creation changes nothing.
- A SEPA debit that fails (`charge.failed`, `payment_intent.payment_failed`, for `sepa_debit` only:
  a declined card attempt in Checkout is followed by another attempt, not a reversal) marks a
  pending payment failed, or reverses one already counted as paid.

Each event is applied once (ProcessedEvent, in the same transaction as its effects).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.models import Payment, PaymentStatus, ReversalKind
from bot.payments.recording import record_failure
from bot.payments.reversal import ReversalNews, mark_final, restore, reverse
from bot.payments.stripe_once import apply_once
from bot.providers.stripe.reversal_shapes import (
    CHARGE_FAILED,
    CHARGE_REFUNDED,
    DISPUTE_CLOSED,
    DISPUTE_OPENED,
    DISPUTE_REINSTATED,
    ChargeEvent,
    DisputeEvent,
    DisputeObject,
    IntentEvent,
    RefundEvent,
    RefundObject,
    ReversalEvent,
)

log = logging.getLogger(__name__)

SEPA = "sepa_debit"

RefundLister = Callable[[str], Awaitable[Sequence[RefundObject]]]


async def apply_reversal_event(
    event: ReversalEvent,
    now: dt.datetime,
    grace_days: int,
    list_refunds: RefundLister | None = None,
) -> str:
    """Apply one verified reversal event once; returns what it did, in a word."""
    refunds: Sequence[RefundObject] = ()
    if isinstance(event, ChargeEvent) and event.type == CHARGE_REFUNDED:
        charge = event.data.object
        if charge.refunds is not None:
            refunds = charge.refunds.data
        elif list_refunds is not None:
            refunds = await list_refunds(charge.id)  # outside the transaction: network I/O
    return await apply_once(event.id, event.type, lambda: _apply(event, now, grace_days, refunds))


async def _apply(
    event: ReversalEvent, now: dt.datetime, grace: int, refunds: Sequence[RefundObject]
) -> str:
    if isinstance(event, RefundEvent):
        return await _refund(event.data.object, now, grace)
    if isinstance(event, DisputeEvent):
        return await _dispute(event.type, event.data.object, now, grace)
    if isinstance(event, IntentEvent):
        intent = event.data.object
        if intent.failed_method != SEPA:
            return "ignored"
        message = intent.last_payment_error.message if intent.last_payment_error else ""
        return await _debit_failed(intent.id, intent.amount, message, now, grace)
    charge = event.data.object
    if event.type == CHARGE_FAILED:
        if charge.method != SEPA or not charge.payment_intent:
            return "ignored"
        reason = charge.failure_message or ""
        return await _debit_failed(charge.payment_intent, charge.amount, reason, now, grace)
    if not refunds:
        return "refunds_unlisted" if charge.amount_refunded else "ignored"
    outcomes = [await _refund(refund, now, grace, charge.payment_intent) for refund in refunds]
    return ",".join(outcomes)


def _ref(intent: str | None, charge: str | None) -> str:
    return intent or charge or ""


async def _refund(
    refund: RefundObject, now: dt.datetime, grace: int, intent: str | None = None
) -> str:
    news = ReversalNews(
        key=f"stripe:{refund.id}",
        payment_ref=_ref(refund.payment_intent or intent, refund.charge),
        kind=ReversalKind.REFUND,
        amount_cents=refund.amount,
        reason=refund.reason or "",
    )
    if refund.status == "succeeded":
        return await reverse(news, now, grace)
    if refund.status in ("failed", "canceled"):
        return await restore(news, now, final=True)
    return "refund_pending"


async def _dispute(kind: str, dispute: DisputeObject, now: dt.datetime, grace: int) -> str:
    news = ReversalNews(
        key=f"stripe:{dispute.id}",
        payment_ref=_ref(dispute.payment_intent, dispute.charge),
        kind=ReversalKind.DISPUTE,
        amount_cents=dispute.amount,
        reason=dispute.reason,
    )
    inquiry = dispute.status.startswith("warning_")
    if kind in DISPUTE_OPENED:
        return "inquiry" if inquiry else await reverse(news, now, grace)
    if kind == DISPUTE_REINSTATED:
        return await restore(news, now, final=False)
    if kind == DISPUTE_CLOSED and dispute.status == "lost":
        return await mark_final(news, now, grace)
    if kind == DISPUTE_CLOSED:  # won, or an inquiry closed: the money stays ours
        return await restore(news, now, final=True)
    return "ignored"


async def _debit_failed(
    intent_id: str, amount_cents: int, reason: str, now: dt.datetime, grace: int
) -> str:
    payment = await Payment.get_or_none(provider_ref=intent_id)
    if payment is not None and payment.status is PaymentStatus.PENDING:
        failed = await record_failure(
            now,
            debtor_id=payment.debtor_id,  # type: ignore[attr-defined]
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            method=payment.method,
            provider_ref=intent_id,
            reason=reason or "sepa_debit failed",
        )
        return "failed" if failed else "already_settled"
    if payment is not None and payment.status is PaymentStatus.FAILED:
        return "already_failed"
    news = ReversalNews(
        key=f"stripe:failed:{intent_id}",
        payment_ref=intent_id,
        kind=ReversalKind.DEBIT_FAILED,
        amount_cents=amount_cents or (payment.amount_cents if payment else 0),
        reason=reason,
    )
    return await reverse(news, now, grace)
