"""A plan that lapses is told to the debtor, where the plan was agreed: what was missed, what is
due again, what happens next. Staff get their own alert (scheduler/commitments.py `_break_plan`).

The message goes through the outbox like every other (reminders/plan_lapsed, one per plan), to
the contact point on which the debtor asked for the plan (the `flow.plan_requested` audit event
records it), or by the usual routing when that one is unknown or no longer reachable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import CHASEABLE_STATUSES, AuditEvent, ContactPoint, Debtor, Invoice, PaymentPlan
from bot.outbox import queue_message
from bot.payments.links import make_pay_link
from bot.runtime import Runtime


async def tell_plan_lapsed(
    runtime: Runtime, plan: PaymentPlan, debtor: Debtor, missed: dict[str, Any], now: dt.datetime
) -> None:
    """Queue reminders/plan_lapsed for the debtor: which instalment was missed, what is due
    again, that reminders resume, and a link to pay it."""
    ids = [int(i) for i in plan.invoice_ids]
    invoices = await Invoice.filter(id__in=ids, status__in=CHASEABLE_STATUSES).order_by("id")
    open_invoices = [invoice for invoice in invoices if invoice.balance_cents > 0]
    if not open_invoices:
        return  # paid meanwhile: nothing is due again
    point = await _where_plan_agreed(plan)
    await queue_message(
        debtor=debtor,
        template="plan_lapsed",
        context={
            **missed,
            "kind": "plan_lapsed",
            "plan_currency": plan.currency,
            "total_cents": sum(invoice.balance_cents for invoice in open_invoices),
            "plan_invoices": [invoice.number for invoice in open_invoices],
            "pay_url": await make_pay_link(
                runtime.settings,
                debtor,
                "balance",
                invoice_ids=[invoice.id for invoice in open_invoices],
            ),
        },
        scheduled_at=now,
        step="plan_lapsed",
        channel=point.channel if point is not None else None,
        contact_point=point,
        idempotency_key=f"plan_lapsed:{plan.id}",
    )


async def _where_plan_agreed(plan: PaymentPlan) -> ContactPoint | None:
    """The debtor's contact point on which the plan was asked for, while it can still be used;
    None (the usual routing) when it is not known or no longer reachable."""
    requested = (
        await AuditEvent.filter(action="flow.plan_requested", subject=f"plan:{plan.id}")
        .order_by("-id")
        .first()
    )
    data = requested.data if requested is not None else None
    point_id = data.get("contact_point_id") if isinstance(data, dict) else None
    if not isinstance(point_id, int):
        return None
    point = await ContactPoint.get_or_none(id=point_id, debtor_id=plan.debtor_id)  # type: ignore[attr-defined]
    if point is None or point.opted_out_at is not None or point.unreachable_at is not None:
        return None
    return point
