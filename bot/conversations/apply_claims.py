"""Applying a payment claim ("I already paid") and a dispute: the rows, the cadence paused or
the invoices taken out of it, and the staff card with its buttons.
"""

from __future__ import annotations

import datetime as dt

from bot.conversations.exchange import (
    DISPUTE_OPENED,
    PAYMENT_CLAIM,
    Exchange,
    alert,
    attachment_summary,
    audit,
)
from bot.flows.effects import ClaimPaid, OpenDispute
from bot.models import Dispute, DisputeReason, Invoice, InvoiceStatus, PaymentClaim


async def claim_paid(exchange: Exchange, effect: ClaimPaid) -> None:
    claim = await PaymentClaim.create(
        debtor=exchange.debtor,
        paid_on=effect.date,
        attachments=list(effect.attachments),
        invoice_ids=exchange.invoice_ids,
    )
    days = exchange.runtime.policy.already_paid.pause_days
    pause_until = exchange.now + dt.timedelta(days=days)
    if exchange.debtor.paused_until is None or exchange.debtor.paused_until < pause_until:
        exchange.debtor.paused_until = pause_until
        await exchange.debtor.save(update_fields=["paused_until", "updated_at"])
    await alert(
        exchange,
        PAYMENT_CLAIM,
        exchange.staff_buttons("claim", claim.id, "confirm", "notfound"),
        claim_id=claim.id,
        paid_date=effect.date.isoformat(),
        total_cents=exchange.ctx.balance_cents,
        currency=exchange.ctx.currency,
        invoices=[invoice.number for invoice in exchange.invoices],
        attachments=attachment_summary(effect.attachments),
        pause_days=days,
    )
    await audit(
        exchange,
        "flow.claim_paid",
        f"claim:{claim.id}",
        paid_on=effect.date.isoformat(),
        attachments=len(effect.attachments),
        paused_until=pause_until.isoformat(),
    )


async def open_dispute(exchange: Exchange, effect: OpenDispute) -> None:
    chosen = next((i for i in exchange.invoices if i.number == effect.invoice_number), None)
    disputed = [chosen] if chosen is not None else list(exchange.invoices)
    reason = (
        DisputeReason(effect.reason)
        if effect.reason in {r.value for r in DisputeReason}
        else DisputeReason.OTHER
    )
    dispute = await Dispute.create(
        debtor=exchange.debtor,
        invoice=chosen,
        reason=reason,
        text=effect.text,
        attachments=list(effect.attachments),
    )
    await Invoice.filter(id__in=[invoice.id for invoice in disputed]).update(
        status=InvoiceStatus.DISPUTED
    )
    await alert(
        exchange,
        DISPUTE_OPENED,
        exchange.staff_buttons("dispute", dispute.id, "resolve", "cancel_invoice", "resume"),
        dispute_id=dispute.id,
        reason=reason.value,
        text=effect.text,
        invoices=[invoice.number for invoice in disputed],
        total_cents=sum(invoice.balance_cents for invoice in disputed),
        currency=exchange.ctx.currency,
        attachments=attachment_summary(effect.attachments),
    )
    await audit(
        exchange,
        "flow.dispute",
        f"dispute:{dispute.id}",
        reason=reason.value,
        invoices=[invoice.number for invoice in disputed],
    )
