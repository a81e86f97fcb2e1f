"""Applying a plan the debtor confirmed, the answer to a counter-offer, and a discount that
needs staff: the rows, the staff card with its buttons, the first instalment's link.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.conversations.exchange import (
    COUNTER_DECLINED,
    DISCOUNT_REQUEST,
    FIRST_INSTALMENT,
    PLAN_REQUEST,
    Exchange,
    alert,
    audit,
)
from bot.decisions.plans import activate_plan
from bot.flows import decided
from bot.flows.context import ReplySpec
from bot.flows.effects import AlertStaff, AnswerCounter, RequestPlan
from bot.models import (
    Debtor,
    DiscountRequest,
    Instalment,
    InstalmentStatus,
    PaymentPlan,
    PlanStatus,
)
from bot.payments.links import make_pay_link
from bot.runtime import Runtime
from bot.staff_reports import debtor_history

log = logging.getLogger(__name__)


async def discount_request(exchange: Exchange, effect: AlertStaff) -> None:
    data = effect.data
    request = await DiscountRequest.create(
        debtor=exchange.debtor,
        balance_cents=int(data["balance_cents"]),
        amount_cents=int(data["amount_cents"]),
        percent=str(data["percent"])[:8],
        valid_until=dt.date.fromisoformat(str(data["valid_until"])),
        currency=str(data.get("currency", exchange.ctx.currency)),
        invoice_ids=exchange.invoice_ids,
    )
    await alert(
        exchange,
        DISCOUNT_REQUEST,
        exchange.staff_buttons("discount", request.id, "approve", "reject"),
        request_id=request.id,
        **data,
    )
    await audit(exchange, "flow.discount_requested", f"discount:{request.id}", **data)


async def request_plan(exchange: Exchange, effect: RequestPlan) -> list[ReplySpec]:
    plan = await PaymentPlan.create(
        debtor=exchange.debtor,
        status=PlanStatus.PENDING_APPROVAL if effect.needs_staff else PlanStatus.PROPOSED,
        total_cents=effect.total_cents,
        currency=exchange.ctx.currency,
        instalment_count=effect.count,
        first_due_date=effect.first_due,
        invoice_ids=exchange.invoice_ids,
    )
    for seq, (due, amount) in enumerate(effect.schedule, start=1):
        await Instalment.create(plan=plan, seq=seq, due_date=due, amount_cents=amount)
    await audit(
        exchange,
        "flow.plan_requested",
        f"plan:{plan.id}",
        count=effect.count,
        total_cents=effect.total_cents,
        first_due=effect.first_due.isoformat(),
        needs_staff=effect.needs_staff,
        # Where the plan was agreed: the debtor hears there if it lapses (scheduler/commitments.py).
        contact_point_id=exchange.message.contact_point_id,  # type: ignore[attr-defined]
    )
    if effect.needs_staff:
        history = await debtor_history(exchange.debtor, exclude_plan=plan.id)
        await alert(
            exchange,
            PLAN_REQUEST,
            exchange.staff_buttons("plan", plan.id, "approve", "reject", "counter"),
            plan_id=plan.id,
            count=effect.count,
            total_cents=effect.total_cents,
            currency=exchange.ctx.currency,
            schedule=[
                {"due_date": due.isoformat(), "amount_cents": amount}
                for due, amount in effect.schedule
            ],
            **history,
        )
        return []
    url, first = await activate(exchange.runtime, plan)
    return [
        ReplySpec(
            template=FIRST_INSTALMENT,
            context={
                "pay_url": url,
                "amount_cents": first.amount_cents,
                "due_date": first.due_date,
                "currency": plan.currency,
            },
        )
    ]


async def activate(runtime: Runtime, plan: PaymentPlan) -> tuple[str, Instalment]:
    """Approve the plan without staff (bot.decisions.plans.activate_plan, so a plan becomes
    active the same way whoever approves it) and return its first instalment's link for the
    engine's reply.
    """
    await activate_plan(runtime, plan, staff=None)
    due = Instalment.filter(plan_id=plan.id, status=InstalmentStatus.DUE)
    first = await due.order_by("seq").first()
    assert first is not None  # a plan is created with its instalments
    debtor = await Debtor.get(id=plan.debtor_id)  # type: ignore[attr-defined]
    # The same request as activate_plan's: make_pay_link gives back the same durable link.
    url = await make_pay_link(
        runtime.settings, debtor, "instalment", invoice_ids=list(plan.invoice_ids), instalment=first
    )
    return url, first


async def answer_counter(exchange: Exchange, effect: AnswerCounter) -> list[ReplySpec]:
    plan = await PaymentPlan.get_or_none(id=effect.plan_id, debtor_id=exchange.debtor.id)
    if plan is None or plan.status is not PlanStatus.COUNTERED:
        # Stale state, or the offer was withdrawn: nothing to accept any more.
        log.info("counter-offer answer for plan %s ignored", effect.plan_id)
        return []
    await audit(exchange, "flow.counter_answered", f"plan:{plan.id}", accepted=effect.accepted)
    if not effect.accepted:
        plan.status = PlanStatus.DECLINED
        await plan.save(update_fields=["status"])
        await alert(
            exchange,
            COUNTER_DECLINED,
            plan_id=plan.id,
            count=plan.instalment_count,
            total_cents=plan.total_cents,
            currency=plan.currency,
        )
        return []
    url, _ = await activate(exchange.runtime, plan)
    rows = [
        (row.due_date, row.amount_cents)
        for row in await Instalment.filter(plan_id=plan.id).order_by("seq")
    ]
    specs = decided.plan_approved_replies(rows, plan.currency, plan.total_cents)
    return [
        ReplySpec(spec.template, {**spec.context, "pay_url": url}, spec.options) for spec in specs
    ]
