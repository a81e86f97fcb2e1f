"""Staff decisions on "I already paid": the payment found (recorded as a manual payment on the
claimed invoices) or not found; either way the cadence's pause for the claim ends.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from bot.conversations.notify import tell_debtor
from bot.decisions.common import (
    Decision,
    Verdict,
    actor_of,
    audit,
    check_authority,
    lock_undecided,
    name_of,
)
from bot.flows.context import ReplySpec
from bot.models import (
    CLOSED_STATUSES,
    ClaimStatus,
    Debtor,
    Invoice,
    PaymentClaim,
    PaymentMethod,
    StaffMember,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.runtime import Runtime

CLAIM_TEMPLATES = {
    ClaimStatus.CONFIRMED: "decisions/claim_confirmed.txt",
    ClaimStatus.NOT_FOUND: "decisions/claim_not_found.txt",
}


async def _claimed_invoices(claim: PaymentClaim) -> list[Invoice]:
    query = Invoice.filter(debtor_id=claim.debtor_id).exclude(status__in=CLOSED_STATUSES)
    if claim.invoice_ids:
        query = query.filter(id__in=claim.invoice_ids)
    return await query.order_by("due_date", "id")


async def _decide_claim(
    runtime: Runtime, claim: PaymentClaim, staff: StaffMember | None, found: bool
) -> Decision:
    subject = f"claim:{claim.id}"
    action = "claim.confirm" if found else "claim.not_found"
    now = runtime.now()
    async with in_transaction():
        locked = await lock_undecided(
            PaymentClaim, claim.id, subject, staff, action, (ClaimStatus.PENDING,)
        )
        if isinstance(locked, Decision):
            return locked
        invoices = await _claimed_invoices(locked)
        amount = sum(invoice.balance_cents for invoice in invoices)
        currency = invoices[0].currency if invoices else "EUR"
        refused = await check_authority(staff, action, subject, amount, currency)
        if refused:
            return refused
        locked.status = ClaimStatus.CONFIRMED if found else ClaimStatus.NOT_FOUND
        locked.decided_by = staff
        locked.decided_at = now
        await locked.save(update_fields=["status", "decided_by_id", "decided_at"])
        if found and amount > 0:
            paid_on = locked.paid_on or runtime.today()
            await record_payment(
                runtime.settings,
                now,
                debtor_id=locked.debtor_id,
                amount_cents=amount,
                currency=currency,
                method=PaymentMethod.MANUAL,
                provider_ref=f"manual:claim:{locked.id}",
                # A day without an hour: noon, company time, as for a bank credit.
                received_at=dt.datetime.combine(paid_on, dt.time(12), runtime.settings.zone),
                target=PaymentTarget(invoice_ids=tuple(i.id for i in invoices), purpose="claim"),
                note=f"confirmed by {staff.name if staff else 'system'}",
                actor=actor_of(staff),
            )
        # The claim paused the cadence; either way the pause is over.
        await Debtor.filter(id=locked.debtor_id).update(paused_until=None)
        await audit(
            staff, "claim.confirmed" if found else "claim.not_found", subject, amount_cents=amount
        )
        debtor = await Debtor.get(id=locked.debtor_id)
    claim.status = locked.status
    template = CLAIM_TEMPLATES[locked.status]
    spec = ReplySpec(
        template, {"amount_cents": amount, "currency": currency, "paid_on": locked.paid_on}
    )
    await tell_debtor(runtime, debtor, [spec])
    verdict = Verdict.CONFIRMED if found else Verdict.NOT_FOUND
    return Decision(verdict, subject, name_of(staff), amount, currency)


async def confirm_claim(
    runtime: Runtime, claim: PaymentClaim, staff: StaffMember | None
) -> Decision:
    return await _decide_claim(runtime, claim, staff, found=True)


async def claim_not_found(
    runtime: Runtime, claim: PaymentClaim, staff: StaffMember | None
) -> Decision:
    return await _decide_claim(runtime, claim, staff, found=False)
