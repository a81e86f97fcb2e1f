"""Applying an import plan (bot/importers/store.py) in one transaction: batches of executemany
INSERTs, bulk_update and UPDATE ... WHERE id IN; all of it or, on any failure, none of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bot.importers.consent import opt_in_fields
from bot.importers.rows import InvoiceRecord
from bot.importers.store import ImportPlan, chunks
from bot.models import ContactPoint, Debtor, Invoice
from bot.payments.credit_notes import CreditNoteRecord, apply_credit_notes

# The order contact points are preferred in when the import creates them (lower first).
CONTACT_PRIORITY = {"whatsapp": 1, "sms": 2, "email": 3}

# Rows per INSERT/UPDATE batch: well under SQLite's and PostgreSQL's bound-parameter limits.
WRITE_BATCH = 500

# After writing this many rows, PostgreSQL gets fresh statistics at once instead of when
# autovacuum gets round to it: until then its plans (cached ones too) still see the tables
# empty and scan them whole for every key lookup (a re-import then took minutes, not seconds).
ANALYZE_AFTER_ROWS = 1000


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


def split_credit_notes(
    records: Sequence[InvoiceRecord],
) -> tuple[list[InvoiceRecord], list[CreditNoteRecord]]:
    """Rows with credit_note_for are credit notes (bot/payments/credit_notes.py), not invoices."""
    notes = [note_record(record) for record in records if record.credit_note_for]
    return [record for record in records if not record.credit_note_for], notes


def note_record(record: InvoiceRecord) -> CreditNoteRecord:
    """An invoices-file row with credit_note_for: a credit note, not an invoice."""
    return CreditNoteRecord(
        number=record.number,
        debtor_ref=record.debtor_ref,
        invoice_number=record.credit_note_for or "",
        issue_date=record.issue_date,
        amount_cents=record.amount_cents,
        currency=record.currency or "EUR",
        source="csv",
    )


async def apply_with_credit_notes(
    plan: ImportPlan, credit_notes: Sequence[CreditNoteRecord], now: dt.datetime
) -> list[str]:
    """The plan and the file's credit notes in one transaction; the credit notes' report lines."""
    if not credit_notes:
        await apply_plan(plan, now=now)
        return []
    async with in_transaction():
        await apply_plan(plan, now=now)
        outcome = await apply_credit_notes(credit_notes, plan.debtor_ids, now)
    return [
        f"credit notes:   {outcome.created} created, {outcome.unchanged} unchanged",
        *outcome.notes,
    ]
