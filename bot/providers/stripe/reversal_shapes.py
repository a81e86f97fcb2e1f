"""The shape of the Stripe events that take money back: refunds, disputes, failed charges.

Like bot/providers/stripe/shapes.py: the few fields each one needs, validated before anything is
written (`Malformed` otherwise). bot/payments/stripe_reversals.py applies them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr

from bot.providers.stripe.shapes import MAX_CENTS, MAX_UNIX_TIME, StripeEnvelope, _Loose
from bot.webhooks import validate

CHARGE_REFUNDED = "charge.refunded"
REFUND_KINDS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
DISPUTE_OPENED = ("charge.dispute.created", "charge.dispute.funds_withdrawn")
DISPUTE_CLOSED = "charge.dispute.closed"
DISPUTE_REINSTATED = "charge.dispute.funds_reinstated"
CHARGE_FAILED = "charge.failed"
INTENT_FAILED = "payment_intent.payment_failed"
REVERSAL_KINDS = (
    CHARGE_REFUNDED,
    *REFUND_KINDS,
    *DISPUTE_OPENED,
    DISPUTE_CLOSED,
    DISPUTE_REINSTATED,
    CHARGE_FAILED,
    INTENT_FAILED,
)

Id = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Cents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
Text = Annotated[StrictStr, Field(max_length=255)]


class RefundObject(_Loose):
    id: Id
    amount: Cents
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Za-z]{3}$")] = "eur"
    status: Text = ""  # pending | requires_action | succeeded | failed | canceled
    payment_intent: Text | None = None
    charge: Text | None = None
    reason: Text | None = None
    failure_reason: Text | None = None


class _RefundList(_Loose):
    data: tuple[RefundObject, ...] = ()


class _PaymentError(_Loose):
    message: Annotated[StrictStr, Field(max_length=1000)] = ""
    payment_method: _MethodRef | None = None


class _MethodDetails(_Loose):
    type: Text = ""


class _MethodRef(_Loose):
    type: Text = ""


class ChargeObject(_Loose):
    id: Id
    payment_method_details: _MethodDetails | None = None
    amount: Cents = 0
    amount_refunded: Cents = 0
    payment_intent: Text | None = None
    refunds: _RefundList | None = None
    failure_message: Annotated[StrictStr, Field(max_length=1000)] | None = None

    @property
    def method(self) -> str:
        return self.payment_method_details.type if self.payment_method_details else ""


class DisputeObject(_Loose):
    id: Id
    amount: Cents
    status: Text = ""  # needs_response | under_review | won | lost | warning_* ...
    charge: Text | None = None
    payment_intent: Text | None = None
    reason: Text = ""


class IntentObject(_Loose):
    id: Id
    amount: Cents = 0
    last_payment_error: _PaymentError | None = None

    @property
    def failed_method(self) -> str:
        error = self.last_payment_error
        return error.payment_method.type if error and error.payment_method else ""


class _Event(StripeEnvelope):
    created: Annotated[StrictInt, Field(ge=0, le=MAX_UNIX_TIME)] | None = None


class _RefundData(_Loose):
    object: RefundObject


class _ChargeData(_Loose):
    object: ChargeObject


class _DisputeData(_Loose):
    object: DisputeObject


class _IntentData(_Loose):
    object: IntentObject


class RefundEvent(_Event):
    data: _RefundData


class ChargeEvent(_Event):
    data: _ChargeData


class DisputeEvent(_Event):
    data: _DisputeData


class IntentEvent(_Event):
    data: _IntentData


ReversalEvent = RefundEvent | ChargeEvent | DisputeEvent | IntentEvent


def reversal_event(payload: Any, kind: str) -> ReversalEvent:
    """The event of type `kind` (one of REVERSAL_KINDS) in its shape; raises Malformed."""
    if kind in REFUND_KINDS:
        return validate(RefundEvent, payload, kind)
    if kind in (CHARGE_REFUNDED, CHARGE_FAILED):
        return validate(ChargeEvent, payload, kind)
    if kind == INTENT_FAILED:
        return validate(IntentEvent, payload, kind)
    return validate(DisputeEvent, payload, kind)
