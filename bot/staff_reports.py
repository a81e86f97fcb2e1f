"""What the staff chat's commands show: the aging of overdue invoices, one debtor, one plan.

The arithmetic (`aging`) is a plain function; the queries gather what the templates
staff/overdue.txt, staff/debtor.txt and staff/plan.txt render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.models import (
    CLOSED_STATUSES,
    Conversation,
    Debtor,
    Instalment,
    Invoice,
    InvoiceStatus,
    PaymentAllocation,
    PaymentPlan,
    PaymentStatus,
    PromiseStatus,
    PromiseToPay,
)

if TYPE_CHECKING:
    from bot.policy import Policy

# (label, first day overdue, last day overdue or None for "and older")
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
MATCHES_SHOWN = 5
INVOICES_SHOWN = 20  # a Telegram message holds 4096 characters


@dataclass
class Bucket:
    label: str
    count: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # currency -> cents


def aging(invoices: Iterable[tuple[dt.date, int, str]], today: dt.date) -> list[Bucket]:
    """Overdue balances by days past due: (due date, balance cents, currency) per invoice.

    Not yet due or nothing owed: left out. Day 1 after the due date falls in "0-30".
    """
    buckets = [Bucket(label) for label, _, _ in AGING_BUCKETS]
    for due_date, balance_cents, currency in invoices:
        days = (today - due_date).days
        if days < 1 or balance_cents <= 0:
            continue
        for bucket, (_, first, last) in zip(buckets, AGING_BUCKETS, strict=True):
            if days >= first and (last is None or days <= last):
                bucket.count += 1
                bucket.totals[currency] = bucket.totals.get(currency, 0) + balance_cents
                break
    return buckets


async def owed_invoices(debtor_id: int | None = None) -> list[Invoice]:
    """Invoices with something still owed (open, partially paid, in a plan, disputed)."""
    query = Invoice.exclude(status__in=CLOSED_STATUSES)
    if debtor_id is not None:
        query = query.filter(debtor_id=debtor_id)
    invoices = await query.order_by("due_date", "id")
    return [invoice for invoice in invoices if invoice.balance_cents > 0]


async def overdue_report(today: dt.date) -> dict[str, Any]:
    invoices = await owed_invoices()
    buckets = aging(((i.due_date, i.balance_cents, i.currency) for i in invoices), today)
    totals: dict[str, int] = {}
    for bucket in buckets:
        for currency, cents in bucket.totals.items():
            totals[currency] = totals.get(currency, 0) + cents
    return {
        "buckets": buckets,
        "count": sum(bucket.count for bucket in buckets),
        "totals": totals,
        "today": today,
    }


async def find_debtors(query: str) -> list[Debtor]:
    """By reference (exact, any case) first, else by a part of the name."""
    query = query.strip()
    if not query:
        return []
    exact = await Debtor.filter(external_ref__iexact=query)
    if exact:
        return exact
    return await Debtor.filter(name__icontains=query).order_by("name").limit(MATCHES_SHOWN + 1)


async def debtor_report(debtor: Debtor, policy: Policy | None = None) -> dict[str, Any]:
    """The /debtor card; with the policy, the contact points skipped for lack of consent."""
    from scheduler.proactive import CHANNEL_NAMES, skipped_for_consent

    skipped = await skipped_for_consent([debtor.id], policy) if policy is not None else []
    invoices = await owed_invoices(debtor.id)
    conversation = await Conversation.get_or_none(debtor_id=debtor.id)
    state = conversation.state if conversation else {}
    stage = ""
    if isinstance(state, dict) and state.get("flow"):
        stage = f"{state.get('flow')}.{state.get('stage', '')}"
    totals: dict[str, int] = {}
    for invoice in invoices:
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.balance_cents
    return {
        "debtor": debtor,
        "invoices": invoices[:INVOICES_SHOWN],
        "more_invoices": max(len(invoices) - INVOICES_SHOWN, 0),
        "totals": totals,
        "history": await debtor_history(debtor),
        "stage": stage,
        "channel": conversation.channel.value if conversation and conversation.channel else "",
        "paused_until": debtor.paused_until,
        "no_consent": [
            {"channel": CHANNEL_NAMES[point.channel], "address": point.address} for point in skipped
        ],
    }


async def plan_report(debtor: Debtor) -> dict[str, Any]:
    plan = await PaymentPlan.filter(debtor_id=debtor.id).order_by("-requested_at", "-id").first()
    instalments = (
        await Instalment.filter(plan_id=plan.id).order_by("seq") if plan is not None else []
    )
    return {"debtor": debtor, "plan": plan, "instalments": instalments}


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
