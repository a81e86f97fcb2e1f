"""Importing debtors and invoices from CSV: `python -m bot import --debtors F --invoices F`.

The rules a user can rely on:

- Upsert: debtors by external reference, invoices by number. Importing the same files again
  changes nothing, and the report says so (created / updated / unchanged).
- All or nothing: every row of both files is validated first; if any row is bad nothing is
  written and the report lists every problem as `file:line: column: reason` (line = physical
  line, header = line 1). The writes themselves run in one transaction.
- An empty optional cell leaves what is stored: an import never erases a value. New rows take
  the defaults (language and time zone from the settings, currency EUR, paid 0).
- Contact columns (email, pec, phone -> SMS, whatsapp) add contact points or update their PEC
  flag; contact points that are not in the file are kept. Each kind of address may carry its
  opt-in: `whatsapp_opt_in_date` and `whatsapp_opt_in_source` (likewise `phone_...`,
  `email_...`), a date and how consent was given, both or neither; an empty pair leaves a
  recorded opt-in as it is. WhatsApp is never written to without one (scheduler/proactive.py).
  Telegram chats are not imported: a chat is tied to a debtor only through the signed deep link.
- Invoice status: a `status` cell wins. Without one, new invoices get open / partially paid /
  paid from the paid amount, and stored invoices keep a status the bot decided (disputed,
  in plan, cancelled, written off). The paid amount never drops below the payments the bot
  has recorded against the invoice.

Cell formats (dates, amounts, phones, e-mails, currencies) are described in bot/importers/fields.py,
bot/money.py and bot/contacts.py; file formats (encodings, separators, headers and their Italian
aliases) in bot/importers/csvfile.py and bot/importers/columns.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tortoise.exceptions import BaseORMException

from bot import clock
from bot.importers.columns import DEBTOR_COLUMNS, INVOICE_COLUMNS
from bot.importers.csvfile import read_table
from bot.importers.report import ImportReport, Problem, Tally
from bot.importers.rows import DebtorRecord, InvoiceRecord, read_debtors, read_invoices
from bot.importers.store import (
    Defaults,
    erased_debtor_problems,
    plan_import,
    stored_debtors,
    unknown_debtor_problems,
)
from bot.importers.writing import apply_with_credit_notes, split_credit_notes

if TYPE_CHECKING:
    from bot.credit.alerts import CreditScope, Limits

__all__ = ["ImportReport", "Problem", "Tally", "run_import"]


async def run_import(
    *,
    debtors: Path | None,
    invoices: Path | None,
    dry_run: bool,
    default_language: str,
    default_timezone: str,
    payment_terms_days: int | None = None,
    credit: CreditScope | None = None,
) -> ImportReport:
    """Validate both files, then (unless dry_run or anything is wrong) write them in one go.

    `payment_terms_days` (the policy's): the due date of an invoice imported without one.
    With `credit`, the debtors the import takes over their credit limit, or into a worse risk
    band, are alerted to staff (bot/credit/alerts.py)."""
    report = ImportReport(
        files=[str(path) for path in (debtors, invoices) if path], dry_run=dry_run
    )
    problems = report.problems
    debtor_file = _read_debtor_file(debtors, problems, default_timezone)
    invoice_records, invoice_refs = _read_invoice_file(invoices, problems, payment_terms_days)
    debtor_records, refs_in_debtor_file, debtor_file_readable = debtor_file

    stored = await stored_debtors(
        [record.external_ref for record in debtor_records] + [ref for _, ref in invoice_refs]
    )
    if debtor_file_readable:
        # Without a readable debtors file every invoice would look orphaned: say it once, above.
        problems.extend(unknown_debtor_problems(invoice_refs, refs_in_debtor_file, set(stored)))
    problems.extend(erased_debtor_problems(debtor_records, stored, str(debtors or "")))
    if problems:
        return report

    invoice_records, notes = split_credit_notes(invoice_records)
    plan = await plan_import(
        debtor_records,
        invoice_records,
        stored,
        Defaults(language=default_language, timezone=default_timezone),
    )
    if not dry_run:
        limits = await _limits(credit)
        try:
            report.credit_note_lines = await apply_with_credit_notes(plan, notes, clock.now())
        except BaseORMException as exc:
            # Typically another import wrote the same keys meanwhile; the transaction rolled back.
            file = report.files[0] if report.files else ""
            problems.append(
                Problem(file, 0, "", f"the database refused the import ({exc}); run it again")
            )
            return report
        if credit is not None and limits is not None:
            report.credit_notes = await _check_credit(credit, limits)
    report.debtors, report.contact_points, report.invoices = (
        plan.debtors,
        plan.contact_points,
        plan.invoices,
    )
    return report


async def _limits(credit: CreditScope | None) -> Limits | None:
    if credit is None:
        return None
    from bot.credit.alerts import load_limits

    return await load_limits(credit.today)


async def _check_credit(credit: CreditScope, before: Limits) -> list[str]:
    """Score the debtors whose exposure the import changed; alert staff (bot/credit/alerts.py)."""
    from bot.credit.alerts import changed_exposure, check_credit, load_limits, newly_over

    after = await load_limits(credit.today)
    over = newly_over(before, after)
    check = await check_credit(credit, changed_exposure(before, after), over)
    return [
        *(f"over the credit limit: {c.name} ({c.external_ref})" for c in check.over_limit),
        *(
            f"worse risk band: {c.name} ({c.external_ref}) {c.stored_band} -> {c.score.band}"
            for c in check.worse
        ),
    ]


def _read_debtor_file(
    debtors: Path | None, problems: list[Problem], default_timezone: str
) -> tuple[list[DebtorRecord], set[str], bool]:
    """The debtors file's records, the references it holds, and whether it could be read."""
    if debtors is None:
        return [], set(), True
    table, found = read_table(debtors, DEBTOR_COLUMNS)
    problems.extend(found)
    if table is None:
        return [], set(), False
    today = clock.now().astimezone(ZoneInfo(default_timezone)).date()
    records = read_debtors(table, problems, today)
    return records, {row.values["external_ref"] for row in table.rows}, True


def _read_invoice_file(
    invoices: Path | None, problems: list[Problem], payment_terms_days: int | None
) -> tuple[list[InvoiceRecord], list[tuple[Problem, str]]]:
    """The invoices file's records, and each debtor reference with where it stands."""
    if invoices is None:
        return [], []
    table, found = read_table(invoices, INVOICE_COLUMNS)
    problems.extend(found)
    if table is None:
        return [], []
    records = read_invoices(table, problems, payment_terms_days)
    column = table.header("debtor_ref")
    refs = [
        (Problem(table.file, row.line, column, ""), row.values["debtor_ref"])
        for row in table.rows
        if row.values["debtor_ref"]
    ]
    return records, refs
