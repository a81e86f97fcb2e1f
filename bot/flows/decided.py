"""What the debtor reads when staff decide on what the debtor asked for (bot/decisions/).

Pure, like every flow: the decisions call these and send the replies; `pay_url` (a `fills` key)
is the link the decision made. A counter-offer also moves the conversation to plan.counter.
"""

from __future__ import annotations

import datetime as dt

from bot.flows.context import FlowContext, Outcome, ReplySpec
from bot.flows.graph import arrive
from bot.flows.menu import menu_options
from bot.flows.plan import Schedule
from bot.flows.stages import At, go, say


def plan_approved_replies(rows: Schedule, currency: str, total_cents: int) -> list[ReplySpec]:
    """Staff (or the bot) approved the plan: the schedule and the first instalment's link."""
    return [
        say(
            "flows/plan/approved_by_staff.txt",
            fills=("pay_url",),
            count=len(rows),
            total_cents=total_cents,
            currency=currency,
            schedule=[{"due_date": due, "amount_cents": amount} for due, amount in rows],
        )
    ]


def plan_rejected_replies(ctx: FlowContext) -> list[ReplySpec]:
    """Staff rejected the plan: say so, with the menu's options to go on."""
    return [say("flows/plan/rejected.txt", menu_options(ctx))]


def counter_offer(
    ctx: FlowContext, plan_id: int, total_cents: int, count: int, first_due: dt.date
) -> Outcome:
    """Staff countered with other terms: show them and wait for the debtor's yes or no."""
    data = {
        "plan_id": plan_id,
        "total_cents": total_cents,
        "count": count,
        "first_due": first_due.isoformat(),
    }
    return arrive(go(At.PLAN_COUNTER, data), ctx)


def discount_approved_replies(data: dict[str, object]) -> list[ReplySpec]:
    """Staff approved the discount: the decision makes the link (the request's amount, valid
    until its date) and fills `pay_url`. `data` is the request's terms."""
    return [
        say(
            "flows/discount/approved_by_staff.txt",
            fills=("pay_url",),
            percent=data["percent"],
            amount_cents=data["amount_cents"],
            valid_until=dt.date.fromisoformat(str(data["valid_until"])),
            currency=data.get("currency", "EUR"),
        )
    ]


def discount_rejected_replies(ctx: FlowContext) -> list[ReplySpec]:
    return [say("flows/discount/rejected.txt", menu_options(ctx))]
