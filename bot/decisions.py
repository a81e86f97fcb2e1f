"""Staff decisions on what the debtor asked for: plans, discounts, payment claims, disputes.

Each decision checks the authority (only registered active staff whose approval limit covers the
amount decide, `bot.staff.may_approve`), is idempotent (deciding something already decided changes
nothing and says who decided it), writes an AuditEvent for every press, refused ones included,
and tells the debtor on the debtor's channel (`bot.flows.engine.notify_debtor`) after the change
is committed. The staff chat (bot/handlers/staff.py) only maps buttons to these functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from bot.flows import discount as discount_flow
from bot.flows import plan as plan_flow
from bot.flows.context import FlowContext, ReplySpec
from bot.flows.states import initial_state
from bot.models import (
    CHASEABLE_STATUSES,
    CLOSED_STATUSES,
    AuditEvent,
    ClaimStatus,
    Debtor,
    DiscountRequest,
    Dispute,
    DisputeStatus,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    PaymentClaim,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    RequestStatus,
    StaffMember,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.links import make_pay_link
from bot.payments.recording import record_payment
from bot.runtime import Runtime
from bot.staff import may_approve

# A plan staff may still decide on: waiting for them, or proposed and not yet confirmed.
OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL)
# A plan the bot may activate: the above, or a counter-offer the debtor accepted.
ACTIVATABLE_PLAN_STATUSES = (*OPEN_PLAN_STATUSES, PlanStatus.COUNTERED)
# What staff decide on, locked while they do.
Row = TypeVar("Row", DiscountRequest, PaymentClaim, Dispute, PaymentPlan)
CLAIM_TEMPLATES = {
    ClaimStatus.CONFIRMED: "decisions/claim_confirmed.txt",
    ClaimStatus.NOT_FOUND: "decisions/claim_not_found.txt",
}
DISPUTE_TEMPLATES = {
    DisputeStatus.RESOLVED: "decisions/dispute_resolved.txt",
    DisputeStatus.INVOICE_CANCELLED: "decisions/dispute_invoice_cancelled.txt",
    DisputeStatus.CHASING_RESUMED: "decisions/dispute_chasing_resumed.txt",
}


class Verdict(StrEnum):
    """What a press did; the staff chat answers with templates/<lang>/staff/decision/<verdict>."""

    APPROVED = "approved"
    REJECTED = "rejected"
    COUNTERED = "countered"
    CONFIRMED = "confirmed"
    NOT_FOUND = "not_found"
    RESOLVED = "resolved"
    INVOICE_CANCELLED = "invoice_cancelled"
    CHASING_RESUMED = "chasing_resumed"
    ALREADY_DECIDED = "already_decided"
    NOT_ALLOWED = "not_allowed"  # not registered, inactive, viewer, or limit too low
    INVALID = "invalid"  # counter terms the policy does not allow, or nothing left to decide


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    subject: str  # "plan:3"
    by: str = ""  # who decided: the presser, or for ALREADY_DECIDED the earlier decider
    amount_cents: int = 0
    currency: str = "EUR"
    detail: str = ""  # for INVALID: which rule; for NOT_ALLOWED: why

    @property
    def changed(self) -> bool:
        return self.verdict not in (Verdict.ALREADY_DECIDED, Verdict.NOT_ALLOWED, Verdict.INVALID)


def actor_of(staff: StaffMember | None) -> str:
    return f"staff:{staff.id}" if staff is not None else "system"


def _name_of(staff: StaffMember | None) -> str:
    return staff.name if staff is not None else ""


def refusal(staff: StaffMember | None, amount_cents: int) -> str:
    """Why `staff` may not decide on `amount_cents`; "" when they may."""
    if may_approve(staff, amount_cents):
        return ""
    if staff is None:
        return "not_registered"
    if not staff.active:
        return "inactive"
    if amount_cents > staff.approval_limit_cents:
        return "limit"
    return "role"


async def _audit(staff: StaffMember | None, action: str, subject: str, **data: Any) -> None:
    await AuditEvent.create(actor=actor_of(staff), action=action, subject=subject, data=data)


async def _decider_name(staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    member = await StaffMember.get_or_none(id=staff_id)
    return member.name if member else ""


async def _refused(
    staff: StaffMember | None, action: str, subject: str, amount: int, currency: str, why: str
) -> Decision:
    await _audit(staff, f"{action}.refused", subject, reason=why, amount_cents=amount)
    return Decision(Verdict.NOT_ALLOWED, subject, _name_of(staff), amount, currency, why)


async def check_authority(
    staff: StaffMember | None, action: str, subject: str, amount: int, currency: str
) -> Decision | None:
    """None when `staff` may decide on `amount`; otherwise the refusal, audited."""
    why = refusal(staff, amount)
    return await _refused(staff, action, subject, amount, currency, why) if why else None


async def _already(
    staff: StaffMember | None, action: str, subject: str, status: str, decided_by_id: int | None
) -> Decision:
    name = await _decider_name(decided_by_id)
    await _audit(staff, f"{action}.already_decided", subject, status=status, decided_by=name)
    return Decision(Verdict.ALREADY_DECIDED, subject, name, detail=status)


# The debtor's side ---------------------------------------------------------------------------


async def flow_context(runtime: Runtime, debtor: Debtor) -> FlowContext:
    """What the pure flows know about this debtor right now, as the engine builds it: the open
    invoices, and no discount on offer (a staff decision answers no reminder)."""
    from bot.flows import engine  # the engine imports the decisions when it applies effects

    invoices = await engine.open_invoices(debtor)
    return engine.flow_context(runtime, debtor, invoices, initial_state())


async def tell_debtor(
    runtime: Runtime,
    debtor: Debtor,
    specs: list[ReplySpec],
    filled: dict[str, object] | None = None,
) -> None:
    """Render the flows' replies in the debtor's language and send them on the debtor's channel."""
    from bot.flows import engine  # the engine imports the decisions when it applies effects

    replies = engine.render_replies(specs, debtor.language, filled)
    await engine.notify_debtor(runtime, debtor, replies, kind="staff_decision")


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


async def _lock_undecided(
    model: type[Row],
    row_id: int,
    subject: str,
    staff: StaffMember | None,
    action: str,
    undecided: tuple[StrEnum, ...],
    decider_field: str = "decided_by_id",
) -> Row | Decision:
    """Inside a transaction: the row, locked, while it still waits for a decision; otherwise the
    Decision to answer (missing, or already decided by whom), audited."""
    locked = await model.filter(id=row_id).select_for_update().first()
    if locked is None:
        return Decision(Verdict.INVALID, subject, detail="missing")
    if locked.status not in undecided:
        decider = getattr(locked, decider_field)
        return await _already(staff, action, subject, locked.status.value, decider)
    return locked


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
    locked = await _lock_undecided(PaymentPlan, plan_id, subject, staff, action, allowed)
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
        await _audit(
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
        specs = plan_flow.approved_replies(schedule, locked.currency, locked.total_cents)
        await tell_debtor(runtime, debtor, specs, {"pay_url": url})
    name = _name_of(staff)
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
        await _audit(staff, "plan.rejected", subject, total_cents=locked.total_cents)
        debtor = await Debtor.get(id=locked.debtor_id)
    plan.status = locked.status
    ctx = await flow_context(runtime, debtor)
    await tell_debtor(runtime, debtor, plan_flow.rejected_replies(ctx))
    return Decision(Verdict.REJECTED, subject, _name_of(staff), locked.total_cents)


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
            await _audit(
                staff,
                "plan.counter.invalid",
                subject,
                count=new_count,
                first_due=new_first.isoformat(),
                problems=[str(p) for p in problems],
            )
            detail = ",".join(str(p) for p in problems)
            return Decision(Verdict.INVALID, subject, _name_of(staff), detail=detail)
        locked.status = PlanStatus.COUNTERED
        locked.instalment_count = new_count
        locked.first_due_date = new_first
        locked.decided_by = staff
        locked.decided_at = runtime.now()
        await locked.save(
            update_fields=[
                "status",
                "instalment_count",
                "first_due_date",
                "decided_by_id",
                "decided_at",
            ]
        )
        await Instalment.filter(plan_id=locked.id).delete()  # made again on acceptance
        await _audit(
            staff,
            "plan.countered",
            subject,
            count=new_count,
            first_due=new_first.isoformat(),
            total_cents=locked.total_cents,
        )
        debtor = await Debtor.get(id=locked.debtor_id)
    plan.status = locked.status
    ctx = await flow_context(runtime, debtor)
    outcome = plan_flow.counter_offer(ctx, locked.id, locked.total_cents, new_count, new_first)
    from bot.flows import engine

    await engine.set_state(debtor, outcome.new_state)
    await tell_debtor(runtime, debtor, outcome.replies)
    return Decision(Verdict.COUNTERED, subject, _name_of(staff), locked.total_cents)


# Discounts above the threshold ---------------------------------------------------------------


async def _decide_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None, approve: bool
) -> Decision:
    subject = f"discount:{request.id}"
    action = "discount.approve" if approve else "discount.reject"
    async with in_transaction():
        locked = await _lock_undecided(
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
        await _audit(
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
        await tell_debtor(runtime, debtor, discount_flow.approved_replies(data), {"pay_url": url})
    else:
        ctx = await flow_context(runtime, debtor)
        await tell_debtor(runtime, debtor, discount_flow.rejected_replies(ctx))
    verdict = Verdict.APPROVED if approve else Verdict.REJECTED
    return Decision(verdict, subject, _name_of(staff), locked.balance_cents)


async def approve_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None
) -> Decision:
    return await _decide_discount(runtime, request, staff, approve=True)


async def reject_discount(
    runtime: Runtime, request: DiscountRequest, staff: StaffMember | None
) -> Decision:
    return await _decide_discount(runtime, request, staff, approve=False)


# "I already paid" claims ---------------------------------------------------------------------


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
        locked = await _lock_undecided(
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
        await _audit(
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
    return Decision(verdict, subject, _name_of(staff), amount, currency)


async def confirm_claim(
    runtime: Runtime, claim: PaymentClaim, staff: StaffMember | None
) -> Decision:
    return await _decide_claim(runtime, claim, staff, found=True)


async def claim_not_found(
    runtime: Runtime, claim: PaymentClaim, staff: StaffMember | None
) -> Decision:
    return await _decide_claim(runtime, claim, staff, found=False)


# Disputes ------------------------------------------------------------------------------------

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
        locked = await _lock_undecided(
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
        await _audit(staff, action, subject, invoices=numbers, amount_cents=amount)
        debtor = await Debtor.get(id=locked.debtor_id)
    dispute.status = locked.status
    context = {
        "invoice_number": ", ".join(numbers),
        "invoice_count": len(numbers),
        "amount_cents": amount,
        "currency": currency,
    }
    await tell_debtor(runtime, debtor, [ReplySpec(DISPUTE_TEMPLATES[outcome], context)])
    return Decision(_DISPUTE_VERDICTS[outcome], subject, _name_of(staff), amount, currency)


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


# Pausing the cadence for one debtor ----------------------------------------------------------


async def pause_debtor(
    runtime: Runtime, debtor: Debtor, staff: StaffMember, days: int
) -> dt.datetime:
    """No reminders for `days` days (the dispatcher skips a paused debtor); audited."""
    until = runtime.now() + dt.timedelta(days=days)
    await Debtor.filter(id=debtor.id).update(paused_until=until)
    debtor.paused_until = until
    await _audit(staff, "debtor.paused", f"debtor:{debtor.id}", days=days, until=until.isoformat())
    return until


async def resume_debtor(runtime: Runtime, debtor: Debtor, staff: StaffMember) -> None:
    await Debtor.filter(id=debtor.id).update(paused_until=None)
    debtor.paused_until = None
    await _audit(staff, "debtor.resumed", f"debtor:{debtor.id}")
