"""Bank reconciliation: credits from a bank statement CSV become payments.

`python -m bot payments import-bank FILE.csv` reads the statement, keeps the credits, and
matches each one:

1. by our payment reference (`SOL-<debtor>-<cc>`, see bot/payments/bank.py), found anywhere in
   the description whatever the case and spacing; invoice numbers of that debtor mentioned in the
   line are paid first, then the oldest. A credit equal to a discount still in force on its
   booking date, or to the debtor's next instalment, settles that discount or instalment;
2. without a reference, by invoice numbers in the description, when the amount is exactly their
   open balance (an amount alone is too weak to credit someone).

Each line becomes a payment whose provider_ref is the bank's transaction id, or a digest of the
line (date, amount, description, and its occurrence number for identical lines), so importing
the same file twice changes nothing. What cannot be matched is listed, never guessed.

Reading the file (which CSV shapes are accepted) is bot/payments/bank_csv.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.models import (
    CLOSED_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    PayLink,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.bank import find_debtor_ids, squash
from bot.payments.bank_csv import BankFileError, BankLine, read_bank_csv
from bot.payments.recording import record_payment
from bot.texts import render

MIN_INVOICE_NUMBER = 4  # shorter squashed numbers would match any digits in a description


@dataclass(frozen=True)
class Match:
    debtor: Debtor
    target: PaymentTarget
    how: str  # "reference" or "invoice_numbers"


@dataclass
class MatchedLine:
    line: BankLine
    debtor: Debtor
    invoice_numbers: list[str]
    unallocated_cents: int


@dataclass
class BankImportReport:
    file: str
    matched: list[MatchedLine] = field(default_factory=list)
    already_imported: list[BankLine] = field(default_factory=list)
    unmatched: list[BankLine] = field(default_factory=list)
    debits: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self, language: str) -> str:
        return render("payments/bank_import_report.txt", language, report=self)


class InvoiceNumbers:
    """Finds invoice numbers in bank text, ignoring case, spaces and punctuation.

    Built once per statement: every slice of a description with the length of some invoice
    number is looked up in a dict, so a line costs the same with a hundred or a million
    open invoices.
    """

    def __init__(self, invoices: Iterable[tuple[int, str]]) -> None:
        """From (invoice id, invoice number) pairs."""
        self._by_number: dict[str, list[int]] = {}
        for invoice_id, number in invoices:
            key = squash(number)
            if len(key) >= MIN_INVOICE_NUMBER:
                self._by_number.setdefault(key, []).append(invoice_id)
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


async def _special_target(debtor: Debtor, line: BankLine, invoice_ids: list[int]) -> PaymentTarget:
    """A discount still in force or the next instalment, when the amount is exactly theirs."""
    discounts = await PayLink.filter(
        debtor_id=debtor.id,
        purpose="discount",
        amount_cents=line.amount_cents,
        valid_until__gte=line.booked_on,
    ).order_by("-id")
    for link in discounts:
        if not invoice_ids or set(link.invoice_ids) & set(invoice_ids):
            return PaymentTarget(
                invoice_ids=tuple(link.invoice_ids),
                discount_cents=link.amount_cents,
                pay_link_id=link.id,
                purpose="discount",
            )
    plans = await PaymentPlan.filter(debtor_id=debtor.id, status=PlanStatus.ACTIVE)
    for plan in plans:
        instalment = (
            await Instalment.filter(plan_id=plan.id, status__not=InstalmentStatus.PAID)
            .order_by("seq")
            .first()
        )
        if instalment and instalment.amount_cents - instalment.paid_cents == line.amount_cents:
            return PaymentTarget(
                invoice_ids=tuple(int(i) for i in plan.invoice_ids),
                instalment_id=instalment.id,
                purpose="instalment",
            )
    return PaymentTarget(invoice_ids=tuple(invoice_ids), purpose="bank_transfer")


async def match_line(line: BankLine, open_numbers: InvoiceNumbers) -> Match | None:
    """Who paid, and for what: by our reference, else by invoice numbers and exact amount."""
    for debtor_id in find_debtor_ids(line.description):
        debtor = await Debtor.get_or_none(id=debtor_id)
        if debtor is None:
            continue
        numbers = await Invoice.filter(debtor_id=debtor.id).values_list("id", "number")
        named = InvoiceNumbers(numbers).find(line.description)
        return Match(debtor, await _special_target(debtor, line, named), "reference")

    # The index is from the start of the import: balances are read again, as lines before this
    # one may have paid some of these invoices.
    found_ids = open_numbers.find(line.description)
    named_invoices = await Invoice.filter(id__in=found_ids).exclude(status__in=CLOSED_STATUSES)
    debtor_ids = {invoice.debtor_id for invoice in named_invoices}  # type: ignore[attr-defined]
    balance = sum(invoice.balance_cents for invoice in named_invoices)
    if len(debtor_ids) == 1 and balance == line.amount_cents:
        debtor = await Debtor.get(id=debtor_ids.pop())
        ids = tuple(sorted(invoice.id for invoice in named_invoices))
        return Match(debtor, PaymentTarget(invoice_ids=ids, purpose="bank_transfer"), "numbers")
    return None


async def _known_refs(refs: list[str], chunk: int = 500) -> set[str]:
    """Which of these bank lines were imported before (one query per chunk, not per line)."""
    known: set[str] = set()
    for start in range(0, len(refs), chunk):
        part = refs[start : start + chunk]
        known.update(
            await Payment.filter(provider_ref__in=part).values_list("provider_ref", flat=True)
        )
    return known


async def import_bank_statement(
    settings: Settings, now: dt.datetime, raw: bytes, name: str = ""
) -> BankImportReport:
    """Match and record every credit of a statement; safe to run again on the same file."""
    parsed = read_bank_csv(raw)
    report = BankImportReport(file=name, debits=parsed.debits, errors=parsed.errors)
    known = await _known_refs([line.provider_ref for line in parsed.credits])
    open_numbers: InvoiceNumbers | None = None
    for line in parsed.credits:
        if line.provider_ref in known:
            report.already_imported.append(line)
            continue
        if open_numbers is None:
            open_invoices = Invoice.exclude(status__in=CLOSED_STATUSES)
            open_numbers = InvoiceNumbers(await open_invoices.values_list("id", "number"))
        match = await match_line(line, open_numbers)
        if match is None:
            report.unmatched.append(line)
            continue
        received_at = dt.datetime.combine(line.booked_on, dt.time(12), tzinfo=settings.zone)
        recorded = await record_payment(
            settings,
            now,
            debtor_id=match.debtor.id,
            amount_cents=line.amount_cents,
            currency=line.currency,
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=line.provider_ref,
            received_at=received_at,
            target=match.target,
            note=f"{name} line {line.line_no}: {line.description}"[:2000],
            actor="cli",
        )
        if recorded is None:
            report.already_imported.append(line)
            continue
        report.matched.append(
            MatchedLine(
                line=line,
                debtor=match.debtor,
                invoice_numbers=[invoice.number for invoice, _ in recorded.shares],
                unallocated_cents=recorded.unallocated_cents,
            )
        )
    return report


async def import_bank_file(settings: Settings, now: dt.datetime, path: Path) -> BankImportReport:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BankFileError(f"cannot read {path}: {exc.strerror}") from None
    return await import_bank_statement(settings, now, raw, path.name)
