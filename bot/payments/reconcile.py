"""Bank reconciliation: credits from a bank statement become payments.

`python -m bot payments import-bank FILE` reads the statement (home-banking CSV, ISO 20022
camt.052/053/054, CBI RH: bot/payments/bank_formats.py tells them apart by content), keeps the
credits, and matches each one:

1. by our payment reference (`SOL-<debtor>-<cc>`, see bot/payments/bank.py), found anywhere in
   the description whatever the case and spacing; invoice numbers of that debtor mentioned in the
   line are paid first, then the oldest. A credit equal to a discount still in force on its
   booking date, or to the debtor's next instalment, settles that discount or instalment;
2. without a reference, by invoice numbers in the description, when the amount is exactly their
   open balance (an amount alone is too weak to credit someone).

Matching is done in memory against candidates loaded once (bot/payments/bank_match.py) and
everything is written in one transaction with multi-row statements (bot/payments/bank_record.py):
the statement lands whole or not at all. Each credit line is kept once (`BankCredit`, keyed by
the bank's ids: account, entry reference, end-to-end id; or a digest of a CSV line), so importing
the same file twice changes nothing. What cannot be matched is never guessed: it goes to staff in
one chat card with buttons to assign each credit to a debtor (bot/payments/bank_card.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.config import Settings
from bot.models import BankCredit, Debtor, Payment
from bot.models.bank import MATCHED, UNMATCHED
from bot.payments.bank_card import queue_unmatched_card
from bot.payments.bank_csv import BankFileError, BankLine
from bot.payments.bank_formats import read_statement
from bot.payments.bank_match import InvoiceNumbers, Match, load_book
from bot.payments.bank_record import Planned, plan_payment, write_payments
from bot.texts import render

__all__ = ["BankImportReport", "InvoiceNumbers", "Match", "import_bank_statement"]


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
    reversals: list[BankLine] = field(default_factory=list)
    returned: list[BankLine] = field(default_factory=list)
    not_booked: int = 0
    format: str = "csv"
    card_sent: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self, language: str) -> str:
        return render("payments/bank_import_report.txt", language, report=self)


async def _known_refs(refs: list[str], chunk: int = 500) -> tuple[set[str], set[str]]:
    """Which of these bank lines were recorded as payments before, and which are waiting for
    staff (unmatched at an earlier import: matched again, never carded twice)."""
    paid: set[str] = set()
    waiting: set[str] = set()
    for start in range(0, len(refs), chunk):
        part = refs[start : start + chunk]
        paid.update(
            await Payment.filter(provider_ref__in=part).values_list("provider_ref", flat=True)
        )
        waiting.update(
            await BankCredit.filter(provider_ref__in=part, status=UNMATCHED).values_list(
                "provider_ref", flat=True
            )
        )
    return paid, waiting - paid


async def _keep_credits(
    name: str, planned: list[Planned], unmatched: list[BankLine], waiting: set[str]
) -> list[BankLine]:
    """Inside the transaction: every new credit line kept; those waiting and matched now are
    marked so. Returns the unmatched lines that are new (the card lists only those)."""
    new_unmatched = [line for line in unmatched if line.provider_ref not in waiting]
    rows = [
        _credit_row(item.line, name, MATCHED, item)
        for item in planned
        if item.line.provider_ref not in waiting
    ]
    rows += [_credit_row(line, name, UNMATCHED, None) for line in new_unmatched]
    await BankCredit.bulk_create(rows, batch_size=500)
    for item in planned:
        if item.line.provider_ref in waiting:
            await BankCredit.filter(provider_ref=item.line.provider_ref).update(
                status=MATCHED, debtor_id=item.match.debtor_id, payment_id=item.payment_id
            )
    return new_unmatched


def _credit_row(line: BankLine, name: str, status: str, planned: Planned | None) -> BankCredit:
    return BankCredit(
        provider_ref=line.provider_ref,
        status=status,
        file_name=name[:255],
        line_no=line.line_no,
        booked_on=line.booked_on,
        value_date=line.value_date,
        amount_cents=line.amount_cents,
        currency=line.currency.upper(),
        debtor_name=line.debtor_name[:140],
        debtor_iban=line.debtor_iban[:34],
        end_to_end_id=line.end_to_end_id[:64],
        description=line.description,
        debtor_id=planned.match.debtor_id if planned else None,
        payment_id=planned.payment_id if planned else None,
    )


async def import_bank_statement(
    settings: Settings, now: dt.datetime, raw: bytes, name: str = ""
) -> BankImportReport:
    """Match and record every credit of a statement; safe to run again on the same file."""
    parsed = read_statement(raw, name)
    report = BankImportReport(
        file=name,
        debits=parsed.debits,
        errors=parsed.errors,
        reversals=parsed.reversals,
        returned=parsed.returned,
        not_booked=parsed.not_booked,
        format=parsed.format,
    )
    known, waiting = await _known_refs([line.provider_ref for line in parsed.credits])
    fresh: list[BankLine] = []
    for line in parsed.credits:
        if line.provider_ref in known:
            report.already_imported.append(line)
        else:
            known.add(line.provider_ref)
            fresh.append(line)
    book = await load_book(fresh)
    planned: list[Planned] = []
    for line in fresh:
        match = book.match(line)
        if match is None:
            report.unmatched.append(line)
        else:
            planned.append(plan_payment(book, line, match))
    try:
        async with in_transaction():
            debtors = await write_payments(settings, now, planned, name, "cli")
            new_unmatched = await _keep_credits(name, planned, report.unmatched, waiting)
            report.card_sent = await queue_unmatched_card(settings, now, name, new_unmatched)
    except IntegrityError:
        raise BankFileError(
            f"{name}: another import recorded some of these lines meanwhile; nothing was "
            "written, run the import again"
        ) from None
    report.matched = [
        MatchedLine(
            line=item.line,
            debtor=debtors[item.match.debtor_id],
            invoice_numbers=[invoice.number for invoice, _ in item.shares],
            unallocated_cents=item.unallocated_cents,
        )
        for item in planned
    ]
    return report


async def import_bank_file(settings: Settings, now: dt.datetime, path: Path) -> BankImportReport:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BankFileError(f"cannot read {path}: {exc.strerror}") from None
    return await import_bank_statement(settings, now, raw, path.name)
