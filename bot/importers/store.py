"""Validated records -> database rows: plan the upsert, then apply it in one transaction.

Planning reads what is stored (in chunks of keys, a handful of queries however long the file)
and decides for every row whether it creates, updates or leaves a row alone. Applying writes
in batches (executemany INSERTs, bulk_update, UPDATE ... WHERE id IN). A dry run plans and stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Sum
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bot.importers.consent import opt_in_fields, opt_in_stamp, same_opt_in
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

# After writing this many rows, PostgreSQL gets fresh statistics at once instead of when
# autovacuum gets round to it: until then its plans (cached ones too) still see the tables
# empty and scan them whole for every key lookup (a re-import then took minutes, not seconds).
ANALYZE_AFTER_ROWS = 1000

# The order contact points are preferred in when the import creates them (lower first).
CONTACT_PRIORITY = {"whatsapp": 1, "sms": 2, "email": 3}

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
    *("currency", "description", "status"),
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
            status = derived_status(paid, record.amount_cents) if derivable else stored_status
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
    await _write(plan, now)
    created = len(plan.new_debtors) + len(plan.new_contacts) + len(plan.new_invoices)
    connection = connections.get("default")
    if created >= ANALYZE_AFTER_ROWS and connection.capabilities.dialect == "postgres":
        tables = (Debtor, ContactPoint, Invoice)
        await connection.execute_script(
            "ANALYZE " + ", ".join(f'"{model._meta.db_table}"' for model in tables)
        )


async def _write(plan: ImportPlan, now: dt.datetime) -> None:
    async with in_transaction() as conn:
        if plan.new_debtors:
            await insert_rows(Debtor, plan.new_debtors, conn, now)
            new_refs = [row["external_ref"] for row in plan.new_debtors]
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
                {
                    "debtor_id": plan.debtor_ids[ref],
                    "channel": contact.channel,
                    "address": contact.address,
                    "is_pec": contact.is_pec,
                    "priority": CONTACT_PRIORITY[str(contact.channel)]
                    + (1 if contact.is_pec else 0),
                    **opt_in_fields(contact, plan.timezone),
                }
                for ref, contact in plan.new_contacts
            ]
            await insert_rows(ContactPoint, points, conn, now)
        for point_id, (opted_in_at, source) in plan.opt_ins.items():
            await (
                ContactPoint.filter(id=point_id)
                .using_db(conn)
                .update(opted_in_at=opted_in_at, opt_in_source=source)
            )
        for is_pec in (True, False):
            ids = [point_id for point_id, flag in plan.pec_flags.items() if flag is is_pec]
            for chunk in chunks(ids):
                await ContactPoint.filter(id__in=chunk).using_db(conn).update(is_pec=is_pec)
        if plan.new_invoices:
            invoices = [
                {**values, "debtor_id": plan.debtor_ids[ref]} for ref, values in plan.new_invoices
            ]
            await insert_rows(Invoice, invoices, conn, now)
        if plan.invoice_changes:
            await _update_invoices(plan, now, conn)


async def insert_rows(
    model: type[Model], rows: Sequence[dict[str, Any]], conn: BaseDBAsyncClient, now: dt.datetime
) -> None:
    """INSERT rows given as field -> value, with the SQL and value conversion bulk_create uses.

    bulk_create wants model objects, and building 50,000 of them costs more than inserting
    them. A field a row leaves out takes the model's default; timestamps take `now`.
    """
    executor = conn.executor_class(model=model, db=conn)
    fields_map = model._meta.fields_map
    names = list(executor.regular_columns)
    fill: dict[str, Callable[[], Any]] = {}
    for name in names:
        model_field = fields_map[name]
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            fill[name] = lambda: now
        elif callable(model_field.default):
            fill[name] = model_field.default
        else:
            fill[name] = lambda value=model_field.default: value
    convert = {name: fields_map[name].to_db_value for name in names}
    for batch in chunks(rows, WRITE_BATCH):
        values = [
            [convert[name](row[name] if name in row else fill[name](), None) for name in names]
            for row in batch
        ]
        await conn.execute_many(executor.insert_query, values)


async def _update_invoices(plan: ImportPlan, now: dt.datetime, conn: BaseDBAsyncClient) -> None:
    """Load just the invoices that change, set their new values, write them in batches."""
    fields = {"updated_at"}
    invoices: list[Invoice] = []
    for chunk in chunks(list(plan.invoice_changes)):
        invoices.extend(await Invoice.filter(id__in=chunk).using_db(conn))
    for invoice in invoices:
        for name, value in plan.invoice_changes[invoice.id].items():
            if name == "debtor_ref":
                invoice.debtor_id = plan.debtor_ids[value]  # type: ignore[attr-defined]
                fields.add("debtor_id")
            else:
                setattr(invoice, name, value)
                fields.add(name)
        invoice.updated_at = now
    await Invoice.bulk_update(
        invoices, fields=sorted(fields), batch_size=WRITE_BATCH, using_db=conn
    )
