"""Applying what a conversation step asked for (bot/flows/effects.py) to the database.

The engine calls `apply_effects` inside the transaction that also stores the new conversation
state, so a step's effects and its state are saved together or not at all. Whatever the debtor
must read that only an effect can produce (the payment link's URL) comes back in `Applied.filled`;
messages an effect adds (the first instalment's link of a plan approved at once) come back in
`Applied.replies`. Staff alerts are rows in the outbox (bot/outbox.py): the dispatcher sends them
to the staff chat with their buttons, whose callback data is `<subject>:<action>:<id>`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Option
from bot.decisions import activate_plan
from bot.flows import plan as plan_flow
from bot.flows.context import FlowContext, ReplySpec
from bot.flows.effects import (
    ALERT_DISCOUNT_APPROVAL,
    ALERT_FAILED,
    ALERT_RELAY,
    ALERT_WORDS,
    PAY_DISCOUNT,
    AlertStaff,
    AnswerCounter,
    ClaimPaid,
    HandOff,
    MakePayLink,
    OpenDispute,
    OptOut,
    RecordPromise,
    RequestPlan,
)
from bot.models import (
    CLOSED_STATUSES,
    AuditEvent,
    ContactPoint,
    Debtor,
    DiscountRequest,
    Dispute,
    DisputeReason,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    PaymentAllocation,
    PaymentClaim,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.outbox import queue_staff_alert
from bot.payments.links import make_pay_link
from bot.runtime import Runtime
from bot.texts import render

log = logging.getLogger(__name__)

# Staff chat templates (templates/<lang>/staff/...) and button labels (staff/buttons/...).
PLAN_REQUEST = "staff/plan_request.txt"
COUNTER_DECLINED = "staff/plan_counter_declined.txt"
DISCOUNT_REQUEST = "staff/discount_request.txt"
PAYMENT_CLAIM = "staff/payment_claim.txt"
DISPUTE_OPENED = "staff/dispute_opened.txt"
HANDOFF = "staff/handoff.txt"
RELAY = "staff/relay.txt"
WORDS = "staff/words.txt"
CONVERSATION_FAILED = "staff/conversation_failed.txt"
OPTED_OUT_EVERYWHERE = "staff/opted_out_everywhere.txt"
FIRST_INSTALMENT = "flows/plan/first_instalment.txt"


@dataclass
class Applied:
    """What the effects produced for the replies: fills (`pay_url`) and added replies."""

    filled: dict[str, Any] = field(default_factory=dict)
    replies: list[ReplySpec] = field(default_factory=list)


@dataclass(frozen=True)
class Exchange:
    """The inbound message being answered and who sent it."""

    runtime: Runtime
    debtor: Debtor
    message: Message
    ctx: FlowContext
    invoices: tuple[Invoice, ...]  # the open invoices the context shows, as rows

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now

    @property
    def actor(self) -> str:
        return f"debtor:{self.debtor.id}"

    @property
    def invoice_ids(self) -> list[int]:
        return [invoice.id for invoice in self.invoices]

    def staff_buttons(self, subject: str, object_id: int, *actions: str) -> tuple[Option, ...]:
        language = self.runtime.settings.default_language
        return tuple(staff_button(language, subject, a, object_id) for a in actions)

    def debtor_context(self) -> dict[str, Any]:
        return {
            "debtor_id": self.debtor.id,
            "debtor_name": self.debtor.name,
            "debtor_ref": self.debtor.external_ref,
            "channel": self.message.channel.value if self.message.channel else "",
        }


def staff_button(language: str, subject: str, action: str, object_id: int) -> Option:
    """A staff chat button: callback data `<subject>:<action>:<id>`, label from a template."""
    label = render(f"staff/buttons/{subject}_{action}.txt", language).strip()
    return Option(key=f"{subject}:{action}:{object_id}", label=label)


async def audit(exchange: Exchange, action: str, subject: str, **data: Any) -> None:
    await AuditEvent.create(actor=exchange.actor, action=action, subject=subject, data=data)


async def alert(
    exchange: Exchange, template: str, options: tuple[Option, ...] = (), **ctx: Any
) -> None:
    await queue_staff_alert(
        template,
        {**exchange.debtor_context(), **ctx},
        now=exchange.now,
        debtor=exchange.debtor,
        options=options,
    )


async def apply_effects(exchange: Exchange, effects: list[Any]) -> Applied:
    applied = Applied()
    for effect in effects:
        match effect:
            case MakePayLink():
                applied.filled["pay_url"] = await _pay_link(exchange, effect)
            case RequestPlan():
                applied.replies.extend(await _request_plan(exchange, effect))
            case AnswerCounter():
                applied.replies.extend(await _answer_counter(exchange, effect))
            case RecordPromise():
                await _record_promise(exchange, effect)
            case ClaimPaid():
                await _claim_paid(exchange, effect)
            case OpenDispute():
                await _open_dispute(exchange, effect)
            case HandOff():
                await _hand_off(exchange)
            case OptOut():
                await _opt_out(exchange)
            case AlertStaff(kind=kind) if kind == ALERT_DISCOUNT_APPROVAL:
                await _discount_request(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_RELAY:
                await _relay(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_WORDS:
                await _words(exchange, effect)
            case AlertStaff(kind=kind) if kind == ALERT_FAILED:
                text = str(effect.data.get("text", ""))
                await alert(exchange, CONVERSATION_FAILED, text=text)
            case _:
                raise ValueError(f"unknown effect {effect!r}")
    return applied


# --- payment links -----------------------------------------------------------------------------


async def _pay_link(exchange: Exchange, effect: MakePayLink) -> str:
    settings = exchange.runtime.settings
    if effect.purpose == PAY_DISCOUNT:
        url = await make_pay_link(
            settings,
            exchange.debtor,
            "discount",
            invoice_ids=exchange.invoice_ids,
            amount_cents=effect.amount_cents,
            valid_until=effect.valid_until,
        )
    else:
        url = await make_pay_link(
            settings, exchange.debtor, "balance", invoice_ids=exchange.invoice_ids
        )
    await audit(
        exchange,
        "flow.pay_link",
        f"debtor:{exchange.debtor.id}",
        purpose=effect.purpose,
        amount_cents=effect.amount_cents,
        valid_until=effect.valid_until.isoformat() if effect.valid_until else None,
    )
    return url


async def _discount_request(exchange: Exchange, effect: AlertStaff) -> None:
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


# --- instalment plans --------------------------------------------------------------------------


async def _request_plan(exchange: Exchange, effect: RequestPlan) -> list[ReplySpec]:
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
        # Where the plan was agreed: the debtor hears there if it lapses (scheduler/clock.py).
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
    """Approve the plan without staff (bot.decisions.activate_plan, so a plan becomes active the
    same way whoever approves it) and return its first instalment's link for the engine's reply.
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


async def _answer_counter(exchange: Exchange, effect: AnswerCounter) -> list[ReplySpec]:
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
    specs = plan_flow.approved_replies(rows, plan.currency, plan.total_cents)
    return [
        ReplySpec(spec.template, {**spec.context, "pay_url": url}, spec.options) for spec in specs
    ]


async def debtor_history(debtor: Debtor, *, exclude_plan: int | None = None) -> dict[str, Any]:
    """What staff weigh before deciding: exposure, lateness, broken promises, earlier plans."""
    open_invoices = await Invoice.filter(debtor_id=debtor.id).exclude(status__in=CLOSED_STATUSES)
    exposure = sum(invoice.balance_cents for invoice in open_invoices)
    allocations = await PaymentAllocation.filter(
        invoice__debtor_id=debtor.id,
        invoice__status=InvoiceStatus.PAID,
        payment__status=PaymentStatus.SUCCEEDED,
    ).prefetch_related("invoice", "payment")
    settled: dict[int, tuple[dt.date, dt.date]] = {}
    for allocation in allocations:
        invoice, payment = allocation.invoice, allocation.payment
        paid_on = payment.received_at.date()
        earlier = settled.get(invoice.id)
        if earlier is None or paid_on > earlier[1]:
            settled[invoice.id] = (invoice.due_date, paid_on)
    late_days = [max(0, (paid - due).days) for due, paid in settled.values()]
    plans = PaymentPlan.filter(debtor_id=debtor.id)
    if exclude_plan is not None:
        plans = plans.exclude(id=exclude_plan)
    return {
        "exposure_cents": exposure,
        "paid_invoices": len(late_days),
        "average_days_late": round(sum(late_days) / len(late_days)) if late_days else None,
        "broken_promises": await PromiseToPay.filter(
            debtor_id=debtor.id, status=PromiseStatus.BROKEN
        ).count(),
        "past_plans": await plans.count(),
    }


# --- promises, claims, disputes ----------------------------------------------------------------


async def _record_promise(exchange: Exchange, effect: RecordPromise) -> None:
    # A new promise replaces one still pending: the debtor moved the date.
    await PromiseToPay.filter(debtor_id=exchange.debtor.id, status=PromiseStatus.PENDING).update(
        status=PromiseStatus.CANCELLED
    )
    promise = await PromiseToPay.create(
        debtor=exchange.debtor,
        promised_date=effect.date,
        amount_cents=effect.amount_cents,
        invoice_ids=exchange.invoice_ids,
    )
    await audit(
        exchange, "flow.promise", f"promise:{promise.id}", promised_date=effect.date.isoformat()
    )


def _attachment_summary(attachments: tuple[dict[str, Any], ...]) -> list[dict[str, str]]:
    return [
        {
            "kind": str(item.get("kind", "")),
            "name": str(item.get("file_name") or item.get("url") or item.get("file_id") or ""),
        }
        for item in attachments
        if isinstance(item, dict)
    ]


async def _claim_paid(exchange: Exchange, effect: ClaimPaid) -> None:
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
        attachments=_attachment_summary(effect.attachments),
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


async def _open_dispute(exchange: Exchange, effect: OpenDispute) -> None:
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
        attachments=_attachment_summary(effect.attachments),
    )
    await audit(
        exchange,
        "flow.dispute",
        f"dispute:{dispute.id}",
        reason=reason.value,
        invoices=[invoice.number for invoice in disputed],
    )


# --- people --------------------------------------------------------------------------------------


async def _hand_off(exchange: Exchange) -> None:
    await alert(
        exchange,
        HANDOFF,
        total_cents=exchange.ctx.balance_cents,
        currency=exchange.ctx.currency,
    )
    await audit(exchange, "flow.handoff", f"debtor:{exchange.debtor.id}")


async def _relay(exchange: Exchange, effect: AlertStaff) -> None:
    attachments = tuple(a for a in effect.data.get("attachments", ()) if isinstance(a, dict))
    await alert(
        exchange,
        RELAY,
        text=str(effect.data.get("text", "")),
        attachments=_attachment_summary(attachments),
    )
    await audit(exchange, "flow.relay", f"debtor:{exchange.debtor.id}")


async def _words(exchange: Exchange, effect: AlertStaff) -> None:
    """Staff hear at once of abuse, a wrong address or a partial payment said in words."""
    reason = str(effect.data.get("reason", ""))
    await alert(exchange, WORDS, reason=reason, text=str(effect.data.get("text", "")))
    await audit(exchange, f"flow.words.{reason}", f"debtor:{exchange.debtor.id}")


async def _opt_out(exchange: Exchange) -> None:
    point_id = exchange.message.contact_point_id  # type: ignore[attr-defined]
    if point_id is None:
        return
    await ContactPoint.filter(id=point_id).update(opted_out_at=exchange.now)
    reachable = await ContactPoint.filter(
        debtor_id=exchange.debtor.id, opted_out_at__isnull=True, unreachable_at__isnull=True
    ).count()
    await audit(exchange, "flow.opt_out", f"contact_point:{point_id}", reachable_left=reachable)
    if reachable == 0:
        await alert(
            exchange,
            OPTED_OUT_EVERYWHERE,
            total_cents=exchange.ctx.balance_cents,
            currency=exchange.ctx.currency,
        )
