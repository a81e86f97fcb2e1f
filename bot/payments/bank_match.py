"""Matching a statement's credits in memory: everything a match may need is loaded once per
import (`load_book`), then each line is matched with no query (`Book.match`).

The rules are those of bot/payments/reconcile.py: our reference first (invoice numbers of that
debtor named in the line are paid first; a credit equal to a live discount or to the next
instalment settles it), else invoice numbers whose open balance is exactly the amount. Balances
are kept up to date in memory as lines are allocated (bot/payments/bank_record.py), so a later
line sees what an earlier line of the same statement paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.models import (
    CLOSED_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    InvoiceStatus,
    PayLink,
    PaymentPlan,
    PlanStatus,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.bank import find_debtor_ids, squash
from bot.payments.bank_csv import BankLine
from bot.sql import fetch

MIN_INVOICE_NUMBER = 4  # shorter squashed numbers would match any digits in a description
CHUNK = 2000  # ids per IN (...) query


@dataclass(slots=True)
class OpenInvoice:
    """An invoice still owed, as the import sees and changes it."""

    id: int
    number: str
    debtor_id: int
    amount_cents: int
    paid_cents: int
    discount_cents: int
    status: InvoiceStatus
    due_date: dt.date | str  # a date, or SQLite's ISO text

    @property
    def balance_cents(self) -> int:
        return max(self.amount_cents - self.paid_cents - self.discount_cents, 0)

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


@dataclass(frozen=True)
class Match:
    debtor_id: int
    target: PaymentTarget
    how: str  # "reference" or "numbers"


class InvoiceNumbers:
    """Finds invoice numbers in bank text, ignoring case, spaces and punctuation.

    Built once per statement: every slice of a description with the length of some invoice
    number is looked up in a dict, so a line costs the same with a hundred or a million
    open invoices.
    """

    def __init__(self, invoices: Iterable[tuple[int, str]], squashed: bool = False) -> None:
        """From (invoice id, invoice number) pairs; `squashed` when the numbers already are."""
        self._by_number: dict[str, list[int]] = {}
        by_number = self._by_number
        for invoice_id, number in invoices:
            key = number if squashed else squash(number)
            if len(key) >= MIN_INVOICE_NUMBER:
                ids = by_number.get(key)
                if ids is None:
                    by_number[key] = [invoice_id]
                else:
                    ids.append(invoice_id)
        self._lengths = sorted({len(key) for key in self._by_number}, reverse=True)

    def find(self, description: str) -> list[int]:
        """Ids of the invoices whose number appears in the text."""
        text = squash(description)
        keys: list[str] = []
        for length in self._lengths:
            for start in range(len(text) - length + 1):
                key = text[start : start + length]
                if key in self._by_number and key not in keys:
                    keys.append(key)
        # "F2026001" inside "F20260012": keep only numbers not part of a longer match.
        kept = [key for key in keys if not any(key != other and key in other for other in keys)]
        return [invoice_id for key in kept for invoice_id in self._by_number[key]]


@dataclass
class Book:
    """The candidates of one import: open invoices, the debtors named, their discounts and plans."""

    invoices: dict[int, OpenInvoice] = field(default_factory=dict)
    by_debtor: dict[int, list[OpenInvoice]] = field(default_factory=dict)
    debtor_ids: set[int] = field(default_factory=set)  # the debtors our references name
    discounts: dict[int, list[PayLink]] = field(default_factory=dict)
    plans: dict[int, list[PaymentPlan]] = field(default_factory=dict)
    instalments: dict[int, list[Instalment]] = field(default_factory=dict)  # by plan, by seq
    numbers: InvoiceNumbers = field(default_factory=lambda: InvoiceNumbers(()))
    found: dict[str, list[int]] = field(default_factory=dict)  # line -> invoice ids it names

    def match(self, line: BankLine) -> Match | None:
        """Who paid, and for what: by our reference, else by invoice numbers and exact amount."""
        for debtor_id in find_debtor_ids(line.description):
            if debtor_id not in self.debtor_ids:
                continue
            own = self.by_debtor.get(debtor_id, [])
            named = InvoiceNumbers((i.id, i.number) for i in own).find(line.description)
            return Match(debtor_id, self._special_target(debtor_id, line, named), "reference")
        found = self.found.get(line.provider_ref)
        if found is None:
            found = self.numbers.find(line.description)
        invoices = [self.invoices.get(i) for i in found]
        named_open = [i for i in invoices if i is not None and not i.closed]
        debtor_ids = {invoice.debtor_id for invoice in named_open}
        balance = sum(invoice.balance_cents for invoice in named_open)
        if len(debtor_ids) == 1 and balance == line.amount_cents:
            ids = tuple(sorted(invoice.id for invoice in named_open))
            target = PaymentTarget(invoice_ids=ids, purpose="bank_transfer")
            return Match(debtor_ids.pop(), target, "numbers")
        return None

    def _special_target(self, debtor_id: int, line: BankLine, named: list[int]) -> PaymentTarget:
        """A discount still in force or the next instalment, when the amount is exactly theirs."""
        for link in self.discounts.get(debtor_id, []):
            live = link.valid_until is not None and link.valid_until >= line.booked_on
            if not live or link.amount_cents != line.amount_cents:
                continue
            if not named or set(link.invoice_ids) & set(named):
                return PaymentTarget(
                    invoice_ids=tuple(link.invoice_ids),
                    discount_cents=link.amount_cents,
                    pay_link_id=link.id,
                    purpose="discount",
                )
        for plan in self.plans.get(debtor_id, []):
            unpaid = [
                i for i in self.instalments.get(plan.id, []) if i.status != InstalmentStatus.PAID
            ]
            if unpaid and unpaid[0].amount_cents - unpaid[0].paid_cents == line.amount_cents:
                return PaymentTarget(
                    invoice_ids=tuple(int(i) for i in plan.invoice_ids),
                    instalment_id=unpaid[0].id,
                    purpose="instalment",
                )
        return PaymentTarget(invoice_ids=tuple(named), purpose="bank_transfer")


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


_NOT_CLOSED = f"status NOT IN ({', '.join('?' for _ in CLOSED_STATUSES)})"
# The database squashes the usual invoice number (dashes, slashes, spaces, dots out; upper case)
# faster than Python; `squash` finishes the rare one with other characters.
_OPEN_NUMBERS = (
    "SELECT id, debtor_id, "
    "UPPER(REPLACE(REPLACE(REPLACE(REPLACE(number, '-', ''), '/', ''), ' ', ''), '.', '')) "
    f"FROM invoice WHERE {_NOT_CLOSED}"
)
_OPEN_OF_DEBTORS = (
    "SELECT id, number, debtor_id, amount_cents, paid_cents, discount_cents, status, due_date "
    "FROM invoice WHERE debtor_id IN ({marks}) AND " + _NOT_CLOSED + " ORDER BY due_date, id"
)


async def _index_numbers(book: Book) -> dict[int, int]:
    """Every open invoice's number in `book.numbers`; returns invoice id -> debtor id. Raw SQL:
    the ORM's per-value conversion of 60,000 rows costs a second."""
    closed = [status.value for status in CLOSED_STATUSES]
    rows = await fetch(_OPEN_NUMBERS, closed)
    keys = [
        (row[0], key if key.isascii() and key.isalnum() else squash(key))
        for row in rows
        for key in (row[2],)
    ]
    book.numbers = InvoiceNumbers(keys, squashed=True)
    return {row[0]: row[1] for row in rows}


async def _load_invoices(book: Book, debtor_ids: Sequence[int]) -> None:
    """The open invoices of these debtors, oldest due date first."""
    statuses = {status.value: status for status in InvoiceStatus}
    closed = [status.value for status in CLOSED_STATUSES]
    for part in _chunks(debtor_ids):
        query = _OPEN_OF_DEBTORS.format(marks=", ".join("?" for _ in part))
        for row in await fetch(query, [*part, *closed]):
            invoice = OpenInvoice(*row[:6], statuses[row[6]], row[7])
            book.invoices[invoice.id] = invoice
            book.by_debtor.setdefault(invoice.debtor_id, []).append(invoice)


async def load_book(lines: Sequence[BankLine]) -> Book:
    """Everything the lines may match, in a handful of queries whatever their number: the
    numbers of every open invoice, then the open invoices, discounts and plans of the debtors
    that a reference or an invoice number in some line names."""
    book = Book()
    if not lines:
        return book
    debtor_of = await _index_numbers(book)
    named: set[int] = set()
    for line in lines:
        found = book.numbers.find(line.description)
        book.found[line.provider_ref] = found
        named.update(debtor_of[i] for i in found)
    referenced = sorted({d for line in lines for d in find_debtor_ids(line.description)})
    for part in _chunks(referenced):
        book.debtor_ids.update(await Debtor.filter(id__in=part).values_list("id", flat=True))
    await _load_invoices(book, sorted(named | book.debtor_ids))
    earliest = min(line.booked_on for line in lines)
    for part in _chunks(sorted(book.debtor_ids)):
        links = PayLink.filter(debtor_id__in=part, purpose="discount", valid_until__gte=earliest)
        for link in await links.order_by("-id"):
            book.discounts.setdefault(link.debtor_id, []).append(link)  # type: ignore[attr-defined]
        plans = PaymentPlan.filter(debtor_id__in=part, status=PlanStatus.ACTIVE).order_by("id")
        for plan in await plans:
            book.plans.setdefault(plan.debtor_id, []).append(plan)  # type: ignore[attr-defined]
    plan_ids = [plan.id for plans in book.plans.values() for plan in plans]
    for part in _chunks(plan_ids):
        for instalment in await Instalment.filter(plan_id__in=part).order_by("plan_id", "seq"):
            book.instalments.setdefault(instalment.plan_id, []).append(instalment)  # type: ignore[attr-defined]
    return book
