"""Validated records -> database rows: plan the upsert (bot/importers/writing.py applies it in
one transaction).

Planning reads what is stored (in chunks of keys, a handful of queries however long the file)
and decides for every row whether it creates, updates or leaves a row alone. Applying writes
in batches (executemany INSERTs, bulk_update, UPDATE ... WHERE id IN). A dry run plans and stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.functions import Sum

from bot.importers.consent import opt_in_stamp, same_opt_in
from bot.importers.report import Problem, Tally
from bot.importers.rows import ContactRecord, DebtorRecord, InvoiceRecord
from bot.models import ContactPoint, Debtor, DebtorKind, Invoice, InvoiceStatus, PaymentAllocation

# Keys per `IN (...)` lookup: well under SQLite's and PostgreSQL's bound-parameter limits for
# every table here.
KEY_CHUNK = 500

# Statuses the import derives from the paid amount when the file has no status. Any other status
# (disputed, in plan, cancelled, written off) was decided in the bot and stays until the file
# names a status explicitly.
DERIVED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)

T = TypeVar("T")


@dataclass(frozen=True)
class Defaults:
    language: str
    timezone: str


@dataclass
class ImportPlan:
    # New rows as field -> value: plain dicts, see insert_rows.
    new_debtors: list[dict[str, Any]] = field(default_factory=list)
    changed_debtors: list[Debtor] = field(default_factory=list)
    changed_debtor_fields: set[str] = field(default_factory=set)
    new_contacts: list[tuple[str, ContactRecord]] = field(default_factory=list)  # (debtor ref, …)
    pec_flags: dict[int, bool] = field(default_factory=dict)  # contact point id -> new is_pec
    # contact point id -> (opted_in_at, opt_in_source): an opt-in the file records anew.
    opt_ins: dict[int, tuple[dt.datetime, str]] = field(default_factory=dict)
    timezone: str = "Europe/Rome"  # the company's: an opt-in day is stored at noon there
    new_invoices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (debtor ref, …)
    # invoice id -> the fields that change and their new values; "debtor_ref" for a move.
    invoice_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    debtor_ids: dict[str, int] = field(default_factory=dict)  # stored debtors by reference
    debtors: Tally = field(default_factory=Tally)
    contact_points: Tally = field(default_factory=Tally)
    invoices: Tally = field(default_factory=Tally)


def chunks(items: Sequence[T], size: int = KEY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def stored_debtors(refs: Iterable[str]) -> dict[str, Debtor]:
    found: dict[str, Debtor] = {}
    for chunk in chunks(sorted(set(refs))):
        for debtor in await Debtor.filter(external_ref__in=chunk):
            found[debtor.external_ref] = debtor
    return found


def unknown_debtor_problems(
    refs_by_line: Sequence[tuple[Problem, str]], known_in_file: set[str], stored: set[str]
) -> list[Problem]:
    """Invoice rows whose debtor is neither in the debtors file nor in the database.

    refs_by_line holds a template problem (file, line, column) per invoice row and its reference.
    """
    return [
        Problem(
            where.file,
            where.line,
            where.column,
            f"no debtor {ref!r} in the debtors file or in the database",
        )
        for where, ref in refs_by_line
        if ref not in known_in_file and ref not in stored
    ]


def erased_debtor_problems(
    records: Sequence[DebtorRecord], stored: dict[str, Debtor], file: str
) -> list[Problem]:
    """Debtor rows for a person whose data were erased (python -m bot privacy erase): importing
    them would write the name and addresses again."""
    return [
        Problem(
            file,
            record.line,
            "external_ref",
            f"the personal data of {record.external_ref!r} were erased; remove the row",
        )
        for record in records
        if (debtor := stored.get(record.external_ref)) is not None and debtor.erased_at is not None
    ]


async def plan_import(
    debtors: Sequence[DebtorRecord],
    invoices: Sequence[InvoiceRecord],
    stored: dict[str, Debtor],
    defaults: Defaults,
) -> ImportPlan:
    """Compare the records with what is stored; decide every create and update."""
    plan = ImportPlan(
        debtor_ids={ref: debtor.id for ref, debtor in stored.items()}, timezone=defaults.timezone
    )
    _plan_debtors(plan, debtors, stored, defaults)
    await _plan_contacts(plan, debtors, stored)
    await _plan_invoices(plan, invoices)
    return plan


def _plan_debtors(
    plan: ImportPlan,
    records: Sequence[DebtorRecord],
    stored: dict[str, Debtor],
    defaults: Defaults,
) -> None:
    for record in records:
        debtor = stored.get(record.external_ref)
        if debtor is None:
            plan.new_debtors.append(
                {
                    "external_ref": record.external_ref,
                    "name": record.name,
                    "vat_number": record.vat_number or "",
                    "tax_code": record.tax_code or "",
                    "language": record.language or defaults.language,
                    "timezone": record.timezone or defaults.timezone,
                    "credit_limit_cents": record.credit_limit_cents,
                    "notes": record.notes or "",
                    # Without a kind cell or a VAT number: a consumer (no €40 claimed).
                    "kind": record.kind_to_store() or DebtorKind.CONSUMER,
                }
            )
            plan.debtors.created += 1
            continue
        wanted: dict[str, Any] = {
            "name": record.name,
            "vat_number": record.vat_number,
            "tax_code": record.tax_code,
            "language": record.language,
            "timezone": record.timezone,
            "credit_limit_cents": record.credit_limit_cents,
            "notes": record.notes,
            "kind": record.kind_to_store(),
        }
        changed = _assign(
            debtor, {key: value for key, value in wanted.items() if value is not None}
        )
        if changed:
            plan.changed_debtors.append(debtor)
            plan.changed_debtor_fields.update(changed)
            plan.debtors.updated += 1
        else:
            plan.debtors.unchanged += 1


async def _plan_contacts(
    plan: ImportPlan, records: Sequence[DebtorRecord], stored: dict[str, Debtor]
) -> None:
    debtor_ids = [stored[r.external_ref].id for r in records if r.external_ref in stored]
    existing: dict[tuple[int, str, str], tuple[int, bool, tuple[Any, str]]] = {}
    for chunk in chunks(debtor_ids):
        rows = await ContactPoint.filter(debtor_id__in=chunk).values_list(
            "id", "debtor_id", "channel", "address", "is_pec", "opted_in_at", "opt_in_source"
        )
        for point_id, debtor_id, channel, address, is_pec, opted_in_at, source in rows:
            key = (debtor_id, str(channel), address)
            existing[key] = (point_id, bool(is_pec), (opted_in_at, source))
    for record in records:
        debtor = stored.get(record.external_ref)
        for contact in record.contacts:
            key = (debtor.id, str(contact.channel), contact.address) if debtor else None
            point = existing.get(key) if key else None
            if point is None:
                plan.new_contacts.append((record.external_ref, contact))
                plan.contact_points.created += 1
                continue
            opt_in = opt_in_stamp(contact, plan.timezone)
            new_opt_in = opt_in is not None and not same_opt_in(opt_in, point[2])
            if new_opt_in and opt_in is not None:
                plan.opt_ins[point[0]] = opt_in
            if point[1] != contact.is_pec:
                plan.pec_flags[point[0]] = contact.is_pec
            if new_opt_in or point[1] != contact.is_pec:
                plan.contact_points.updated += 1
            else:
                plan.contact_points.unchanged += 1


# What an invoice row compares: read as plain values, since building 50,000 model objects
# only to find them unchanged is most of a re-import's time.
_INVOICE_VALUES = (
    *("id", "number", "debtor_id", "issue_date", "due_date", "amount_cents", "paid_cents"),
    *("currency", "description", "status", "discount_cents"),
)


async def _plan_invoices(plan: ImportPlan, records: Sequence[InvoiceRecord]) -> None:
    stored: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(record.number for record in records)):
        for values in await Invoice.filter(number__in=chunk).values(*_INVOICE_VALUES):
            stored[values["number"]] = values
    allocated = await _allocated_cents([values["id"] for values in stored.values()])
    for record in records:
        current = stored.get(record.number)
        # A file that says "paid" without an amount means paid in full.
        paid_in_full = record.status is InvoiceStatus.PAID and record.paid_cents is None
        record_paid = record.amount_cents if paid_in_full else record.paid_cents
        if current is None:
            paid = record_paid or 0
            plan.new_invoices.append(
                (
                    record.debtor_ref,
                    {
                        "number": record.number,
                        "issue_date": record.issue_date,
                        "due_date": record.due_date,
                        "amount_cents": record.amount_cents,
                        "paid_cents": paid,
                        "currency": record.currency or "EUR",
                        "description": record.description or "",
                        "status": record.status or derived_status(paid, record.amount_cents),
                    },
                )
            )
            plan.invoices.created += 1
            continue
        # Payments the bot recorded are never undone by a file exported before they arrived.
        paid = current["paid_cents"] if record_paid is None else record_paid
        paid = min(max(paid, allocated.get(current["id"], 0)), record.amount_cents)
        status = record.status
        if status is None:
            stored_status = InvoiceStatus(current["status"])
            derivable = stored_status in DERIVED_STATUSES
            # A discount or a credit note settles too (bot/payments/credit_notes.py).
            settled = (paid, record.amount_cents, current["discount_cents"])
            status = derived_status(*settled) if derivable else stored_status
        wanted: dict[str, Any] = {
            "issue_date": record.issue_date,
            "due_date": record.due_date,
            "amount_cents": record.amount_cents,
            "paid_cents": paid,
            "status": status,
        }
        if record.currency is not None:
            wanted["currency"] = record.currency
        if record.description is not None:
            wanted["description"] = record.description
        changes = {name: value for name, value in wanted.items() if current[name] != value}
        if plan.debtor_ids.get(record.debtor_ref) != current["debtor_id"]:
            # Moved to another debtor, possibly one this import creates: resolved on apply.
            changes["debtor_ref"] = record.debtor_ref
        if changes:
            plan.invoice_changes[current["id"]] = changes
            plan.invoices.updated += 1
        else:
            plan.invoices.unchanged += 1


def derived_status(paid_cents: int, amount_cents: int, discount_cents: int = 0) -> InvoiceStatus:
    """Paid once nothing is owed; a discount or a credit note alone makes nothing "partly paid"."""
    if paid_cents + discount_cents >= amount_cents:
        return InvoiceStatus.PAID
    if paid_cents > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


async def _allocated_cents(invoice_ids: Sequence[int]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for chunk in chunks(invoice_ids):
        rows = (
            await PaymentAllocation.filter(invoice_id__in=chunk)
            .group_by("invoice_id")
            .annotate(total=Sum("amount_cents"))
            .values_list("invoice_id", "total")
        )
        for invoice_id, total in rows:
            totals[int(invoice_id)] = int(total or 0)
    return totals


def _assign(instance: Debtor | Invoice, wanted: dict[str, Any]) -> list[str]:
    """Set the fields that differ; return their names."""
    changed = [name for name, value in wanted.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, wanted[name])
    return changed
