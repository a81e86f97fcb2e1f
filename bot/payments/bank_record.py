"""Recording a statement's matched credits in bulk: allocated in memory with the rule of
bot/payments/allocation.py (as bot/payments/recording.py does for one payment), then written in
one transaction with a few multi-row statements: the payments, their allocations, the invoices'
new balances, the audit events, the receipts and staff alerts (the same rows and texts
recording.py and receipts.py write for a single payment), and pending reminders about invoices
now paid cancelled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.models import (
    CHASEABLE_STATUSES,
    AuditEvent,
    Channel,
    Debtor,
    Direction,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
)
from bot.payments.allocation import InvoiceBalance, allocate
from bot.payments.bank_csv import BankLine
from bot.payments.bank_match import CHUNK, Book, Match, OpenInvoice
from bot.payments.receipts import (
    RECEIPT_TEMPLATE,
    STAFF_OVERPAYMENT_TEMPLATE,
    STAFF_RECEIVED_TEMPLATE,
    invoice_ids_named,
)
from bot.sql import adapt_query, connection, db_time, insert_many, is_postgres

_UPDATE_INVOICE = (
    "UPDATE invoice SET paid_cents = ?, discount_cents = ?, status = ?, updated_at = ? WHERE id = ?"
)


@dataclass
class Planned:
    """One matched credit, allocated in memory, waiting to be written."""

    line: BankLine
    match: Match
    shares: list[tuple[OpenInvoice, int]] = field(default_factory=list)
    unallocated_cents: int = 0
    discount_granted_cents: int = 0
    newly_paid: list[OpenInvoice] = field(default_factory=list)
    touched: list[OpenInvoice] = field(default_factory=list)
    instalment: Instalment | None = None
    plan_completed: bool = False
    remaining_cents: int = 0
    payment_id: int = 0


def _status_after(invoice: OpenInvoice) -> InvoiceStatus:
    if invoice.balance_cents == 0:
        return InvoiceStatus.PAID
    if invoice.status in (InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED):
        return invoice.status
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN


def _find_instalment(book: Book, instalment_id: int | None) -> Instalment | None:
    for instalments in book.instalments.values():
        for instalment in instalments:
            if instalment.id == instalment_id:
                return instalment
    return None


def plan_payment(book: Book, line: BankLine, match: Match) -> Planned:
    """Allocate one credit in memory, as recording.py would in the database."""
    planned = Planned(line=line, match=match)
    target = match.target
    invoices = [i for i in book.by_debtor.get(match.debtor_id, []) if not i.closed]
    first_ids = set(target.invoice_ids)
    instalment = _find_instalment(book, target.instalment_id)
    if instalment is not None and not first_ids:
        plan = next(p for ps in book.plans.values() for p in ps if p.id == instalment.plan_id)  # type: ignore[attr-defined]
        first_ids = {int(i) for i in plan.invoice_ids}
    first = [InvoiceBalance(i.id, i.balance_cents) for i in invoices if i.id in first_ids]
    then = [
        InvoiceBalance(i.id, i.balance_cents)
        for i in invoices
        if i.id not in first_ids and i.status is not InvoiceStatus.DISPUTED
    ]
    allocation = allocate(line.amount_cents, first, then)
    for invoice_id, cents in allocation.shares:
        book.invoices[invoice_id].paid_cents += cents
        planned.shares.append((book.invoices[invoice_id], cents))
    planned.unallocated_cents = allocation.unallocated_cents
    touched = {invoice.id: invoice for invoice, _ in planned.shares}
    if target.discount_cents is not None and line.amount_cents >= target.discount_cents:
        for item in first:
            invoice = book.invoices[item.id]
            if invoice.balance_cents > 0:
                planned.discount_granted_cents += invoice.balance_cents
                invoice.discount_cents += invoice.balance_cents
            touched[invoice.id] = invoice
    for invoice in touched.values():
        before = invoice.status
        invoice.status = _status_after(invoice)
        planned.touched.append(invoice)
        if invoice.status is InvoiceStatus.PAID and before is not InvoiceStatus.PAID:
            planned.newly_paid.append(invoice)
    if instalment is not None:
        planned.instalment = instalment
        planned.plan_completed = _settle_instalment(book, instalment, line.amount_cents)
    planned.remaining_cents = sum(
        i.balance_cents for i in book.by_debtor.get(match.debtor_id, []) if not i.closed
    )
    return planned


def _settle_instalment(book: Book, instalment: Instalment, amount_cents: int) -> bool:
    left = max(instalment.amount_cents - instalment.paid_cents, 0)
    instalment.paid_cents += min(amount_cents, left)
    if instalment.paid_cents >= instalment.amount_cents:
        instalment.status = InstalmentStatus.PAID
    plan_id = instalment.plan_id  # type: ignore[attr-defined]
    plan = next(p for ps in book.plans.values() for p in ps if p.id == plan_id)
    siblings = book.instalments.get(plan_id, [])
    all_paid = all(i.status == InstalmentStatus.PAID for i in siblings)
    if all_paid and plan.status != PlanStatus.COMPLETED:
        plan.status = PlanStatus.COMPLETED
        return True
    return False


def _context(settings: Settings, debtor: Debtor, planned: Planned) -> dict[str, Any]:
    """What the receipt and the staff alerts say (receipts.py's `_receipt_context`)."""
    return {
        "debtor_name": debtor.name,
        "debtor_ref": debtor.external_ref,
        "company": settings.company_name,
        "amount_cents": planned.line.amount_cents,
        "payment_currency": planned.line.currency.upper(),
        "method": PaymentMethod.BANK_TRANSFER.value,
        "paid_invoices": [
            {"number": i.number, "cents": cents, "settled": i.status is InvoiceStatus.PAID}
            for i, cents in planned.shares
        ],
        "invoice_ids": [i.id for i, _ in planned.shares],
        "discount_cents": planned.discount_granted_cents,
        "instalment_seq": planned.instalment.seq if planned.instalment else None,
        "plan_completed": planned.plan_completed,
        "remaining_cents": planned.remaining_cents,
        "unallocated_cents": planned.unallocated_cents,
    }


async def write_payments(
    settings: Settings, now: dt.datetime, planned: list[Planned], name: str, actor: str
) -> dict[int, Debtor]:
    """Inside the caller's transaction: every planned payment and what follows it."""
    debtor_ids = sorted({p.match.debtor_id for p in planned})
    debtors: dict[int, Debtor] = {}
    for start in range(0, len(debtor_ids), CHUNK):
        for debtor in await Debtor.filter(id__in=debtor_ids[start : start + CHUNK]):
            debtors[debtor.id] = debtor
    if not planned:
        return debtors
    await _insert_payments(settings, planned, name)
    await _write_invoices(now, planned)
    audits: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for item in planned:
        debtor = debtors[item.match.debtor_id]
        audits += _audits(item, actor)
        messages += _messages(_context(settings, debtor, item), item, now)
    await insert_many(AuditEvent, audits, batch=300)
    await insert_many(Message, messages)
    await _cancel_reminders(now, planned)
    return debtors


async def _insert_payments(settings: Settings, planned: list[Planned], name: str) -> None:
    rows = [
        {
            "debtor_id": item.match.debtor_id,
            "amount_cents": item.line.amount_cents,
            "currency": item.line.currency.upper(),
            "method": PaymentMethod.BANK_TRANSFER,
            "status": PaymentStatus.SUCCEEDED,
            "provider_ref": item.line.provider_ref,
            "received_at": dt.datetime.combine(item.line.booked_on, dt.time(12), settings.zone),
            "unallocated_cents": item.unallocated_cents,
            "note": f"{name} line {item.line.line_no}: {item.line.description}"[:2000],
        }
        for item in planned
    ]
    allocations = []
    for item, payment_id in zip(planned, await insert_many(Payment, rows), strict=True):
        item.payment_id = payment_id
        allocations += [
            {"payment_id": payment_id, "invoice_id": invoice.id, "amount_cents": cents}
            for invoice, cents in item.shares
        ]
    await insert_many(PaymentAllocation, allocations, batch=300)


async def _write_invoices(now: dt.datetime, planned: list[Planned]) -> None:
    changed = {invoice.id: invoice for item in planned for invoice in item.touched}
    postgres = is_postgres()
    values = [
        (i.paid_cents, i.discount_cents, i.status.value, db_time(now, postgres), i.id)
        for i in changed.values()
    ]
    if values:
        await connection().execute_many(adapt_query(_UPDATE_INVOICE, postgres), values)
    instalments = {i.instalment.id: i.instalment for i in planned if i.instalment is not None}
    for instalment in instalments.values():
        await instalment.save(update_fields=["paid_cents", "status"])
    completed = {i.instalment.plan_id for i in planned if i.plan_completed and i.instalment}  # type: ignore[attr-defined]
    if completed:
        await PaymentPlan.filter(id__in=sorted(completed)).update(status=PlanStatus.COMPLETED)


def _audit(action: str, subject: str, data: dict[str, Any], actor: str) -> dict[str, Any]:
    return {"actor": actor, "action": action, "subject": subject, "data": data}


def _audits(item: Planned, actor: str) -> list[dict[str, Any]]:
    """The audit trail receipts.py writes for a recorded payment."""
    subject = f"payment:{item.payment_id}"
    target = item.match.target
    events = [
        _audit(
            "payment_recorded",
            subject,
            {
                "debtor": item.match.debtor_id,
                "amount_cents": item.line.amount_cents,
                "currency": item.line.currency.upper(),
                "method": PaymentMethod.BANK_TRANSFER.value,
                "provider_ref": item.line.provider_ref,
                "pay_link": target.pay_link_id,
                "purpose": target.purpose,
                "allocations": [[invoice.number, cents] for invoice, cents in item.shares],
                "matched_by": item.match.how,
            },
            actor,
        )
    ]
    events += [
        _audit("invoice_paid", f"invoice:{i.number}", {"payment": item.payment_id}, actor)
        for i in item.newly_paid
    ]
    if item.discount_granted_cents:
        data = {"cents": item.discount_granted_cents, "invoices": list(target.invoice_ids)}
        events.append(_audit("discount_granted", subject, data, actor))
    if item.instalment is not None:
        paid = item.instalment.status is InstalmentStatus.PAID
        events.append(
            _audit(
                "instalment_paid" if paid else "instalment_part_paid",
                f"instalment:{item.instalment.id}",
                {"payment": item.payment_id, "paid_cents": item.instalment.paid_cents},
                actor,
            )
        )
        if item.plan_completed:
            plan_id = item.instalment.plan_id  # type: ignore[attr-defined]
            events.append(_audit("plan_completed", f"plan:{plan_id}", {}, actor))
    if item.unallocated_cents:
        data = {"unallocated_cents": item.unallocated_cents}
        events.append(_audit("overpayment_flagged", subject, data, actor))
    return events


def _message(
    debtor_id: int, template: str, context: dict[str, Any], now: dt.datetime, key: str, staff: bool
) -> dict[str, Any]:
    """A row as outbox.queue_message writes it (the keys are new: payment ids are new)."""
    return {
        "debtor_id": debtor_id,
        "contact_point_id": None,
        "direction": Direction.OUTBOUND,
        "audience": "staff" if staff else "debtor",
        "channel": Channel.TELEGRAM if staff else None,
        "template": template,
        "context": context,
        "options": [],
        "status": MessageStatus.PENDING,
        "idempotency_key": key,
        "scheduled_at": now,
    }


def _messages(context: dict[str, Any], item: Planned, now: dt.datetime) -> list[dict[str, Any]]:
    """The receipt to the debtor and the staff alerts (receipts.py's `announce`)."""
    debtor_id, payment_id = item.match.debtor_id, item.payment_id
    messages = [
        _message(debtor_id, RECEIPT_TEMPLATE, context, now, f"receipt:{payment_id}", False),
        _message(
            debtor_id,
            STAFF_RECEIVED_TEMPLATE,
            context,
            now,
            f"payment-received:{payment_id}",
            True,
        ),
    ]
    if item.unallocated_cents:
        key = f"overpayment:{payment_id}"
        messages.append(_message(debtor_id, STAFF_OVERPAYMENT_TEMPLATE, context, now, key, True))
    return messages


async def _cancel_reminders(now: dt.datetime, planned: list[Planned]) -> None:
    """Paid invoices leave the cadence, as receipts.py's `cancel_closed_reminders` decides."""
    debtor_ids = sorted({item.match.debtor_id for item in planned if item.newly_paid})
    if not debtor_ids:
        return
    still_open: dict[int, set[int]] = {}
    pending: list[Message] = []
    for start in range(0, len(debtor_ids), CHUNK):
        part = debtor_ids[start : start + CHUNK]
        pending += await Message.filter(debtor_id__in=part, status=MessageStatus.PENDING).exclude(
            step=""
        )
        rows = await Invoice.filter(debtor_id__in=part, status__in=CHASEABLE_STATUSES).values_list(
            "debtor_id", "id"
        )
        for debtor_id, invoice_id in rows:
            still_open.setdefault(debtor_id, set()).add(invoice_id)
    cancelled: dict[int, list[int]] = {}
    for message in pending:
        debtor_id = message.debtor_id  # type: ignore[attr-defined]
        named = set(invoice_ids_named(message.context))
        open_ids = still_open.get(debtor_id, set())
        if open_ids and not (bool(named) and not (named & open_ids)):
            continue
        cancelled.setdefault(debtor_id, []).append(message.id)
    ids = [i for group in cancelled.values() for i in group]
    for start in range(0, len(ids), CHUNK):
        await Message.filter(id__in=ids[start : start + CHUNK]).update(
            status=MessageStatus.CANCELLED, last_error="cancelled: paid", updated_at=now
        )
    await insert_many(
        AuditEvent,
        [
            _audit("reminders_cancelled", f"debtor:{d}", {"count": len(group)}, "system")
            for d, group in cancelled.items()
        ],
    )
