"""A synthetic history (bench/early_warning_history.py) written into the database as it stood on
the morning of one day: invoices with their payments and allocations, promises, replies and
reminders in the message log, plans and instalments. What the job would load that morning
(bot/credit/warning_data.py) is then what the bench's replay reads from memory: the check that the
bench measures the job (tests/simulation/test_early_warning_bench.py).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from early_warning_history import NEVER, History, Invoice

from bot.models import (
    Debtor,
    Direction,
    Instalment,
    InstalmentStatus,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.models import Invoice as InvoiceRow


def _at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), zone)


async def store_history(history: History, today: dt.date, zone: ZoneInfo) -> Debtor:
    """One debtor's history up to the morning of `today`; returns the debtor row."""
    debtor = await Debtor.create(
        external_ref=f"EW{history.debtor_id}", name=f"Debtor {history.debtor_id}"
    )
    for invoice in history.invoices:
        if invoice.due - dt.timedelta(days=30) < today:
            await _invoice(debtor, history, invoice, today, zone)
    for promise in history.promises:
        if promise.promised < today:
            status = PromiseStatus.BROKEN if promise.broken else PromiseStatus.KEPT
            await PromiseToPay.create(debtor=debtor, promised_date=promise.promised, status=status)
    await Message.bulk_create(
        [
            Message(
                debtor=debtor,
                direction=Direction.INBOUND,
                status=MessageStatus.HANDLED,
                body="ok",
                created_at=_at(day, 11, zone),
            )
            for day in history.replies
            if day < today
        ]
        + [
            Message(
                debtor=debtor,
                direction=Direction.OUTBOUND,
                audience="debtor",
                step="overdue_1",
                status=MessageStatus.SENT,
                sent_at=_at(day, 9, zone),
                created_at=_at(day, 9, zone),
            )
            for day in history.reminders
            if day < today
        ]
    )
    await _plan(debtor, history, today)
    return debtor


async def _invoice(
    debtor: Debtor, history: History, invoice: Invoice, today: dt.date, zone: ZoneInfo
) -> None:
    partial = history.split.get(invoice.invoice_id)
    payments: list[tuple[dt.datetime, int]] = []
    if partial is not None and partial.day < today:
        payments.append((_at(partial.day, 9, zone), partial.amount_cents))
    if invoice.paid != NEVER and invoice.paid < today:
        payments.append(
            (_at(invoice.paid, 10, zone), invoice.amount_cents - sum(c for _, c in payments))
        )
    paid = sum(cents for _, cents in payments)
    closed = invoice.paid != NEVER and invoice.paid < today
    status = (
        InvoiceStatus.PAID
        if closed
        else InvoiceStatus.PARTIALLY_PAID
        if paid
        else InvoiceStatus.OPEN
    )
    row = await InvoiceRow.create(
        number=f"EW-{invoice.invoice_id}",
        debtor=debtor,
        issue_date=invoice.due - dt.timedelta(days=30),
        due_date=invoice.due,
        amount_cents=invoice.amount_cents,
        paid_cents=paid,
        status=status,
    )
    for n, (received, cents) in enumerate(payments):
        payment = await Payment.create(
            debtor=debtor,
            amount_cents=cents,
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=f"ew-{invoice.invoice_id}-{n}",
            received_at=received,
        )
        await PaymentAllocation.create(payment=payment, invoice=row, amount_cents=cents)


async def _plan(debtor: Debtor, history: History, today: dt.date) -> None:
    if not history.instalments or history.instalments[0].due - dt.timedelta(days=30) >= today:
        return
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=sum(i.amount_cents for i in history.instalments),
        instalment_count=len(history.instalments),
        first_due_date=history.instalments[0].due,
    )
    for seq, instalment in enumerate(history.instalments, start=1):
        done = instalment.paid < today
        await Instalment.create(
            plan=plan,
            seq=seq,
            due_date=instalment.due,
            amount_cents=instalment.amount_cents,
            paid_cents=instalment.amount_cents if done else 0,
            status=InstalmentStatus.PAID if done else InstalmentStatus.DUE,
        )
