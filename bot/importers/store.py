"""Validated records -> database rows: plan the upsert, then apply it in one transaction.

Planning reads what is stored (in chunks of keys, a handful of queries however long the file)
and decides for every row whether it creates, updates or leaves a row alone. Applying writes
with bulk_create / bulk_update. A dry run plans and stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from bot.importers.report import Problem, Tally
from bot.importers.rows import ContactRecord, DebtorRecord, InvoiceRecord
from bot.models import ContactPoint, Debtor, Invoice, InvoiceStatus, PaymentAllocation

# Keys per `IN (...)` lookup and rows per INSERT/UPDATE batch: well under SQLite's and
# PostgreSQL's bound-parameter limits for every table here.
KEY_CHUNK = 500
WRITE_BATCH = 500

# Statuses the import derives from the paid amount when the file has no status. Any other status
# (disputed, in plan, cancelled, written off) was decided in the bot and stays until the file
# names a status explicitly.
DERIVED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)

# The order contact points are preferred in when the import creates them (lower first).
CONTACT_PRIORITY = {"whatsapp": 1, "sms": 2, "email": 3}

T = TypeVar("T")


@dataclass(frozen=True)
class Defaults:
    language: str
    timezone: str


@dataclass
class ImportPlan:
    new_debtors: list[Debtor] = field(default_factory=list)
    changed_debtors: list[Debtor] = field(default_factory=list)
    changed_debtor_fields: set[str] = field(default_factory=set)
    new_contacts: list[tuple[str, ContactRecord]] = field(default_factory=list)  # (debtor ref, …)
    changed_contacts: list[ContactPoint] = field(default_factory=list)
    new_invoices: list[tuple[str, Invoice]] = field(default_factory=list)  # (debtor ref, invoice)
    changed_invoices: list[Invoice] = field(default_factory=list)
    changed_invoice_fields: set[str] = field(default_factory=set)
    invoice_moves: dict[int, str] = field(default_factory=dict)  # invoice id -> new debtor ref
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


async def plan_import(
    debtors: Sequence[DebtorRecord],
    invoices: Sequence[InvoiceRecord],
    stored: dict[str, Debtor],
    defaults: Defaults,
) -> ImportPlan:
    """Compare the records with what is stored; decide every create and update."""
    plan = ImportPlan(debtor_ids={ref: debtor.id for ref, debtor in stored.items()})
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
                Debtor(
                    external_ref=record.external_ref,
                    name=record.name,
                    vat_number=record.vat_number or "",
                    tax_code=record.tax_code or "",
                    language=record.language or defaults.language,
                    timezone=record.timezone or defaults.timezone,
                    credit_limit_cents=record.credit_limit_cents,
                    notes=record.notes or "",
                )
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
    existing: dict[tuple[int, str, str], ContactPoint] = {}
    for chunk in chunks(debtor_ids):
        for point in await ContactPoint.filter(debtor_id__in=chunk):
            existing[(point.debtor_id, str(point.channel), point.address)] = point  # type: ignore[attr-defined]
    for record in records:
        debtor = stored.get(record.external_ref)
        for contact in record.contacts:
            point = (
                existing.get((debtor.id, str(contact.channel), contact.address)) if debtor else None
            )
            if point is None:
                plan.new_contacts.append((record.external_ref, contact))
                plan.contact_points.created += 1
            elif point.is_pec != contact.is_pec:
                point.is_pec = contact.is_pec
                plan.changed_contacts.append(point)
                plan.contact_points.updated += 1
            else:
                plan.contact_points.unchanged += 1


async def _plan_invoices(plan: ImportPlan, records: Sequence[InvoiceRecord]) -> None:
    stored: dict[str, Invoice] = {}
    for chunk in chunks(sorted(record.number for record in records)):
        for invoice in await Invoice.filter(number__in=chunk):
            stored[invoice.number] = invoice
    allocated = await _allocated_cents([invoice.id for invoice in stored.values()])
    for record in records:
        invoice = stored.get(record.number)
        if invoice is None:
            paid = record.paid_cents or 0
            plan.new_invoices.append(
                (
                    record.debtor_ref,
                    Invoice(
                        number=record.number,
                        issue_date=record.issue_date,
                        due_date=record.due_date,
                        amount_cents=record.amount_cents,
                        paid_cents=paid,
                        currency=record.currency or "EUR",
                        description=record.description or "",
                        status=record.status or derived_status(paid, record.amount_cents),
                    ),
                )
            )
            plan.invoices.created += 1
            continue
        # Payments the bot recorded are never undone by a file exported before they arrived.
        paid = invoice.paid_cents if record.paid_cents is None else record.paid_cents
        paid = min(max(paid, allocated.get(invoice.id, 0)), record.amount_cents)
        status = record.status
        if status is None:
            current = InvoiceStatus(invoice.status)
            derivable = current in DERIVED_STATUSES
            status = derived_status(paid, record.amount_cents) if derivable else current
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
        changed = _assign(invoice, wanted)
        if plan.debtor_ids.get(record.debtor_ref) != invoice.debtor_id:  # type: ignore[attr-defined]
            # Moved to another debtor, possibly one this import creates: its id is set on apply.
            plan.invoice_moves[invoice.id] = record.debtor_ref
            changed.append("debtor_id")
        if changed:
            plan.changed_invoices.append(invoice)
            plan.changed_invoice_fields.update(changed)
            plan.invoices.updated += 1
        else:
            plan.invoices.unchanged += 1


def derived_status(paid_cents: int, amount_cents: int) -> InvoiceStatus:
    if paid_cents >= amount_cents:
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


async def apply_plan(plan: ImportPlan, now: dt.datetime) -> None:
    """Write the plan in one transaction: all of it or, on any failure, none of it."""
    async with in_transaction() as conn:
        if plan.new_debtors:
            await Debtor.bulk_create(plan.new_debtors, batch_size=WRITE_BATCH, using_db=conn)
            new_refs = [debtor.external_ref for debtor in plan.new_debtors]
            for chunk in chunks(new_refs):
                rows = (
                    await Debtor.filter(external_ref__in=chunk)
                    .using_db(conn)
                    .values_list("external_ref", "id")
                )
                plan.debtor_ids.update({str(ref): int(pk) for ref, pk in rows})
        if plan.changed_debtors:
            for debtor in plan.changed_debtors:
                debtor.updated_at = now
            fields = sorted(plan.changed_debtor_fields | {"updated_at"})
            await Debtor.bulk_update(
                plan.changed_debtors, fields=fields, batch_size=WRITE_BATCH, using_db=conn
            )
        if plan.new_contacts:
            points = [
                ContactPoint(
                    debtor_id=plan.debtor_ids[ref],
                    channel=contact.channel,
                    address=contact.address,
                    is_pec=contact.is_pec,
                    priority=CONTACT_PRIORITY[str(contact.channel)] + (1 if contact.is_pec else 0),
                )
                for ref, contact in plan.new_contacts
            ]
            await ContactPoint.bulk_create(points, batch_size=WRITE_BATCH, using_db=conn)
        if plan.changed_contacts:
            await ContactPoint.bulk_update(
                plan.changed_contacts, fields=["is_pec"], batch_size=WRITE_BATCH, using_db=conn
            )
        if plan.new_invoices:
            for ref, invoice in plan.new_invoices:
                invoice.debtor_id = plan.debtor_ids[ref]  # type: ignore[attr-defined]
            await Invoice.bulk_create(
                [invoice for _, invoice in plan.new_invoices],
                batch_size=WRITE_BATCH,
                using_db=conn,
            )
        if plan.changed_invoices:
            for invoice in plan.changed_invoices:
                invoice.updated_at = now
                moved_to = plan.invoice_moves.get(invoice.id)
                if moved_to is not None:
                    invoice.debtor_id = plan.debtor_ids[moved_to]  # type: ignore[attr-defined]
            fields = sorted(plan.changed_invoice_fields | {"updated_at"})
            await Invoice.bulk_update(
                plan.changed_invoices, fields=fields, batch_size=WRITE_BATCH, using_db=conn
            )
