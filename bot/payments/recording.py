"""Recording a payment: allocated to the debtor's invoices (bot/payments/allocation.py) in one
transaction, with its receipt, staff alerts and audit events (bot/payments/receipts.py).

A discount payment that covers the discounted amount settles its invoices in full: the part not
paid is recorded as `discount_cents` on each invoice. An instalment payment settles that
instalment; the plan completes when every instalment is paid.

Recording is idempotent by `provider_ref` (Stripe PaymentIntent id, bank line id): the same
payment reported twice lands once. Everything happens in one transaction together with its
outbox rows (receipt to the debtor, alert to staff) and audit events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from bot.config import Settings
from bot.models import (
    CLOSED_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
)
from bot.outbox import queue_staff_alert
from bot.payments.allocation import InvoiceBalance, PaymentTarget, RecordedPayment, allocate
from bot.payments.receipts import announce, audit

STAFF_FAILED_TEMPLATE = "payments/staff_payment_failed.txt"
NO_TARGET = PaymentTarget()  # a payment that names nothing: oldest invoices first


def _status_after(invoice: Invoice) -> InvoiceStatus:
    if invoice.balance_cents == 0:
        return InvoiceStatus.PAID
    if invoice.status in (InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED):
        return invoice.status
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN


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
    target: PaymentTarget = NO_TARGET,
    note: str = "",
    actor: str = "system",
) -> RecordedPayment | None:
    """Record a received payment and allocate it; None when `provider_ref` was already recorded.

    A payment recorded earlier as pending (SEPA) is settled here.
    """
    if amount_cents <= 0:
        raise ValueError("a payment amount must be positive")
    async with in_transaction():
        payment = await _settle_pending(
            provider_ref,
            PaymentStatus.SUCCEEDED,
            new={
                "debtor_id": debtor_id,
                "currency": currency.upper(),
                "method": method,
                "note": note,
            },
            changes={"amount_cents": amount_cents, "received_at": received_at},
        )
        if payment is None:
            return None
        recorded = await _allocate_and_settle(payment, target)
        await announce(settings, now, recorded, target, actor)
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
        await audit(
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
        # A failure that comes before the news that it started is kept, so a late "started"
        # event does not make it look pending again.
        payment = await _settle_pending(
            provider_ref,
            PaymentStatus.FAILED,
            new={
                "debtor_id": debtor_id,
                "amount_cents": amount_cents,
                "currency": currency.upper(),
                "method": method,
                "received_at": now,
            },
            changes={"note": reason},
        )
        if payment is None:
            return None
        debtor = await Debtor.get(id=debtor_id)
        await audit(
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


async def _settle_pending(
    provider_ref: str,
    status: PaymentStatus,
    *,
    new: dict[str, Any],
    changes: dict[str, Any],
) -> Payment | None:
    """Inside the caller's transaction: payment `provider_ref` moved to `status` — created from
    `new` and `changes` when it is not known yet, `changes` written over it when it is pending.
    None when it is known and no longer pending (succeeded or failed): nothing changes then."""
    payment = await Payment.filter(provider_ref=provider_ref).select_for_update().first()
    if payment is None:
        return await Payment.create(provider_ref=provider_ref, status=status, **new, **changes)
    if payment.status is not PaymentStatus.PENDING:
        return None
    payment.status = status
    for name, value in changes.items():
        setattr(payment, name, value)
    await payment.save(update_fields=["status", *changes])
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
    plan = allocate(max(payment.amount_cents - target.extra_cents, 0), first, then)

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
