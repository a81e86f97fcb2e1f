"""Credit notes allocated to the invoices they refer to (the model: bot/models/credit_notes.py).

The rule (`allocate`, pure): a credit note reduces the open amount of the invoice it names; an
invoice collected in instalments (several rows sharing one document number, see
bot/models/invoice_documents.py) is reduced from its earliest due date on, as payments are
allocated. What the invoice no longer owes goes into its `discount_cents`, so the cadence, the
pay page, the statement and the reports see the reduced open amount; an invoice brought to zero
is closed (paid when something was paid on it, cancelled when nothing was). What is left is a
credit in the debtor's favour: staff get one message per credit note, and no reminder is ever
written for a zero or negative amount (the cadence chases open balances only).

A credit note whose invoice is not known is kept whole as a credit, reported, shown to staff,
and applied when that invoice is imported later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.expressions import Q

from bot.models import CLOSED_STATUSES, CreditNote, Debtor, Invoice, InvoiceDocument, InvoiceStatus
from bot.outbox import queue_staff_alert

STAFF_TEMPLATE = "staff/credit_note.txt"


@dataclass(frozen=True)
class CreditNoteRecord:
    number: str
    debtor_ref: str
    invoice_number: str  # the invoice it refers to; "" when the document names none
    issue_date: dt.date
    amount_cents: int
    currency: str
    source: str  # "fatturapa" or "csv"


@dataclass
class CreditNoteOutcome:
    created: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)  # one line each, for the import report


def allocate(
    amount_cents: int, open_cents: Sequence[tuple[int, int]]
) -> tuple[dict[int, int], int]:
    """Split a credit over (invoice id, open cents) in the order given: (id -> cents, left)."""
    parts: dict[int, int] = {}
    left = amount_cents
    for invoice_id, open_amount in open_cents:
        if left <= 0:
            break
        part = min(left, max(open_amount, 0))
        if part:
            parts[invoice_id] = part
            left -= part
    return parts, left


async def apply_credit_notes(
    records: Sequence[CreditNoteRecord], debtor_ids: dict[str, int], now: dt.datetime
) -> CreditNoteOutcome:
    """Store the new credit notes and allocate them; then apply earlier credit notes whose
    invoice has arrived meanwhile. Runs inside the import's transaction."""
    outcome = CreditNoteOutcome()
    known = set(
        await CreditNote.filter(number__in=[r.number for r in records]).values_list(
            "number", flat=True
        )
    )
    for record in records:
        if record.number in known:
            outcome.unchanged += 1
            continue
        known.add(record.number)
        note = await CreditNote.create(
            number=record.number,
            debtor_id=debtor_ids[record.debtor_ref],
            invoice_number=record.invoice_number,
            issue_date=record.issue_date,
            amount_cents=record.amount_cents,
            currency=record.currency,
            source=record.source,
        )
        outcome.created += 1
        await _apply(note, now, outcome, alert=True)
    return outcome


async def apply_waiting(invoice_numbers: Sequence[str], now: dt.datetime) -> list[str]:
    """Credit notes imported before their invoice: applied now that the invoice is here."""
    outcome = CreditNoteOutcome()
    waiting = await CreditNote.filter(invoice_id=None, invoice_number__in=list(invoice_numbers))
    for note in waiting:
        await _apply(note, now, outcome, alert=False)
    return outcome.notes


async def _targets(note: CreditNote) -> list[Invoice]:
    by_document = await InvoiceDocument.filter(document_number=note.invoice_number).values_list(
        "invoice_id", flat=True
    )
    invoices = await Invoice.filter(
        Q(number=note.invoice_number) | Q(id__in=list(by_document)),
        debtor_id=note.debtor_id,  # type: ignore[attr-defined]
        currency=note.currency,  # a credit in another currency is not netted against it
    ).order_by("due_date", "id")
    return list(invoices)


async def _apply(
    note: CreditNote, now: dt.datetime, outcome: CreditNoteOutcome, alert: bool
) -> None:
    invoices = await _targets(note) if note.invoice_number else []
    open_rows = [
        (invoice.id, invoice.balance_cents if invoice.status not in CLOSED_STATUSES else 0)
        for invoice in invoices
    ]
    parts, left = allocate(note.amount_cents - note.applied_cents, open_rows)
    for invoice in invoices:
        part = parts.get(invoice.id, 0)
        if not part:
            continue
        invoice.discount_cents += part
        if invoice.balance_cents == 0:
            paid = invoice.paid_cents > 0
            invoice.status = InvoiceStatus.PAID if paid else InvoiceStatus.CANCELLED
        invoice.updated_at = now
        await invoice.save(update_fields=["discount_cents", "status", "updated_at"])
    note.applied_cents += sum(parts.values())
    if invoices:
        note.invoice_id = invoices[0].id  # type: ignore[attr-defined]
    await note.save(update_fields=["applied_cents", "invoice_id", "updated_at"])
    debtor = await Debtor.get(id=note.debtor_id)  # type: ignore[attr-defined]
    if not invoices:
        outcome.notes.append(
            f"credit note {note.number}: invoice {note.invoice_number or '(none named)'} "
            f"is not known; kept as a credit of {note.amount_cents / 100:.2f} {note.currency} "
            f"for {debtor.name} ({debtor.external_ref}), staff told"
        )
    elif left > 0:
        outcome.notes.append(
            f"credit note {note.number}: more than invoice {note.invoice_number} left open; "
            f"{left / 100:.2f} {note.currency} is a credit for {debtor.name}, staff told"
        )
    if alert and (left > 0 or not invoices):
        context = {
            "debtor_name": debtor.name,
            "external_ref": debtor.external_ref,
            "note_number": note.number,
            "invoice_number": note.invoice_number,
            "invoice_known": bool(invoices),
            "amount_cents": note.amount_cents,
            "applied_cents": note.applied_cents,
            "credit_cents": left,
            "currency": note.currency,
        }
        await queue_staff_alert(
            STAFF_TEMPLATE,
            context,
            now=now,
            debtor=debtor,
            idempotency_key=f"credit-note:{note.number}",
        )
