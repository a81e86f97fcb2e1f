"""Staff decisions on a discount above the policy's threshold: approve (the debtor gets the
discounted link) or reject.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bot.conversations.notify import tell_debtor
from bot.conversations.store import debtor_context
from bot.decisions.common import Decision, Verdict, audit, check_authority, lock_undecided, name_of
from bot.flows import decided
from bot.models import Debtor, DiscountRequest, RequestStatus, StaffMember
from bot.payments.links import make_pay_link
from bot.runtime import Runtime


async def _decide_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None, approve: bool
) -> Decision:
    subject = f"discount:{request.id}"
    action = "discount.approve" if approve else "discount.reject"
    async with in_transaction():
        locked = await lock_undecided(
            DiscountRequest, request.id, subject, staff, action, (RequestStatus.PENDING,)
        )
        if isinstance(locked, Decision):
            return locked
        refused = await check_authority(
            staff, action, subject, locked.balance_cents, locked.currency
        )
        if refused:
            return refused
        locked.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        locked.decided_by = staff
        locked.decided_at = runtime.now()
        await locked.save(update_fields=["status", "decided_by_id", "decided_at"])
        debtor = await Debtor.get(id=locked.debtor_id)
        url = ""
        if approve:
            url = await make_pay_link(
                runtime.settings,
                debtor,
                "discount",
                invoice_ids=locked.invoice_ids,
                amount_cents=locked.amount_cents,
                valid_until=locked.valid_until,
            )
        await audit(
            staff,
            "discount.approved" if approve else "discount.rejected",
            subject,
            amount_cents=locked.amount_cents,
            balance_cents=locked.balance_cents,
            percent=locked.percent,
        )
    request.status = locked.status
    if approve:
        data = {
            "percent": locked.percent,
            "amount_cents": locked.amount_cents,
            "valid_until": locked.valid_until.isoformat(),
            "currency": locked.currency,
        }
        await tell_debtor(
            runtime, debtor, decided.discount_approved_replies(data), {"pay_url": url}
        )
    else:
        ctx = await debtor_context(runtime, debtor)
        await tell_debtor(runtime, debtor, decided.discount_rejected_replies(ctx))
    verdict = Verdict.APPROVED if approve else Verdict.REJECTED
    return Decision(verdict, subject, name_of(staff), locked.balance_cents)


async def approve_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None
) -> Decision:
    return await _decide_discount(runtime, request, staff, approve=True)


async def reject_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None
) -> Decision:
    return await _decide_discount(runtime, request, staff, approve=False)
