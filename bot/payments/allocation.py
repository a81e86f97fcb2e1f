"""Recording a payment and allocating it to the debtor's invoices.

The rule (`allocate`): the payment goes first to what it was for (the pay link's invoices, or the
invoices of the instalment's plan), then to the debtor's other open invoices, oldest due date
first. Disputed invoices only receive money they were explicitly paid for. Whatever is left is
recorded on the payment as unallocated and flagged to staff: an overpayment is never lost.

A discount payment that covers the discounted amount settles its invoices in full: the part not
paid is recorded as `discount_cents` on each invoice. An instalment payment settles that
instalment; the plan completes when every instalment is paid.

Recording is idempotent by `provider_ref` (Stripe PaymentIntent id, bank line id): the same
payment reported twice lands once. Everything happens in one transaction together with its
outbox rows (receipt to the debtor, alert to staff) and audit events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from bot.config import Settings
from bot.models import (
    CHASEABLE_STATUSES,
    CLOSED_STATUSES,
    AuditEvent,
    Debtor,
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
from bot.outbox import queue_message, queue_staff_alert

RECEIPT_TEMPLATE = "payments/receipt.txt"
STAFF_RECEIVED_TEMPLATE = "payments/staff_payment_received.txt"
STAFF_OVERPAYMENT_TEMPLATE = "payments/staff_overpayment.txt"
STAFF_FAILED_TEMPLATE = "payments/staff_payment_failed.txt"


@dataclass(frozen=True)
class InvoiceBalance:
    id: int
    balance_cents: int


@dataclass(frozen=True)
class Allocation:
    shares: tuple[tuple[int, int], ...]  # (invoice id, cents), in allocation order
    unallocated_cents: int


def allocate(
    amount_cents: int, first: Sequence[InvoiceBalance], then: Sequence[InvoiceBalance]
) -> Allocation:
    """Spread an amount over invoices: `first` in order, then `then` in order; the rest is left."""
    left = amount_cents
    shares: list[tuple[int, int]] = []
    seen: set[int] = set()
    for invoice in [*first, *then]:
        if left <= 0:
            break
        if invoice.id in seen or invoice.balance_cents <= 0:
            continue
        seen.add(invoice.id)
        share = min(left, invoice.balance_cents)
        shares.append((invoice.id, share))
        left -= share
    return Allocation(shares=tuple(shares), unallocated_cents=max(left, 0))


@dataclass(frozen=True)
class PaymentTarget:
    """What a payment was meant for, as our link or the bank reference says."""

    invoice_ids: tuple[int, ...] = ()
    instalment_id: int | None = None
    # For a discount in force: paying at least this much settles `invoice_ids` in full.
    discount_cents: int | None = None
    pay_link_id: int | None = None
    purpose: str = ""


@dataclass
class RecordedPayment:
    payment: Payment
    shares: list[tuple[Invoice, int]] = field(default_factory=list)
    discount_granted_cents: int = 0
    newly_paid: list[Invoice] = field(default_factory=list)
    instalment: Instalment | None = None
    plan_completed: bool = False

    @property
    def unallocated_cents(self) -> int:
        return self.payment.unallocated_cents


def _status_after(invoice: Invoice) -> InvoiceStatus:
    if invoice.balance_cents == 0:
        return InvoiceStatus.PAID
    if invoice.status in (InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED):
        return invoice.status
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN


async def _audit(action: str, subject: str, data: dict[str, Any], actor: str = "system") -> None:
    await AuditEvent.create(actor=actor, action=action, subject=subject, data=data)


async def record_payment(
    settings: Settings,
    now: dt.datetime,
    *,
    debtor_id: int,
    amount_cents: int,
    currency: str,
    method: PaymentMethod,
    provider_ref: str,
    received_at: dt.datetime,
    target: PaymentTarget = PaymentTarget(),
    note: str = "",
    actor: str = "system",
) -> RecordedPayment | None:
    """Record a received payment and allocate it; None when `provider_ref` was already recorded.

    A payment recorded earlier as pending (SEPA) is settled here.
    """
    if amount_cents <= 0:
        raise ValueError("a payment amount must be positive")
    async with in_transaction():
        payment = await Payment.filter(provider_ref=provider_ref).select_for_update().first()
        if payment is not None and payment.status is not PaymentStatus.PENDING:
            return None
        if payment is None:
            payment = await Payment.create(
                debtor_id=debtor_id,
                amount_cents=amount_cents,
                currency=currency.upper(),
                method=method,
                status=PaymentStatus.SUCCEEDED,
                provider_ref=provider_ref,
                received_at=received_at,
                note=note,
            )
        else:
            payment.status = PaymentStatus.SUCCEEDED
            payment.amount_cents = amount_cents
            payment.received_at = received_at
            await payment.save(update_fields=["status", "amount_cents", "received_at"])
        recorded = await _allocate_and_settle(payment, target)
        await _announce(settings, now, recorded, target, actor)
        return recorded


async def record_pending(
    now: dt.datetime,
    *,
    debtor_id: int,
    amount_cents: int,
    currency: str,
    method: PaymentMethod,
    provider_ref: str,
    note: str = "",
) -> Payment | None:
    """A payment that started but settles later (SEPA). None when this payment is already known

    (for instance the success arrived first): its later state wins, whatever the order.
    """
    async with in_transaction():
        if await Payment.exists(provider_ref=provider_ref):
            return None
        payment = await Payment.create(
            debtor_id=debtor_id,
            amount_cents=amount_cents,
            currency=currency.upper(),
            method=method,
            status=PaymentStatus.PENDING,
            provider_ref=provider_ref,
            received_at=now,
            note=note,
        )
        await _audit(
            "payment_pending",
            f"payment:{payment.id}",
            {"debtor": debtor_id, "amount_cents": amount_cents, "provider_ref": provider_ref},
        )
        return payment


async def record_failure(
    now: dt.datetime,
    *,
    debtor_id: int,
    amount_cents: int,
    currency: str,
    method: PaymentMethod,
    provider_ref: str,
    reason: str = "",
) -> Payment | None:
    """A started payment failed (a SEPA debit bounced): nothing is paid, staff are told.

    None when the payment had already succeeded or failed: nothing changes then.
    """
    async with in_transaction():
        payment = await Payment.filter(provider_ref=provider_ref).select_for_update().first()
        if payment is not None and payment.status is not PaymentStatus.PENDING:
            return None
        if payment is None:
            # The failure came before the news that it started: keep it, so a late
            # "started" event does not make it look pending again.
            payment = await Payment.create(
                debtor_id=debtor_id,
                amount_cents=amount_cents,
                currency=currency.upper(),
                method=method,
                status=PaymentStatus.FAILED,
                provider_ref=provider_ref,
                received_at=now,
                note=reason,
            )
        else:
            payment.status = PaymentStatus.FAILED
            payment.note = reason
            await payment.save(update_fields=["status", "note"])
        debtor = await Debtor.get(id=debtor_id)
        await _audit(
            "payment_failed",
            f"payment:{payment.id}",
            {"debtor": debtor_id, "amount_cents": amount_cents, "reason": reason},
        )
        await queue_staff_alert(
            STAFF_FAILED_TEMPLATE,
            {
                "debtor_name": debtor.name,
                "debtor_ref": debtor.external_ref,
                "amount_cents": amount_cents,
                "payment_currency": payment.currency,
                "reason": reason,
            },
            now=now,
            debtor=debtor,
            idempotency_key=f"payment-failed:{payment.id}",
        )
        return payment


async def _allocate_and_settle(payment: Payment, target: PaymentTarget) -> RecordedPayment:
    debtor_id: int = payment.debtor_id  # type: ignore[attr-defined]
    recorded = RecordedPayment(payment=payment)
    invoices = (
        await Invoice.filter(debtor_id=debtor_id)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("due_date", "id")
        .select_for_update()
    )
    by_id = {invoice.id: invoice for invoice in invoices}

    first_ids = set(target.invoice_ids)
    instalment = None
    if target.instalment_id is not None:
        instalment = await Instalment.get_or_none(id=target.instalment_id).prefetch_related("plan")
        if instalment is not None and not first_ids:
            first_ids = {int(i) for i in instalment.plan.invoice_ids}
    first = [
        InvoiceBalance(i.id, i.balance_cents)
        for i in invoices
        if i.id in first_ids  # keeps oldest-first order within the purpose
    ]
    then = [
        InvoiceBalance(i.id, i.balance_cents)
        for i in invoices
        if i.id not in first_ids and i.status is not InvoiceStatus.DISPUTED
    ]
    plan = allocate(payment.amount_cents, first, then)

    for invoice_id, cents in plan.shares:
        invoice = by_id[invoice_id]
        invoice.paid_cents += cents
        await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=cents)
        recorded.shares.append((invoice, cents))

    if target.discount_cents is not None and payment.amount_cents >= target.discount_cents:
        for item in first:
            invoice = by_id[item.id]
            if invoice.balance_cents > 0:
                recorded.discount_granted_cents += invoice.balance_cents
                invoice.discount_cents += invoice.balance_cents

    touched = {invoice.id: invoice for invoice, _ in recorded.shares}
    if recorded.discount_granted_cents:
        touched.update({item.id: by_id[item.id] for item in first})
    for invoice in touched.values():
        before = invoice.status
        invoice.status = _status_after(invoice)
        await invoice.save(update_fields=["paid_cents", "discount_cents", "status", "updated_at"])
        if invoice.status is InvoiceStatus.PAID and before is not InvoiceStatus.PAID:
            recorded.newly_paid.append(invoice)

    if plan.unallocated_cents:
        payment.unallocated_cents = plan.unallocated_cents
        await payment.save(update_fields=["unallocated_cents"])

    if instalment is not None:
        recorded.instalment = instalment
        recorded.plan_completed = await _settle_instalment(instalment, payment.amount_cents)
    return recorded


async def _settle_instalment(instalment: Instalment, amount_cents: int) -> bool:
    """Credit the instalment; True when this completed its plan."""
    left = max(instalment.amount_cents - instalment.paid_cents, 0)
    instalment.paid_cents += min(amount_cents, left)
    if instalment.paid_cents >= instalment.amount_cents:
        instalment.status = InstalmentStatus.PAID
    await instalment.save(update_fields=["paid_cents", "status"])
    plan: PaymentPlan = instalment.plan
    statuses = await Instalment.filter(plan_id=plan.id).values_list("status", flat=True)
    all_paid = bool(statuses) and all(status == InstalmentStatus.PAID for status in statuses)
    if all_paid and plan.status is not PlanStatus.COMPLETED:
        plan.status = PlanStatus.COMPLETED
        await plan.save(update_fields=["status"])
        return True
    return False


def _invoice_ids_named(context: object) -> list[int]:
    """The invoices a queued reminder is about: `invoice_ids`, or the ids in `invoices`."""
    if not isinstance(context, dict):
        return []
    ids = context.get("invoice_ids") or [
        entry["id"] for entry in context.get("invoices", ()) if isinstance(entry, dict)
    ]
    return [int(i) for i in ids if str(i).isdigit()]


async def _cancel_reminders(debtor_id: int) -> int:
    """Paid invoices leave the cadence: pending reminders about them are no longer due.

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
        named = set(_invoice_ids_named(message.context))
        about_paid_only = bool(named) and not (named & still_open)
        if still_open and not about_paid_only:
            continue
        message.status = MessageStatus.CANCELLED
        message.last_error = "cancelled: paid"
        await message.save(update_fields=["status", "last_error", "updated_at"])
        cancelled += 1
    return cancelled


async def _announce(
    settings: Settings,
    now: dt.datetime,
    recorded: RecordedPayment,
    target: PaymentTarget,
    actor: str,
) -> None:
    payment = recorded.payment
    debtor = await Debtor.get(id=payment.debtor_id)  # type: ignore[attr-defined]
    subject = f"payment:{payment.id}"
    await _audit(
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
        await _audit("invoice_paid", f"invoice:{invoice.number}", {"payment": payment.id}, actor)
    if recorded.discount_granted_cents:
        await _audit(
            "discount_granted",
            subject,
            {"cents": recorded.discount_granted_cents, "invoices": list(target.invoice_ids)},
            actor,
        )
    if recorded.instalment is not None:
        await _audit(
            "instalment_paid"
            if recorded.instalment.status is InstalmentStatus.PAID
            else "instalment_part_paid",
            f"instalment:{recorded.instalment.id}",
            {"payment": payment.id, "paid_cents": recorded.instalment.paid_cents},
            actor,
        )
    if recorded.plan_completed and recorded.instalment is not None:
        await _audit("plan_completed", f"plan:{recorded.instalment.plan.id}", {}, actor)
    if recorded.newly_paid:
        cancelled = await _cancel_reminders(debtor.id)
        if cancelled:
            await _audit("reminders_cancelled", f"debtor:{debtor.id}", {"count": cancelled})

    remaining = sum(
        invoice.balance_cents
        for invoice in await Invoice.filter(debtor_id=debtor.id).exclude(status__in=CLOSED_STATUSES)
    )
    context: dict[str, Any] = {
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
        await _audit(
            "overpayment_flagged",
            subject,
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
