"""Staff decisions (bot/decisions/) against the database, with the sandbox senders: authority,
idempotency, the audit trail and what the debtor is told."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversations.store import get_state
from bot.decisions import claims, discounts, disputes, plans
from bot.decisions.common import Verdict
from bot.models import (
    AuditEvent,
    Channel,
    ClaimStatus,
    ContactPoint,
    Debtor,
    Direction,
    DiscountRequest,
    Dispute,
    DisputeReason,
    DisputeStatus,
    Instalment,
    Invoice,
    InvoiceStatus,
    Message,
    PayLink,
    Payment,
    PaymentClaim,
    PaymentPlan,
    PlanStatus,
    RequestStatus,
    StaffMember,
    StaffRole,
)
from bot.runtime import Runtime, build_senders
from bot.texts import render
from scheduler.dispatch import Dispatcher
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def runtime(settings) -> Runtime:  # type: ignore[no-untyped-def]
    from bot.policy import load_policy

    return Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=build_senders(settings),
        now=lambda: NOW,
    )


async def _staff(name: str = "Anna", limit: int = 1_000_000, **fields: object) -> StaffMember:
    telegram_id = 7000 + await StaffMember.all().count()
    return await StaffMember.create(
        telegram_user_id=telegram_id, name=name, approval_limit_cents=limit, **fields
    )


async def _debtor() -> tuple[Debtor, Invoice]:
    debtor = await make_debtor()
    await ContactPoint.create(
        debtor=debtor, channel=Channel.TELEGRAM, address="1001", verified_at=NOW
    )
    invoice = await make_invoice(debtor, "F-1", 300_000, days_overdue=20)
    return debtor, invoice


async def _plan(debtor: Debtor, invoice: Invoice, count: int = 3) -> PaymentPlan:
    return await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=invoice.amount_cents,
        instalment_count=count,
        first_due_date=TODAY,
        invoice_ids=[invoice.id],
    )


async def _to_debtor() -> list[Message]:
    return await Message.filter(direction=Direction.OUTBOUND, audience="debtor").order_by("id")


async def test_approve_activates_the_plan_and_sends_schedule_and_link(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    anna = await _staff()

    decision = await plans.activate_plan(runtime, plan, anna)

    assert decision.verdict is Verdict.APPROVED and decision.by == "Anna"
    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.ACTIVE and plan.decided_by_id == anna.id  # type: ignore[attr-defined]
    assert plan.decided_at == NOW
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.IN_PLAN
    rows = await Instalment.filter(plan_id=plan.id).order_by("seq")
    assert [row.amount_cents for row in rows] == [100_000, 100_000, 100_000]
    link = await PayLink.get(purpose="instalment")
    assert link.instalment_id == rows[0].id  # type: ignore[attr-defined]
    [queued] = await _to_debtor()
    assert queued.status.value == "pending"  # a proactive message: the dispatcher sends it
    await Dispatcher(runtime).drain()
    [sent] = await _to_debtor()
    assert sent.template == "flows/plan/approved_by_staff.txt"
    assert f"/pay/{link.token}" in sent.body and sent.status.value == "sent"
    audit = await AuditEvent.get(action="plan.approved")
    assert audit.actor == f"staff:{anna.id}" and audit.subject == f"plan:{plan.id}"


async def test_second_press_answers_already_decided_and_changes_nothing(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    anna, marco = await _staff("Anna"), await _staff("Marco")
    await plans.activate_plan(runtime, plan, anna)

    again = await plans.reject_plan(runtime, await PaymentPlan.get(id=plan.id), marco)

    assert again.verdict is Verdict.ALREADY_DECIDED and again.by == "Anna"
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.ACTIVE
    assert len(await _to_debtor()) == 1
    audit = await AuditEvent.get(action="plan.reject.already_decided")
    assert audit.actor == f"staff:{marco.id}" and audit.data["decided_by"] == "Anna"


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"limit": 1_000}, "limit"),
        ({"active": False}, "inactive"),
        ({"role": StaffRole.VIEWER}, "role"),
    ],
)
async def test_staff_without_authority_is_refused_and_audited(
    runtime: Runtime, fields: dict[str, object], why: str
) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    member = await _staff("Luca", **fields)  # type: ignore[arg-type]

    decision = await plans.activate_plan(runtime, plan, member)

    assert decision.verdict is Verdict.NOT_ALLOWED and decision.detail == why
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL
    assert await _to_debtor() == []
    refused = await AuditEvent.get(action="plan.approve.refused")
    assert refused.data["reason"] == why


async def test_unregistered_presser_is_refused(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    decision = await plans.reject_plan(runtime, plan, None)
    assert decision.verdict is Verdict.NOT_ALLOWED and decision.detail == "not_registered"
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL


async def test_reject_tells_the_debtor_with_the_menu(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    decision = await plans.reject_plan(runtime, plan, await _staff())
    assert decision.verdict is Verdict.REJECTED
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.REJECTED
    [sent] = await _to_debtor()
    assert sent.template == "flows/plan/rejected.txt" and sent.options


async def test_counter_stores_terms_and_puts_the_debtor_in_the_counter_stage(
    runtime: Runtime,
) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice, count=6)
    decision = await plans.counter_plan(runtime, plan, await _staff(), count=2)

    assert decision.verdict is Verdict.COUNTERED
    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.COUNTERED and plan.instalment_count == 2
    state = await get_state(debtor)
    assert (state["flow"], state["stage"]) == ("plan", "counter")
    assert state["data"]["plan_id"] == plan.id and state["data"]["count"] == 2
    [sent] = await _to_debtor()
    assert sent.template == "flows/plan/counter.txt"
    assert [o["key"] for o in sent.options] == ["yes", "no"]

    # The debtor accepts: the engine activates the countered plan without a staff member.
    accepted = await plans.activate_plan(runtime, plan, None)
    assert accepted.verdict is Verdict.APPROVED
    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.ACTIVE and plan.decided_by_id is not None  # type: ignore[attr-defined]
    assert await Instalment.filter(plan_id=plan.id).count() == 2


async def test_counter_outside_the_policy_is_invalid(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    plan = await _plan(debtor, invoice)
    decision = await plans.counter_plan(runtime, plan, await _staff(), count=99)
    assert decision.verdict is Verdict.INVALID and "count_too_high" in decision.detail
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL


async def test_discount_approve_makes_the_discount_link(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    request = await DiscountRequest.create(
        debtor=debtor,
        balance_cents=300_000,
        amount_cents=291_000,
        percent="3",
        valid_until=TODAY + dt.timedelta(days=7),
        invoice_ids=[invoice.id],
    )
    decision = await discounts.approve_discount(runtime, request, await _staff())
    assert decision.verdict is Verdict.APPROVED
    assert (await DiscountRequest.get(id=request.id)).status is RequestStatus.APPROVED
    link = await PayLink.get(purpose="discount")
    assert link.amount_cents == 291_000 and link.valid_until == TODAY + dt.timedelta(days=7)
    [sent] = await _to_debtor()
    assert sent.template == "flows/discount/approved_by_staff.txt" and link.token in sent.body


async def test_discount_reject(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    request = await DiscountRequest.create(
        debtor=debtor,
        balance_cents=300_000,
        amount_cents=291_000,
        percent="3",
        valid_until=TODAY,
        invoice_ids=[invoice.id],
    )
    decision = await discounts.reject_discount(runtime, request, await _staff())
    assert decision.verdict is Verdict.REJECTED
    assert not await PayLink.exists()
    [sent] = await _to_debtor()
    assert sent.template == "flows/discount/rejected.txt"


async def test_confirm_claim_records_the_payment_and_unpauses(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    debtor.paused_until = NOW + dt.timedelta(days=7)
    await debtor.save()
    claim = await PaymentClaim.create(
        debtor=debtor, paid_on=TODAY - dt.timedelta(days=1), invoice_ids=[invoice.id]
    )
    decision = await claims.confirm_claim(runtime, claim, await _staff())

    assert decision.verdict is Verdict.CONFIRMED and decision.amount_cents == 300_000
    payment = await Payment.get(provider_ref=f"manual:claim:{claim.id}")
    assert payment.amount_cents == 300_000
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.PAID
    assert (await Debtor.get(id=debtor.id)).paused_until is None
    assert (await PaymentClaim.get(id=claim.id)).status is ClaimStatus.CONFIRMED
    sent = [m.template for m in await _to_debtor()]
    assert "decisions/claim_confirmed.txt" in sent
    again = await claims.confirm_claim(runtime, claim, await _staff("Marco"))
    assert again.verdict is Verdict.ALREADY_DECIDED
    assert await Payment.all().count() == 1


async def test_claim_not_found_resumes_chasing_politely(runtime: Runtime) -> None:
    debtor, invoice = await _debtor()
    debtor.paused_until = NOW + dt.timedelta(days=7)
    await debtor.save()
    claim = await PaymentClaim.create(debtor=debtor, paid_on=TODAY, invoice_ids=[invoice.id])
    decision = await claims.claim_not_found(runtime, claim, await _staff())
    assert decision.verdict is Verdict.NOT_FOUND
    assert (await Debtor.get(id=debtor.id)).paused_until is None
    assert not await Payment.exists()
    [sent] = await _to_debtor()
    assert sent.template == "decisions/claim_not_found.txt"
    assert sent.body == render(
        "decisions/claim_not_found.txt", "it", amount_cents=300_000, currency="EUR", paid_on=TODAY
    )


@pytest.mark.parametrize(
    ("decide", "status", "invoice_status"),
    [
        (disputes.resolve_dispute, DisputeStatus.RESOLVED, InvoiceStatus.OPEN),
        (
            disputes.cancel_disputed_invoice,
            DisputeStatus.INVOICE_CANCELLED,
            InvoiceStatus.CANCELLED,
        ),
        (disputes.resume_chasing, DisputeStatus.CHASING_RESUMED, InvoiceStatus.OPEN),
    ],
)
async def test_dispute_decisions(
    runtime: Runtime,
    decide,
    status: DisputeStatus,
    invoice_status: InvoiceStatus,  # type: ignore[no-untyped-def]
) -> None:
    debtor, invoice = await _debtor()
    invoice.status = InvoiceStatus.DISPUTED
    await invoice.save()
    dispute = await Dispute.create(debtor=debtor, invoice=invoice, reason=DisputeReason.NOT_MINE)
    anna = await _staff()
    decision = await decide(runtime, dispute, anna)
    assert decision.changed and decision.by == "Anna"
    dispute = await Dispute.get(id=dispute.id)
    assert dispute.status is status and dispute.resolved_by_id == anna.id  # type: ignore[attr-defined]
    assert (await Invoice.get(id=invoice.id)).status is invoice_status
    assert len(await _to_debtor()) == 1
    again = await disputes.resume_chasing(runtime, dispute, anna)
    assert again.verdict is Verdict.ALREADY_DECIDED


async def test_dispute_of_every_invoice_covers_those_no_other_dispute_names(
    runtime: Runtime,
) -> None:
    debtor, first = await _debtor()
    second = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    third = await make_invoice(debtor, "F-3", 70_000, days_overdue=5)
    for invoice in (first, second, third):
        invoice.status = InvoiceStatus.DISPUTED
        await invoice.save()
    await Dispute.create(debtor=debtor, invoice=third, reason=DisputeReason.WRONG_AMOUNT)
    everything = await Dispute.create(debtor=debtor, reason=DisputeReason.GOODS_OR_SERVICE)

    decision = await disputes.cancel_disputed_invoice(runtime, everything, await _staff())

    assert decision.amount_cents == 350_000
    statuses = {i.number: i.status for i in await Invoice.filter(debtor_id=debtor.id)}
    assert statuses == {
        "F-1": InvoiceStatus.CANCELLED,
        "F-2": InvoiceStatus.CANCELLED,
        "F-3": InvoiceStatus.DISPUTED,
    }
    [sent] = await _to_debtor()
    assert "le fatture F-1, F-2 sono state annullate" in sent.body
