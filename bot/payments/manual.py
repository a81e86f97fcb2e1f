"""What staff record by hand (issue 18): money that arrived by other ways (cash, cheque,
offsetting, a transfer seen on the bank's site), from `/paid` in the staff chat or
`python -m bot payments add`.

A manual payment is a `Payment` like any other, recorded by bot/payments/recording.py: allocated
to the invoice it names first, then oldest due date first (bot/payments/allocation.py), closing
what it pays, with the receipt, the staff alerts and the audit trail that follow every payment;
the audit's actor is the staff member ("staff:<id>") or the CLI's OS user ("cli:<user>"). More than
is open stays on the payment as unallocated: a credit in the debtor's favour, said so to staff.

Reading the command (`parse_paid`) is pure; `record_manual` is the one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.models import CLOSED_STATUSES, Debtor, Invoice, PaymentMethod
from bot.money import parse_amount
from bot.payments.allocation import PaymentTarget, RecordedPayment
from bot.payments.recording import record_payment

# The first word of a /paid note that names how the money came (Italian and English).
METHOD_WORDS: dict[str, PaymentMethod] = {
    "contanti": PaymentMethod.CASH,
    "cash": PaymentMethod.CASH,
    "assegno": PaymentMethod.CHEQUE,
    "cheque": PaymentMethod.CHEQUE,
    "check": PaymentMethod.CHEQUE,
    "compensazione": PaymentMethod.OFFSET,
    "offset": PaymentMethod.OFFSET,
    "bonifico": PaymentMethod.TRANSFER,
    "transfer": PaymentMethod.TRANSFER,
}
MANUAL_METHODS = (
    PaymentMethod.CASH,
    PaymentMethod.CHEQUE,
    PaymentMethod.OFFSET,
    PaymentMethod.TRANSFER,
    PaymentMethod.OTHER,
)
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOON = dt.time(12, 0)


class ManualError(Exception):
    """A polite refusal: `key` names the text (templates/<lang>/staff/manual/error.txt)."""

    def __init__(self, key: str, **context: Any) -> None:
        super().__init__(key)
        self.key = key
        self.context = context


def looks_like_date(text: str) -> bool:
    return bool(_DAY_FIRST.match(text) or _ISO.match(text))


def parse_day(text: str, today: dt.date) -> dt.date:
    """dd/mm/yyyy (or with . or -) or ISO yyyy-mm-dd; never after `today`."""
    found = _DAY_FIRST.match(text)
    try:
        if found:
            day = dt.date(int(found[3]), int(found[2]), int(found[1]))
        elif _ISO.match(text):
            day = dt.date.fromisoformat(text)
        else:
            raise ManualError("bad_date", text=text)
    except ValueError:
        raise ManualError("bad_date", text=text) from None
    if day > today:
        raise ManualError("future_date", day=day, today=today)
    return day


def parse_cents(text: str) -> int:
    """A positive amount in Italian or English notation, in cents."""
    try:
        cents = parse_amount(text)
    except ValueError:
        raise ManualError("bad_amount", text=text) from None
    if cents <= 0:
        raise ManualError("bad_amount", text=text)
    return cents


@dataclass(frozen=True)
class PaidRequest:
    ref: str
    amount_cents: int
    day: dt.date
    method: PaymentMethod
    note: str = ""


def method_of(note: str) -> PaymentMethod:
    words = note.split()
    if not words:
        return PaymentMethod.OTHER
    return METHOD_WORDS.get(words[0].lower().strip(",.:;"), PaymentMethod.OTHER)


def parse_paid(args: list[str], today: dt.date) -> PaidRequest:
    """'/paid REF AMOUNT [DATE] [note]' -> the request; the note's first word may name the
    method ("contanti", "assegno", "compensazione", "bonifico")."""
    if len(args) < 2:
        raise ManualError("usage_paid")
    ref, amount, rest = args[0], args[1], list(args[2:])
    cents = parse_cents(amount)
    day = today
    if rest and looks_like_date(rest[0]):
        day = parse_day(rest.pop(0), today)
    note = " ".join(rest)
    return PaidRequest(ref, cents, day, method_of(note), note)


async def find_ref(ref: str) -> tuple[Debtor, Invoice | None]:
    """An invoice number (exact) or a debtor's customer code (either case)."""
    invoice = await Invoice.get_or_none(number=ref)
    if invoice is None:
        invoice = await Invoice.filter(number__iexact=ref).first()
    if invoice is not None:
        return await Debtor.get(id=invoice.debtor_id), invoice  # type: ignore[attr-defined]
    debtor = await Debtor.filter(external_ref__iexact=ref).first()
    if debtor is None:
        raise ManualError("unknown_ref", ref=ref)
    return debtor, None


@dataclass(frozen=True)
class OpenLine:
    number: str
    due: dt.date
    balance_cents: int


@dataclass
class ManualOutcome:
    debtor: Debtor
    recorded: RecordedPayment
    still_open: list[OpenLine] = field(default_factory=list)

    @property
    def open_cents(self) -> int:
        return sum(line.balance_cents for line in self.still_open)

    def context(self) -> dict[str, Any]:
        payment = self.recorded.payment
        return {
            "debtor": self.debtor,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "method": payment.method.value,
            "day": payment.received_at.date(),
            "note": payment.note,
            "shares": [
                {
                    "number": invoice.number,
                    "cents": cents,
                    "settled": invoice.balance_cents == 0,
                    "left_cents": invoice.balance_cents,
                }
                for invoice, cents in self.recorded.shares
            ],
            "credit_cents": payment.unallocated_cents,
            "still_open": self.still_open,
            "open_cents": self.open_cents,
        }


async def open_lines(debtor_id: int) -> list[OpenLine]:
    invoices = (
        await Invoice.filter(debtor_id=debtor_id)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("due_date", "id")
    )
    return [
        OpenLine(i.number, i.due_date, i.balance_cents) for i in invoices if i.balance_cents > 0
    ]


def received_at(day: dt.date, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Today's payment is stamped now; an earlier day at noon company time."""
    if day == now.astimezone(zone).date():
        return now
    return dt.datetime.combine(day, NOON, tzinfo=zone).astimezone(dt.UTC)


async def record_manual(
    settings: Settings,
    now: dt.datetime,
    request: PaidRequest,
    *,
    actor: str,
    provider_ref: str,
) -> ManualOutcome:
    """Record what staff say arrived; ManualError for an unknown reference or a closed invoice.

    `provider_ref` makes it land once (a redelivered chat update, a command run twice): a second
    recording under the same reference is refused as `already_recorded`."""
    debtor, invoice = await find_ref(request.ref)
    if invoice is not None and invoice.status in CLOSED_STATUSES:
        raise ManualError("invoice_closed", number=invoice.number, status=invoice.status.value)
    currency = invoice.currency if invoice is not None else await _debtor_currency(debtor.id)
    recorded = await record_payment(
        settings,
        now,
        debtor_id=debtor.id,
        amount_cents=request.amount_cents,
        currency=currency,
        method=request.method,
        provider_ref=provider_ref,
        received_at=received_at(request.day, now, settings.zone),
        target=PaymentTarget(invoice_ids=(invoice.id,)) if invoice is not None else PaymentTarget(),
        note=request.note,
        actor=actor,
    )
    if recorded is None:
        raise ManualError("already_recorded", ref=provider_ref)
    return ManualOutcome(debtor, recorded, await open_lines(debtor.id))


async def _debtor_currency(debtor_id: int) -> str:
    first = (
        await Invoice.filter(debtor_id=debtor_id)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("due_date", "id")
        .first()
    )
    return first.currency if first is not None else "EUR"
