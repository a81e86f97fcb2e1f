"""Staff decisions on instalment plans: approve (also the bot's own approval within the policy's
limit), reject, counter with other terms. The rules every decision shares are in common.py.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from bot.conversations.notify import tell_debtor
from bot.conversations.store import debtor_context, set_state
from bot.decisions.common import (
    Decision,
    Verdict,
    audit,
    check_authority,
    lock_undecided,
    name_of,
)
from bot.flows import decided
from bot.flows import plan as plan_flow
from bot.models import (
    CHASEABLE_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    PaymentPlan,
    PlanStatus,
    StaffMember,
)
from bot.payments.links import make_pay_link
from bot.runtime import Runtime

# A plan staff may still decide on: waiting for them, or proposed and not yet confirmed.
OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL)
# A plan the bot may activate: the above, or a counter-offer the debtor accepted.
ACTIVATABLE_PLAN_STATUSES = (*OPEN_PLAN_STATUSES, PlanStatus.COUNTERED)


# Plans ---------------------------------------------------------------------------------------


async def _plan_rows(plan: PaymentPlan, runtime: Runtime) -> list[Instalment]:
    """The plan's instalments; made from the schedule when the plan has none yet, has new terms,
    or would start in the past (staff decided days after the request): the schedule the debtor
    is sent starts today at the earliest, every date on a business day."""
    existing = await Instalment.filter(plan_id=plan.id).order_by("seq")
    today = runtime.today()
    if existing and len(existing) == plan.instalment_count and existing[0].due_date >= today:
        return existing
    await Instalment.filter(plan_id=plan.id).delete()
    first_due = runtime.business_day(max(plan.first_due_date, today))
    if first_due != plan.first_due_date:
        plan.first_due_date = first_due
        await plan.save(update_fields=["first_due_date"])
    rows = plan_flow.schedule(
        plan.total_cents,
        plan.instalment_count,
        first_due,
        runtime.policy.instalments.interval_days,
        runtime.business_day,
    )
    return [
        await Instalment.create(plan=plan, seq=seq, due_date=due, amount_cents=amount)
        for seq, (due, amount) in enumerate(rows, start=1)
    ]


async def _lock_plan(
    plan_id: int,
    staff: StaffMember | None,
    action: str,
    allowed: tuple[PlanStatus, ...],
    *,
    authorise: bool = True,
) -> PaymentPlan | Decision:
    """Inside a transaction: the plan, locked, when it may still be decided by `staff`;
    otherwise the Decision to answer (missing, already decided, not allowed), audited."""
    subject = f"plan:{plan_id}"
    locked = await lock_undecided(PaymentPlan, plan_id, subject, staff, action, allowed)
    if isinstance(locked, Decision) or not authorise:
        return locked
    refused = await check_authority(staff, action, subject, locked.total_cents, locked.currency)
    return refused or locked


async def activate_plan(
    runtime: Runtime,
    plan: PaymentPlan,
    staff: StaffMember | None,
    *,
    notify: bool | None = None,
) -> Decision:
    """Approve a plan: ACTIVE, its invoices IN_PLAN, the debtor gets the schedule and the link.

    `staff` None: the bot approves (within the auto-approve limit, or the debtor accepted a
    counter-offer, whose decider stays recorded). The debtor is told here when `notify` says so;
    by default only when staff decided, since a bot approval happens while the engine answers
    the debtor and its own replies carry the schedule.
    """
    if notify is None:
        notify = staff is not None
    subject = f"plan:{plan.id}"
    now = runtime.now()
    async with in_transaction():
        allowed = ACTIVATABLE_PLAN_STATUSES if staff is None else OPEN_PLAN_STATUSES
        # The bot approving (staff None) is within the policy's limit by construction.
        locked = await _lock_plan(
            plan.id, staff, "plan.approve", allowed, authorise=staff is not None
        )
        if isinstance(locked, Decision):
            return locked
        locked.status = PlanStatus.ACTIVE
        if staff is not None or locked.decided_by_id is None:
            locked.decided_by = staff
        locked.decided_at = now
        await locked.save(update_fields=["status", "decided_by_id", "decided_at"])
        rows = await _plan_rows(locked, runtime)
        await Invoice.filter(
            id__in=locked.invoice_ids, debtor_id=locked.debtor_id, status__in=CHASEABLE_STATUSES
        ).update(status=InvoiceStatus.IN_PLAN)
        debtor = await Debtor.get(id=locked.debtor_id)
        first = next(row for row in rows if row.status is InstalmentStatus.DUE)
        url = await make_pay_link(
            runtime.settings,
            debtor,
            "instalment",
            invoice_ids=locked.invoice_ids,
            instalment=first,
        )
        await audit(
            staff,
            "plan.approved",
            subject,
            count=locked.instalment_count,
            total_cents=locked.total_cents,
            first_due=locked.first_due_date.isoformat(),
        )
    plan.status, plan.decided_at = locked.status, locked.decided_at
    if notify:
        schedule = [(row.due_date, row.amount_cents) for row in rows]
        specs = decided.plan_approved_replies(schedule, locked.currency, locked.total_cents)
        await tell_debtor(runtime, debtor, specs, {"pay_url": url})
    name = name_of(staff)
    return Decision(Verdict.APPROVED, subject, name, locked.total_cents, locked.currency)


async def reject_plan(runtime: Runtime, plan: PaymentPlan, staff: StaffMember | None) -> Decision:
    subject = f"plan:{plan.id}"
    async with in_transaction():
        locked = await _lock_plan(plan.id, staff, "plan.reject", OPEN_PLAN_STATUSES)
        if isinstance(locked, Decision):
            return locked
        locked.status = PlanStatus.REJECTED
        locked.decided_by = staff
        locked.decided_at = runtime.now()
        await locked.save(update_fields=["status", "decided_by_id", "decided_at"])
        await audit(staff, "plan.rejected", subject, total_cents=locked.total_cents)
        debtor = await Debtor.get(id=locked.debtor_id)
    plan.status = locked.status
    ctx = await debtor_context(runtime, debtor)
    await tell_debtor(runtime, debtor, decided.plan_rejected_replies(ctx))
    return Decision(Verdict.REJECTED, subject, name_of(staff), locked.total_cents)


async def counter_plan(
    runtime: Runtime,
    plan: PaymentPlan,
    staff: StaffMember | None,
    *,
    count: int | None = None,
    first_due: dt.date | None = None,
) -> Decision:
    """Staff propose other terms (another count, or another first date); the debtor answers."""
    subject = f"plan:{plan.id}"
    today = runtime.today()
    async with in_transaction():
        locked = await _lock_plan(plan.id, staff, "plan.counter", OPEN_PLAN_STATUSES)
        if isinstance(locked, Decision):
            return locked
        new_count = count if count is not None else locked.instalment_count
        new_first = runtime.business_day(
            first_due if first_due is not None else max(locked.first_due_date, today)
        )
        problems = plan_flow.validate_plan(
            locked.total_cents, new_count, new_first, today, runtime.policy.instalments
        )
        if problems:
            await audit(
                staff,
                "plan.counter.invalid",
                subject,
                count=new_count,
                first_due=new_first.isoformat(),
                problems=[str(p) for p in problems],
            )
            detail = ",".join(str(p) for p in problems)
            return Decision(Verdict.INVALID, subject, name_of(staff), detail=detail)
        await _record_counter(runtime, locked, staff, new_count, new_first)
        debtor = await Debtor.get(id=locked.debtor_id)
    plan.status = locked.status
    ctx = await debtor_context(runtime, debtor)
    outcome = decided.counter_offer(ctx, locked.id, locked.total_cents, new_count, new_first)
    await set_state(debtor, outcome.new_state)
    await tell_debtor(runtime, debtor, outcome.replies)
    return Decision(Verdict.COUNTERED, subject, name_of(staff), locked.total_cents)


async def _record_counter(
    runtime: Runtime, locked: PaymentPlan, staff: StaffMember | None, count: int, first: dt.date
) -> None:
    """Inside the transaction: the plan COUNTERED with the new terms, its old schedule gone."""
    locked.status = PlanStatus.COUNTERED
    locked.instalment_count = count
    locked.first_due_date = first
    locked.decided_by = staff
    locked.decided_at = runtime.now()
    fields = ["status", "instalment_count", "first_due_date", "decided_by_id", "decided_at"]
    await locked.save(update_fields=fields)
    await Instalment.filter(plan_id=locked.id).delete()  # made again on acceptance
    await audit(
        staff,
        "plan.countered",
        f"plan:{locked.id}",
        count=count,
        first_due=first.isoformat(),
        total_cents=locked.total_cents,
    )
