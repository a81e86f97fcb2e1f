"""What a conversation step asks the engine to do, as small immutable records.

A step never touches the database or a provider: it returns these, and the engine applies them
in one transaction together with the new conversation state. Amounts are integer cents in the
debtor's currency (FlowContext.currency); dates are calendar dates in the company's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# MakePayLink purposes.
PAY_BALANCE = "balance"  # the whole open balance
PAY_DISCOUNT = "discount"  # the discounted amount, valid until the discount's date


@dataclass(frozen=True)
class MakePayLink:
    """Create (or reuse) a durable payment link; the engine puts its URL into `pay_url`."""

    purpose: str  # PAY_BALANCE or PAY_DISCOUNT
    amount_cents: int
    valid_until: dt.date | None = None  # None: valid while the balance is open


@dataclass(frozen=True)
class RequestPlan:
    """The debtor confirmed this instalment schedule.

    needs_staff False: approve it at once (plan ACTIVE) and send the first instalment's link.
    needs_staff True: store it PENDING_APPROVAL and put the approval card in the staff chat.
    """

    count: int
    first_due: dt.date
    schedule: tuple[tuple[dt.date, int], ...]  # (due date, amount in cents), adds up to the total
    total_cents: int
    needs_staff: bool


@dataclass(frozen=True)
class AnswerCounter:
    """The debtor's answer to staff's counter-offer on plan `plan_id` (terms stored on the plan).

    accepted: the plan becomes ACTIVE and the first instalment's link goes out; otherwise
    DECLINED and staff are told.
    """

    plan_id: int
    accepted: bool


@dataclass(frozen=True)
class RecordPromise:
    """A promise to pay the whole open balance by `date`; the cadence pauses until then."""

    date: dt.date
    amount_cents: int | None = None  # None: the whole open balance


@dataclass(frozen=True)
class ClaimPaid:
    """The debtor says they paid on `date`; pause the cadence and ask staff to check."""

    date: dt.date
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class OpenDispute:
    """A dispute on one invoice (`invoice_number`) or on all open ones (None)."""

    reason: str  # a bot.models.DisputeReason value
    text: str = ""
    invoice_number: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SendStatement:
    """The debtor asked for their statement of account: the engine fills `statement` (open
    items, due dates, payments received) and `pdf` (whether the PDF goes along: only on a
    channel that carries files), and attaches the PDF to the reply that shows it."""


@dataclass(frozen=True)
class HandOff:
    """From now on relay the debtor's messages to the staff chat until staff send /done."""


@dataclass(frozen=True)
class OptOut:
    """Stop writing to the debtor on the channel this message came from."""


@dataclass(frozen=True)
class AlertStaff:
    """Tell the staff chat something. `kind` picks the staff template; `data` is JSON-able."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


# Alert kinds the flows raise.
ALERT_DISCOUNT_APPROVAL = (
    "discount_approval"  # data: balance_cents, amount_cents, percent, valid_until
)
ALERT_RELAY = "relay"  # data: text, attachments (a message during a hand-off)
# data: reason ("abuse", "wrong_person", "partial_claim"), text (what the debtor wrote)
ALERT_WORDS = "words"
# data: text. The conversation failed and the debtor was told "un nostro collega la ricontatterà".
ALERT_FAILED = "conversation_failed"

Effect = (
    MakePayLink
    | RequestPlan
    | RecordPromise
    | ClaimPaid
    | OpenDispute
    | SendStatement
    | HandOff
    | OptOut
    | AlertStaff
)
