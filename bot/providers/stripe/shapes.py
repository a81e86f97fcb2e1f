"""The shape of the Stripe events we act on: the few fields each one needs, validated first.

A verified event is checked against these models before anything is written: an event whose
`data`, `object` or `metadata` is not an object, whose amount is not an integer, whose ids are not
plain digits within a database id, is `Malformed` (parked, answered 2xx). Only then does
bot/payments/checkout.py apply it. The metadata keys are ours (checkout_metadata); a session
without our debtor id belongs to another integration on the same Stripe account.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bot.webhooks import validate

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
CHECKOUT_KINDS = (COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED)

# Our tables' ids are 32-bit integers; a larger number in metadata is not one of ours.
MAX_ID = 2**31 - 1
MAX_CENTS = 10**13  # a hundred billion euros: anything above is not an amount
MAX_UNIX_TIME = 253_402_300_799  # 9999-12-31: a later "created" cannot be a date

Digits = Annotated[StrictStr, Field(pattern=r"^[0-9]{0,10}$")]
IdList = Annotated[StrictStr, Field(pattern=r"^([0-9]{1,10}(,[0-9]{1,10})*)?$")]
Text = Annotated[StrictStr, Field(max_length=255)]


def db_id(text: str) -> int | None:
    """'42' -> 42; None for '', '²', '007x' or a number no id of ours can have."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CheckoutMetadata(_Loose):
    debtor: StrictStr = Field("", max_length=255)  # not ours unless db_id() reads it
    pay_link: Digits = ""
    purpose: Text = ""
    invoice_ids: IdList = ""
    instalment: Digits = ""
    discount_cents: Annotated[StrictStr, Field(pattern=r"^[0-9]{0,13}$")] = ""
    # Interest and the €40 collected with the principal (bot/escalation/showing.py).
    interest_cents: Annotated[StrictStr, Field(pattern=r"^[0-9]{0,13}$")] = ""
    compensation_cents: Annotated[StrictStr, Field(pattern=r"^[0-9]{0,13}$")] = ""

    @property
    def extra_cents(self) -> int:
        """What the session collected beyond the invoices: not allocated to them."""
        return int(self.interest_cents or 0) + int(self.compensation_cents or 0)

    @property
    def debtor_id(self) -> int | None:
        return db_id(self.debtor)

    def invoice_id_list(self) -> tuple[int, ...]:
        ids = (db_id(part) for part in self.invoice_ids.split(",") if part)
        return tuple(number for number in ids if number is not None)


class CheckoutSessionObject(_Loose):
    id: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    amount_total: Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)] | None = None
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Za-z]{3}$")] = "eur"
    payment_status: Text = ""
    payment_intent: Text | None = None
    metadata: CheckoutMetadata = Field(default_factory=CheckoutMetadata)


class _EventData(_Loose):
    object: CheckoutSessionObject


class StripeEnvelope(_Loose):
    """What every event has: enough to know it once (ProcessedEvent) and whether it is for us."""

    id: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    type: Annotated[StrictStr, Field(min_length=1, max_length=100)]


class CheckoutEvent(StripeEnvelope):
    created: Annotated[StrictInt, Field(ge=0, le=MAX_UNIX_TIME)] | None = None
    data: _EventData

    @property
    def session(self) -> CheckoutSessionObject:
        return self.data.object


def checkout_event(payload: Any) -> CheckoutEvent | StripeEnvelope:
    """The event as a CheckoutEvent when it is one we act on, else its envelope (ignored).

    Raises Malformed when it does not fit.
    """
    kind = payload.get("type") if isinstance(payload, dict) else None
    envelope = validate(StripeEnvelope, payload, str(kind))
    if envelope.type not in CHECKOUT_KINDS:
        return envelope
    return validate(CheckoutEvent, payload, envelope.type)
