"""Staff decisions on a dispute: resolved (the invoice back in the cadence), the invoice
cancelled, or chasing resumed.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bot.conversations.notify import tell_debtor
from bot.decisions.common import Decision, Verdict, audit, check_authority, lock_undecided, name_of
from bot.flows.context import ReplySpec
from bot.models import (
    CLOSED_STATUSES,
    Debtor,
    Dispute,
    DisputeStatus,
    Invoice,
    InvoiceStatus,
    StaffMember,
)
from bot.runtime import Runtime

DISPUTE_TEMPLATES = {
    DisputeStatus.RESOLVED: "decisions/dispute_resolved.txt",
    DisputeStatus.INVOICE_CANCELLED: "decisions/dispute_invoice_cancelled.txt",
    DisputeStatus.CHASING_RESUMED: "decisions/dispute_chasing_resumed.txt",
}

_DISPUTE_VERDICTS = {
    DisputeStatus.RESOLVED: Verdict.RESOLVED,
    DisputeStatus.INVOICE_CANCELLED: Verdict.INVOICE_CANCELLED,
    DisputeStatus.CHASING_RESUMED: Verdict.CHASING_RESUMED,
}


def _invoice_status_after(invoice: Invoice, outcome: DisputeStatus) -> InvoiceStatus:
    """Cancelled, or back in the cadence: open, or partially paid when something was paid."""
    if outcome is DisputeStatus.INVOICE_CANCELLED:
        return InvoiceStatus.CANCELLED
    if invoice.balance_cents == 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN


async def _disputed_invoices(dispute: Dispute) -> list[Invoice]:
    """The invoices a dispute covers: its own, or (a dispute of everything) the debtor's disputed
    invoices that no other open dispute names."""
    if dispute.invoice_id is not None:  # type: ignore[attr-defined]
        invoice = await Invoice.get_or_none(id=dispute.invoice_id)  # type: ignore[attr-defined]
        return [invoice] if invoice is not None else []
    named = await (
        Dispute.filter(
            debtor_id=dispute.debtor_id,  # type: ignore[attr-defined]
            status=DisputeStatus.OPEN,
            invoice_id__isnull=False,
        )
        .exclude(id=dispute.id)
        .values_list("invoice_id", flat=True)
    )
    return await (
        Invoice.filter(debtor_id=dispute.debtor_id, status=InvoiceStatus.DISPUTED)  # type: ignore[attr-defined]
        .exclude(id__in=list(named))
        .order_by("due_date", "id")
    )


async def _decide_dispute(
    runtime: Runtime, dispute: Dispute, staff: StaffMember | None, outcome: DisputeStatus
) -> Decision:
    subject = f"dispute:{dispute.id}"
    action = f"dispute.{outcome.value}"
    async with in_transaction():
        locked = await lock_undecided(
            Dispute, dispute.id, subject, staff, action, (DisputeStatus.OPEN,), "resolved_by_id"
        )
        if isinstance(locked, Decision):
            return locked
        invoices = await _disputed_invoices(locked)
        amount = sum(invoice.balance_cents for invoice in invoices)
        currency = invoices[0].currency if invoices else "EUR"
        refused = await check_authority(staff, action, subject, amount, currency)
        if refused:
            return refused
        locked.status = outcome
        locked.resolved_by = staff
        locked.resolved_at = runtime.now()
        await locked.save(update_fields=["status", "resolved_by_id", "resolved_at"])
        for invoice in invoices:
            cancel = outcome is DisputeStatus.INVOICE_CANCELLED
            if invoice.status is InvoiceStatus.DISPUTED or (
                cancel and invoice.status not in CLOSED_STATUSES
            ):
                invoice.status = _invoice_status_after(invoice, outcome)
                await invoice.save(update_fields=["status", "updated_at"])
        numbers = [invoice.number for invoice in invoices]
        await audit(staff, action, subject, invoices=numbers, amount_cents=amount)
        debtor = await Debtor.get(id=locked.debtor_id)
    dispute.status = locked.status
    context = {
        "invoice_number": ", ".join(numbers),
        "invoice_count": len(numbers),
        "amount_cents": amount,
        "currency": currency,
    }
    await tell_debtor(runtime, debtor, [ReplySpec(DISPUTE_TEMPLATES[outcome], context)])
    return Decision(_DISPUTE_VERDICTS[outcome], subject, name_of(staff), amount, currency)


async def resolve_dispute(
    runtime: Runtime, dispute: Dispute, staff: StaffMember | None
) -> Decision:
    """Settled or explained: the dispute closes and the invoice goes back to the cadence."""
    return await _decide_dispute(runtime, dispute, staff, DisputeStatus.RESOLVED)


async def cancel_disputed_invoice(
    runtime: Runtime, dispute: Dispute, staff: StaffMember | None
) -> Decision:
    return await _decide_dispute(runtime, dispute, staff, DisputeStatus.INVOICE_CANCELLED)


async def resume_chasing(runtime: Runtime, dispute: Dispute, staff: StaffMember | None) -> Decision:
    return await _decide_dispute(runtime, dispute, staff, DisputeStatus.CHASING_RESUMED)
