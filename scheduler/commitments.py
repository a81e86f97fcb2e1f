"""A debtor's commitments checked against their dates: a promise to pay whose day has passed is
kept (paid) or broken (the debtor reminded, staff alerted); a plan's instalment is reminded a few
days before its date, and a plan whose instalment is past its grace days lapses (scheduler/lapse.py
tells the debtor). The clock (scheduler/clock.py) runs these checks.
"""

from __future__ import annotations

import datetime as dt
import logging

from tortoise.transactions import in_transaction

from bot.models import (
    CHASEABLE_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.outbox import queue_message, queue_staff_alert
from bot.runtime import Runtime
from scheduler import cadence
from scheduler.lapse import tell_plan_lapsed

log = logging.getLogger(__name__)

INSTALMENT_REMINDER_DAYS = 3  # an instalment_due reminder goes this many days before the date


async def _open_balance(debtor_id: int, invoice_ids: list[int]) -> tuple[int, str]:
    query = Invoice.filter(debtor_id=debtor_id, status__in=CHASEABLE_STATUSES)
    if invoice_ids:
        query = query.filter(id__in=invoice_ids)
    invoices = await query
    currency = invoices[0].currency if invoices else "EUR"
    return sum(inv.balance_cents for inv in invoices), currency


def _day_start(moment: dt.datetime, runtime: Runtime) -> dt.datetime:
    """Midnight, company time, of the day `moment` falls on.

    A promise counts the payments of its own day on: a bank credit carries only its booking date
    (stored at noon), so a transfer booked the afternoon the debtor promised still keeps it.
    """
    zone = runtime.settings.zone
    return dt.datetime.combine(moment.astimezone(zone).date(), dt.time(), zone)


async def check_promises(runtime: Runtime) -> dict[str, list[int]]:
    """Pending promises whose date has passed: kept when paid, else broken (debtor reminded,
    staff alerted). Returns the promise ids by outcome."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    outcome: dict[str, list[int]] = {"kept": [], "broken": []}
    promises = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date__lt=today
    ).prefetch_related("debtor")
    for promise in promises:
        debtor = promise.debtor
        balance, currency = await _open_balance(debtor.id, [int(i) for i in promise.invoice_ids])
        paid_since = sum(
            await Payment.filter(
                debtor_id=debtor.id, received_at__gte=_day_start(promise.created_at, runtime)
            ).values_list("amount_cents", flat=True)
        )
        kept = balance == 0 or (
            promise.amount_cents is not None and paid_since >= promise.amount_cents
        )
        if kept:
            promise.status = PromiseStatus.KEPT
            await promise.save(update_fields=["status"])
            outcome["kept"].append(promise.id)
            continue
        promise.status = PromiseStatus.BROKEN
        await promise.save(update_fields=["status"])
        outcome["broken"].append(promise.id)
        context = {
            "kind": "promise_reminder",
            "promised_date": promise.promised_date.isoformat(),
            "total_cents": balance,
            "currency": currency,
        }
        await queue_message(
            debtor=debtor,
            template="promise_reminder",
            context=context,
            scheduled_at=now,
            step="promise_reminder",
            idempotency_key=f"promise_reminder:{promise.id}",
        )
        await queue_staff_alert(
            "staff/promise_broken.txt",
            {**context, "debtor_id": debtor.id, "debtor_name": debtor.name},
            now=now,
            debtor=debtor,
            idempotency_key=f"promise_broken:{promise.id}",
        )
    return outcome


async def check_instalments(runtime: Runtime) -> dict[str, list[int]]:
    """Remind instalments coming due; break plans with an instalment unpaid past the grace days
    (instalment missed, plan broken, its invoices open again, staff alerted)."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    grace = runtime.policy.instalments.grace_days
    outcome: dict[str, list[int]] = {"reminded": [], "broken": []}
    remind_until = today + dt.timedelta(days=INSTALMENT_REMINDER_DAYS)
    instalments = await Instalment.filter(
        status=InstalmentStatus.DUE, plan__status=PlanStatus.ACTIVE, due_date__lte=remind_until
    ).prefetch_related("plan", "plan__debtor")
    broken_plans: set[int] = set()
    for instalment in sorted(instalments, key=lambda i: (i.plan_id, i.seq)):  # type: ignore[attr-defined]
        plan = instalment.plan
        debtor = plan.debtor
        owed = instalment.amount_cents - instalment.paid_cents
        if owed <= 0:
            continue
        if instalment.due_date + dt.timedelta(days=grace) < today:
            if plan.id in broken_plans:
                continue
            await _break_plan(runtime, plan, instalment, debtor, owed, now)
            broken_plans.add(plan.id)
            outcome["broken"].append(plan.id)
            continue
        if instalment.due_date < today:
            continue  # within the grace days: the reminder went out before the date
        queued = await queue_message(
            debtor=debtor,
            template="instalment_due",
            context={
                "kind": "instalment_due",
                "plan_id": plan.id,
                "instalment_id": instalment.id,
                "seq": instalment.seq,
                "amount_cents": owed,
                "currency": plan.currency,
                "due_date": instalment.due_date.isoformat(),
                "pay_url": await _instalment_link(runtime, debtor, plan, instalment),
            },
            scheduled_at=now,
            step="instalment_due",
            idempotency_key=f"instalment_due:{instalment.id}",
        )
        if queued is not None:
            outcome["reminded"].append(instalment.id)
    return outcome


async def _instalment_link(
    runtime: Runtime, debtor: Debtor, plan: PaymentPlan, instalment: Instalment
) -> str:
    from bot.payments.links import make_pay_link

    return await make_pay_link(
        runtime.settings,
        debtor,
        "instalment",
        invoice_ids=[int(i) for i in plan.invoice_ids],
        instalment=instalment,
    )


async def _break_plan(
    runtime: Runtime,
    plan: PaymentPlan,
    instalment: Instalment,
    debtor: Debtor,
    owed: int,
    now: dt.datetime,
) -> None:
    """The plan lapses: its invoices are open again, staff are alerted, and the debtor is told
    what happens next, where the plan was agreed (reminders/plan_lapsed)."""
    async with in_transaction():
        instalment.status = InstalmentStatus.MISSED
        await instalment.save(update_fields=["status"])
        plan.status = PlanStatus.BROKEN
        await plan.save(update_fields=["status"])
        ids = [int(i) for i in plan.invoice_ids]
        for invoice in await Invoice.filter(id__in=ids, status=InvoiceStatus.IN_PLAN):
            invoice.status = (
                InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN
            )
            await invoice.save(update_fields=["status", "updated_at"])
        missed = {
            "plan_id": plan.id,
            "seq": instalment.seq,
            "amount_cents": owed,
            "currency": plan.currency,
            "due_date": instalment.due_date.isoformat(),
            "grace_days": runtime.policy.instalments.grace_days,
        }
        await queue_staff_alert(
            "staff/plan_broken.txt",
            {"debtor_id": debtor.id, "debtor_name": debtor.name, **missed},
            now=now,
            debtor=debtor,
            idempotency_key=f"plan_broken:{plan.id}",
        )
        await tell_plan_lapsed(runtime, plan, debtor, missed, now)
