"""What follows a recorded payment, in the same transaction: the audit trail, pending reminders
about invoices now paid cancelled, the receipt to the debtor, and the alerts to staff (received,
and an overpayment flagged)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.config import Settings
from bot.models import (
    CHASEABLE_STATUSES,
    CLOSED_STATUSES,
    AuditEvent,
    Debtor,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
)
from bot.outbox import queue_message, queue_staff_alert
from bot.payments.allocation import PaymentTarget, RecordedPayment

RECEIPT_TEMPLATE = "payments/receipt.txt"
STAFF_RECEIVED_TEMPLATE = "payments/staff_payment_received.txt"
STAFF_OVERPAYMENT_TEMPLATE = "payments/staff_overpayment.txt"


async def audit(action: str, subject: str, data: dict[str, Any], actor: str = "system") -> None:
    await AuditEvent.create(actor=actor, action=action, subject=subject, data=data)


def invoice_ids_named(context: object) -> list[int]:
    """The invoices a queued reminder is about: `invoice_ids`, or the ids in `invoices`."""
    if not isinstance(context, dict):
        return []
    ids = context.get("invoice_ids") or [
        entry["id"] for entry in context.get("invoices", ()) if isinstance(entry, dict)
    ]
    return [int(i) for i in ids if str(i).isdigit()]


async def cancel_closed_reminders(debtor_id: int, why: str = "paid") -> int:
    """Closed invoices (paid, written off) leave the cadence: pending reminders about them are no
    longer due (`last_error` says "cancelled: <why>").

    When nothing is left to chase every pending reminder goes; otherwise only those whose
    context names only invoices that are closed now (the dispatcher re-checks at send time too).
    """
    pending = await Message.filter(debtor_id=debtor_id, status=MessageStatus.PENDING).exclude(
        step=""
    )
    if not pending:
        return 0
    still_open = set(
        await Invoice.filter(debtor_id=debtor_id, status__in=CHASEABLE_STATUSES).values_list(
            "id", flat=True
        )
    )
    cancelled = 0
    for message in pending:
        named = set(invoice_ids_named(message.context))
        about_paid_only = bool(named) and not (named & still_open)
        if still_open and not about_paid_only:
            continue
        message.status = MessageStatus.CANCELLED
        message.last_error = f"cancelled: {why}"
        await message.save(update_fields=["status", "last_error", "updated_at"])
        cancelled += 1
    return cancelled


async def announce(
    settings: Settings,
    now: dt.datetime,
    recorded: RecordedPayment,
    target: PaymentTarget,
    actor: str,
) -> None:
    payment = recorded.payment
    debtor = await Debtor.get(id=payment.debtor_id)  # type: ignore[attr-defined]
    await _audit_recorded(debtor, recorded, target, actor)
    context = await _receipt_context(settings, debtor, recorded)
    await queue_message(
        debtor=debtor,
        template=RECEIPT_TEMPLATE,
        context=context,
        scheduled_at=now,
        idempotency_key=f"receipt:{payment.id}",
    )
    await queue_staff_alert(
        STAFF_RECEIVED_TEMPLATE,
        context,
        now=now,
        debtor=debtor,
        idempotency_key=f"payment-received:{payment.id}",
    )
    if payment.unallocated_cents:
        await audit(
            "overpayment_flagged",
            f"payment:{payment.id}",
            {"unallocated_cents": payment.unallocated_cents},
            actor,
        )
        await queue_staff_alert(
            STAFF_OVERPAYMENT_TEMPLATE,
            context,
            now=now,
            debtor=debtor,
            idempotency_key=f"overpayment:{payment.id}",
        )


async def _audit_recorded(
    debtor: Debtor, recorded: RecordedPayment, target: PaymentTarget, actor: str
) -> None:
    """The audit trail of a recorded payment, and reminders about invoices now paid cancelled."""
    payment = recorded.payment
    subject = f"payment:{payment.id}"
    await audit(
        "payment_recorded",
        subject,
        {
            "debtor": debtor.id,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "method": payment.method.value,
            "provider_ref": payment.provider_ref,
            "pay_link": target.pay_link_id,
            "purpose": target.purpose,
            "allocations": [[invoice.number, cents] for invoice, cents in recorded.shares],
        },
        actor,
    )
    for invoice in recorded.newly_paid:
        await audit("invoice_paid", f"invoice:{invoice.number}", {"payment": payment.id}, actor)
    if recorded.discount_granted_cents:
        await audit(
            "discount_granted",
            subject,
            {"cents": recorded.discount_granted_cents, "invoices": list(target.invoice_ids)},
            actor,
        )
    if recorded.instalment is not None:
        await audit(
            "instalment_paid"
            if recorded.instalment.status is InstalmentStatus.PAID
            else "instalment_part_paid",
            f"instalment:{recorded.instalment.id}",
            {"payment": payment.id, "paid_cents": recorded.instalment.paid_cents},
            actor,
        )
    if recorded.plan_completed and recorded.instalment is not None:
        await audit("plan_completed", f"plan:{recorded.instalment.plan.id}", {}, actor)
    if recorded.newly_paid:
        cancelled = await cancel_closed_reminders(debtor.id)
        if cancelled:
            await audit("reminders_cancelled", f"debtor:{debtor.id}", {"count": cancelled})


async def _receipt_context(
    settings: Settings, debtor: Debtor, recorded: RecordedPayment
) -> dict[str, Any]:
    """What the receipt and the staff alerts say."""
    payment = recorded.payment
    remaining = sum(
        invoice.balance_cents
        for invoice in await Invoice.filter(debtor_id=debtor.id).exclude(status__in=CLOSED_STATUSES)
    )
    return {
        "debtor_name": debtor.name,
        "debtor_ref": debtor.external_ref,
        "company": settings.company_name,
        "amount_cents": payment.amount_cents,
        # Not "currency"/"invoices": the dispatcher gives those names to reminder data.
        "payment_currency": payment.currency,
        "method": payment.method.value,
        "paid_invoices": [
            {
                "number": invoice.number,
                "cents": cents,
                "settled": invoice.status is InvoiceStatus.PAID,
            }
            for invoice, cents in recorded.shares
        ],
        "invoice_ids": [invoice.id for invoice, _ in recorded.shares],
        "discount_cents": recorded.discount_granted_cents,
        "instalment_seq": recorded.instalment.seq if recorded.instalment else None,
        "plan_completed": recorded.plan_completed,
        "remaining_cents": remaining,
        "unallocated_cents": payment.unallocated_cents,
    }
