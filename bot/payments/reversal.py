"""Reversing a payment, wholly or partly: a refund, a dispute, a debit that failed after it was
counted, a RiBa that came back unpaid (docs/payments.md, "Refunds, disputes, SEPA, RiBa").

One transaction each: the allocations are undone by the rule of bot/payments/reversal_plan.py
(money not on any invoice first, then the newest invoice first), the invoices reopen (open or
partly paid; overdue is what their due date says), the debtor's reminders wait the policy's
`[payments] reopen_grace_days`, staff get one alert (bot/payments/reversal_alerts.py) and the
audit trail one event.

Idempotent and order-independent, keyed by the provider's id for the reversal (refund id,
dispute id, RiBa item): the same news twice lands once. News of a reversal that comes before the
payment it reverses is kept WAITING and applied when the payment is recorded (`apply_waiting`).
`restore` undoes a reversal (a dispute won, a refund that failed); `final=True` makes the state
stay whatever comes later (a dispute closed, a refund failed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from bot.models import (
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentReversal,
    PaymentStatus,
    ReversalKind,
    ReversalStatus,
)
from bot.payments.receipts import audit
from bot.payments.reversal_alerts import Reopened, alert_restored, alert_reversed
from bot.payments.reversal_plan import Share, plan_undo


@dataclass(frozen=True)
class ReversalNews:
    """What a provider told us: `key` is its id for the reversal, `payment_ref` the payment's."""

    key: str
    payment_ref: str
    kind: ReversalKind
    amount_cents: int
    reason: str = ""


def status_reopened(invoice: Invoice) -> InvoiceStatus:
    """An invoice whose payments changed: paid, partly paid or open; a plan or dispute stays."""
    if invoice.status in (InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF):
        return invoice.status
    if invoice.balance_cents == 0:
        return InvoiceStatus.PAID
    if invoice.status in (InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED):
        return invoice.status
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN


async def reverse(news: ReversalNews, now: dt.datetime, grace_days: int) -> str:
    """Apply `news`; returns what happened in a word: reversed, waiting, already, final."""
    async with in_transaction():
        row = await PaymentReversal.filter(key=news.key).select_for_update().first()
        payment = await _payment(news.payment_ref)
        if row is not None and row.status is ReversalStatus.WAITING and payment is not None:
            row.payment = payment  # it waited for a payment recorded since by another path
            await _apply(row, payment, now, grace_days)
            return "reversed"
        if row is not None:
            return "final" if row.final else "already"
        row = await PaymentReversal.create(
            key=news.key,
            payment=payment,
            payment_ref=news.payment_ref,
            kind=news.kind,
            status=ReversalStatus.WAITING,
            amount_cents=news.amount_cents,
            reason=news.reason[:255],
        )
        if payment is None:
            await audit("reversal_waiting", f"reversal:{row.id}", {"payment_ref": news.payment_ref})
            return "waiting"
        await _apply(row, payment, now, grace_days)
        return "reversed"


async def apply_waiting(payment_ref: str, now: dt.datetime, grace_days: int) -> int:
    """The reversals that came before payment `payment_ref` was recorded, applied now."""
    applied = 0
    async with in_transaction():
        payment = await _payment(payment_ref)
        if payment is None:
            return 0
        rows = (
            await PaymentReversal.filter(payment_ref=payment_ref, status=ReversalStatus.WAITING)
            .order_by("id")
            .select_for_update()
        )
        for row in rows:
            row.payment = payment
            await _apply(row, payment, now, grace_days)
            applied += 1
    return applied


async def mark_final(news: ReversalNews, now: dt.datetime, grace_days: int) -> str:
    """The reversal stands for good (a dispute lost): applied now if it was not yet."""
    outcome = await reverse(news, now, grace_days)
    async with in_transaction():
        row = await PaymentReversal.filter(key=news.key).select_for_update().first()
        if row is None or row.final:
            return outcome
        row.final = True
        await row.save(update_fields=["final", "updated_at"])
    return "reversed_final" if outcome == "reversed" else "final"


async def restore(news: ReversalNews, now: dt.datetime, *, final: bool) -> str:
    """Undo the reversal `news.key` (a dispute won, a refund that failed): restored, void,
    already. Known for the first time here: kept VOID so its later news changes nothing."""
    async with in_transaction():
        row = await PaymentReversal.filter(key=news.key).select_for_update().first()
        if row is None:
            await PaymentReversal.create(
                key=news.key,
                payment=await _payment(news.payment_ref),
                payment_ref=news.payment_ref,
                kind=news.kind,
                status=ReversalStatus.VOID,
                amount_cents=news.amount_cents,
                reason=news.reason[:255],
                final=final,
            )
            return "void"
        if row.final:
            return "final"
        outcome = "already"
        if row.status is ReversalStatus.WAITING:
            row.status, outcome = ReversalStatus.VOID, "void"
        elif row.status is ReversalStatus.APPLIED:
            await _put_back(row, now)
            row.status, outcome = ReversalStatus.RESTORED, "restored"
        row.final = final
        await row.save(update_fields=["status", "final", "updated_at"])
        return outcome


async def _payment(payment_ref: str) -> Payment | None:
    payment = await Payment.filter(provider_ref=payment_ref).select_for_update().first()
    if payment is None or payment.status is not PaymentStatus.SUCCEEDED:
        return None
    return payment


async def _still_held(payment: Payment) -> dict[int, tuple[PaymentAllocation, Invoice]]:
    allocations = await PaymentAllocation.filter(payment_id=payment.id).select_for_update()
    invoice_ids = [a.invoice_id for a in allocations]  # type: ignore[attr-defined]
    invoices = {i.id: i for i in await Invoice.filter(id__in=invoice_ids).select_for_update()}
    return {a.invoice_id: (a, invoices[a.invoice_id]) for a in allocations}  # type: ignore[attr-defined]


async def _apply(row: PaymentReversal, payment: Payment, now: dt.datetime, grace: int) -> None:
    held = await _still_held(payment)
    shares = [Share(i.id, i.due_date, a.amount_cents) for a, i in held.values()]
    undo = plan_undo(row.amount_cents, payment.unallocated_cents, shares)
    done = Reopened(reversal=row, payment=payment)
    for invoice_id, cents in undo.shares:
        allocation, invoice = held[invoice_id]
        allocation.amount_cents -= cents
        if allocation.amount_cents == 0:
            await allocation.delete()
        else:
            await allocation.save(update_fields=["amount_cents"])
        invoice.paid_cents -= cents
        invoice.status = status_reopened(invoice)
        await invoice.save(update_fields=["paid_cents", "status", "updated_at"])
        done.invoices.append(invoice)
    if undo.from_unallocated:
        payment.unallocated_cents -= undo.from_unallocated
        await payment.save(update_fields=["unallocated_cents"])
    row.status = ReversalStatus.APPLIED
    row.undone = [list(share) for share in undo.shares]
    row.unallocated_cents = undo.from_unallocated
    await row.save(update_fields=["payment_id", "status", "undone", "unallocated_cents"])
    debtor = await Debtor.get(id=payment.debtor_id)  # type: ignore[attr-defined]
    if grace > 0 and done.invoices:
        resume = now + dt.timedelta(days=grace)
        if debtor.paused_until is None or debtor.paused_until < resume:
            debtor.paused_until = resume
            await debtor.save(update_fields=["paused_until", "updated_at"])
        done.resume_on = debtor.paused_until
    await audit(
        "payment_reversed",
        f"payment:{payment.id}",
        {
            "key": row.key,
            "kind": row.kind.value,
            "amount_cents": row.amount_cents,
            "undone": row.undone,
            "from_unallocated": undo.from_unallocated,
            "beyond_cents": undo.beyond_cents,
        },
        actor=row.kind.value,
    )
    await alert_reversed(done, debtor, now)


async def _put_back(row: PaymentReversal, now: dt.datetime) -> None:
    """The undone shares allocated again, each within what its invoice still owes; the rest is
    the payment's unallocated money (staff see it in the alert)."""
    payment = await Payment.filter(id=row.payment_id).select_for_update().get()  # type: ignore[attr-defined]
    held = await _still_held(payment)
    invoices = {i.id: i for i in await Invoice.filter(id__in=[s[0] for s in row.undone])}
    invoices.update({i.id: i for _, i in held.values()})
    unallocated = row.unallocated_cents
    restored: list[Invoice] = []
    for invoice_id, cents in row.undone:
        invoice = invoices[invoice_id]
        take = min(cents, invoice.balance_cents)
        unallocated += cents - take
        if take <= 0:
            continue
        allocation = held.get(invoice_id, (None, None))[0]
        if allocation is None:
            await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=take)
        else:
            allocation.amount_cents += take
            await allocation.save(update_fields=["amount_cents"])
        invoice.paid_cents += take
        invoice.status = status_reopened(invoice)
        await invoice.save(update_fields=["paid_cents", "status", "updated_at"])
        restored.append(invoice)
    if unallocated:
        payment.unallocated_cents += unallocated
        await payment.save(update_fields=["unallocated_cents"])
    debtor = await Debtor.get(id=payment.debtor_id)  # type: ignore[attr-defined]
    await audit(
        "payment_restored",
        f"payment:{payment.id}",
        {
            "key": row.key,
            "kind": row.kind.value,
            "restored": row.undone,
            "unallocated": unallocated,
        },
        actor=row.kind.value,
    )
    await alert_restored(row, payment, debtor, restored, unallocated, now)
