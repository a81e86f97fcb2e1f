"""Writing a FatturaPA import in one transaction: the CSV import's plan (debtors, PEC addresses,
invoice rows), then each invoice row's document details, the debtors' addresses and the credit
notes (bot/payments/credit_notes.py). Any failure and none of it is written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from bot.importers.fatturapa.records import Converted
from bot.importers.report import Problem, Tally
from bot.importers.store import ImportPlan, chunks
from bot.importers.writing import apply_plan
from bot.models import DebtorAddress, Invoice, InvoiceDocument
from bot.payments.credit_notes import apply_credit_notes, apply_waiting


@dataclass
class FatturaPAReport:
    files: list[str]
    dry_run: bool
    files_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    debtors: Tally = field(default_factory=Tally)
    contact_points: Tally = field(default_factory=Tally)
    invoices: Tally = field(default_factory=Tally)
    credit_notes: Tally = field(default_factory=Tally)
    credit_notes_found: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        named = ", ".join(self.files[:3]) + (
            f" and {len(self.files) - 3} more" if len(self.files) > 3 else ""
        )
        lines = [f"FatturaPA import of {named} ({self.files_read} files read)"]
        if self.problems:
            lines.append(f"refused: {len(self.problems)} problem(s); nothing was written")
            lines.extend(_capped([problem.render() for problem in sorted(self.problems)]))
            return "\n".join(lines)
        lines.append(f"debtors:        {self.debtors.render()}")
        lines.append(f"contact points: {self.contact_points.render()}")
        lines.append(f"invoices:       {self.invoices.render()}")
        if self.dry_run:
            lines.append(f"credit notes:   {self.credit_notes_found} found")
            lines.append("dry run: the files are valid; nothing was written")
        else:
            lines.append(f"credit notes:   {self.credit_notes.render()}")
        lines.extend(_capped(self.notes))
        return "\n".join(lines)


def _capped(lines: list[str], limit: int = 200) -> list[str]:
    """A report stays readable: the first `limit` lines, then how many more there are."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... and {len(lines) - limit} more"]


_DETAIL_FIELDS = [
    *("document_number", "document_type", "document_total_cents", "instalment", "instalments"),
    *("payment_method", "iban", "split_payment", "withholding_cents", "file_name"),
]


async def write_all(
    plan: ImportPlan, converted: Converted, report: FatturaPAReport, now: dt.datetime
) -> None:
    async with in_transaction():
        await apply_plan(plan, now=now)
        await _write_details(converted)
        await _write_addresses(converted, plan.debtor_ids)
        outcome = await apply_credit_notes(converted.credit_notes, plan.debtor_ids, now)
        numbers = sorted({d.document_number for d in converted.details.values()})
        report.notes.extend(await apply_waiting(numbers, now))
    report.credit_notes = Tally(created=outcome.created, unchanged=outcome.unchanged)
    report.notes.extend(outcome.notes)


async def _write_details(converted: Converted) -> None:
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(converted.details)):
        ids.update(
            {
                str(n): int(i)
                for n, i in await Invoice.filter(number__in=chunk).values_list("number", "id")
            }
        )
    stored: dict[int, dict[str, object]] = {}
    for chunk in chunks(sorted(ids.values())):
        for row in await InvoiceDocument.filter(invoice_id__in=chunk).values(
            "id", "invoice_id", *_DETAIL_FIELDS
        ):
            stored[int(row["invoice_id"])] = row
    new: list[InvoiceDocument] = []
    for number, details in converted.details.items():
        values = dataclasses.asdict(details)
        current = stored.get(ids[number])
        if current is None:
            new.append(InvoiceDocument(invoice_id=ids[number], **values))
        elif any(current[name] != value for name, value in values.items()):
            await InvoiceDocument.filter(id=current["id"]).update(**values)
    await InvoiceDocument.bulk_create(new, batch_size=500)


async def _write_addresses(converted: Converted, debtor_ids: dict[str, int]) -> None:
    stored: dict[int, DebtorAddress] = {}
    wanted_ids = [debtor_ids[ref] for ref in converted.addresses]
    for chunk in chunks(sorted(wanted_ids)):
        stored.update({a.debtor_id: a for a in await DebtorAddress.filter(debtor_id__in=chunk)})  # type: ignore[attr-defined]
    for ref, party in converted.addresses.items():
        values = {
            "street": party.street[:200],
            "postcode": party.postcode[:10],
            "city": party.city[:100],
            "province": party.province[:2],
            "country": party.country[:2],
        }
        current = stored.get(debtor_ids[ref])
        if current is None:
            await DebtorAddress.create(debtor_id=debtor_ids[ref], **values)
        elif any(getattr(current, name) != value for name, value in values.items()):
            await DebtorAddress.filter(id=current.id).update(**values)
