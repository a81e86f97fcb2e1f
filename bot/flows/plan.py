"""Instalment plans (piano di rientro): the schedule maths, the policy checks, the conversation.

Amounts are integer cents. Every instalment but the last is the total divided by the count,
rounded down; the last absorbs the remainder, so the amounts add up to the total exactly. The
first instalment is due on `first_due` (today unless the debtor proposes a date), the others
every `interval_days` after it; moving a date off a holiday is the scheduler's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, ReplySpec, same_day
from bot.flows.effects import AnswerCounter, RequestPlan
from bot.flows.options import Choice
from bot.flows.promise import parse_promise_date
from bot.flows.stages import MENU, At, Data, Stage, go, say
from bot.policy import Instalments, Policy

Schedule = list[tuple[dt.date, int]]


class PlanProblem(StrEnum):
    NOTHING_DUE = "nothing_due"
    COUNT_TOO_LOW = "count_too_low"  # fewer than 2 instalments is not a plan
    COUNT_TOO_HIGH = "count_too_high"  # more than instalments.max_count
    INSTALMENT_TOO_SMALL = "instalment_too_small"  # below instalments.min_instalment
    TOO_LONG = "too_long"  # the last instalment falls after today + max_length_days
    FIRST_DUE_IN_PAST = "first_due_in_past"


def schedule(
    total_cents: int,
    count: int,
    first_due: dt.date,
    interval_days: int,
    business_day: Callable[[dt.date], dt.date] = same_day,
) -> Schedule:
    """[(due date, amount in cents)]: equal parts rounded down, the last absorbing the rest;
    each date `business_day` of the planned one (first_due + interval_days * n)."""
    if count < 1:
        raise ValueError("an instalment plan needs at least one instalment")
    if total_cents < 0:
        raise ValueError("the total cannot be negative")
    base = total_cents // count
    amounts = [base] * (count - 1) + [total_cents - base * (count - 1)]
    return [
        (business_day(first_due + dt.timedelta(days=interval_days * index)), amount)
        for index, amount in enumerate(amounts)
    ]


def last_due(count: int, first_due: dt.date, interval_days: int) -> dt.date:
    return first_due + dt.timedelta(days=interval_days * (count - 1))


def validate_plan(
    total_cents: int, count: int, first_due: dt.date, today: dt.date, rules: Instalments
) -> list[PlanProblem]:
    """Every way this plan breaks the policy's instalment rules; empty when it is acceptable."""
    problems: list[PlanProblem] = []
    if total_cents <= 0:
        return [PlanProblem.NOTHING_DUE]
    if count < 2:
        problems.append(PlanProblem.COUNT_TOO_LOW)
    if count > rules.max_count:
        problems.append(PlanProblem.COUNT_TOO_HIGH)
    if count >= 1 and total_cents // count < rules.min_instalment_cents:
        problems.append(PlanProblem.INSTALMENT_TOO_SMALL)
    if first_due < today:
        problems.append(PlanProblem.FIRST_DUE_IN_PAST)
    if (
        count >= 1
        and (last_due(count, first_due, rules.interval_days) - today).days > rules.max_length_days
    ):
        problems.append(PlanProblem.TOO_LONG)
    return problems


def needs_staff_approval(total_cents: int, policy: Policy) -> bool:
    """Plans above the auto-approve limit go to staff; the others are approved at once."""
    return total_cents > policy.instalments.staff_approval_above_cents


def offered_counts(
    total_cents: int, rules: Instalments, first_due: dt.date, today: dt.date
) -> tuple[int, ...]:
    """The policy's counts that this total and first date allow (min instalment, length)."""
    return tuple(
        count
        for count in rules.counts
        if not validate_plan(total_cents, count, first_due, today, rules)
    )


# The conversation ---------------------------------------------------------------------------
# plan.choose      pick a count (or propose the first date)  -> plan.confirm / plan.first_date
# plan.first_date  type the first payment date               -> plan.choose with that date
# plan.confirm     see the schedule, confirm                 -> RequestPlan, back to the menu
# plan.counter     staff proposed other terms (counter_offer) -> AnswerCounter, back to the menu


def _first_due(data: Data, ctx: FlowContext) -> dt.date:
    """The first instalment's day: the one proposed, else today; a day that has passed while the
    conversation waited becomes today; and a day the company does not work, the next one that it
    does. So the schedule never shows a first instalment already past or on a holiday."""
    raw = data.get("first_due")
    if raw is None:
        return ctx.business_day(ctx.today)
    # Malformed: ValueError/TypeError -> the dispatcher's stale path.
    return ctx.business_day(max(dt.date.fromisoformat(raw), ctx.today))


def plan_schedule(total: int, count: int, first_due: dt.date, ctx: FlowContext) -> Schedule:
    """The schedule as the debtor reads it: on the company's business days."""
    return schedule(total, count, first_due, ctx.policy.instalments.interval_days, ctx.business_day)


def _schedule_context(total: int, count: int, first_due: dt.date, ctx: FlowContext) -> dict:
    rows = plan_schedule(total, count, first_due, ctx)
    return {
        "count": count,
        "total_cents": total,
        "currency": ctx.currency,
        "schedule": [{"due_date": due, "amount_cents": amount} for due, amount in rows],
    }


def _problems_context(problems: list[PlanProblem], ctx: FlowContext) -> dict[str, Any]:
    rules = ctx.policy.instalments
    return {
        "problems": [str(problem) for problem in problems],
        "max_count": rules.max_count,
        "min_instalment_cents": rules.min_instalment_cents,
        "max_length_days": rules.max_length_days,
        "currency": ctx.currency,
    }


def enter(ctx: FlowContext, first_due: dt.date | None = None) -> Outcome:
    """Start (or restart) the plan conversation; when no count fits, say so from the menu."""
    first = ctx.business_day(first_due or ctx.today)
    if not offered_counts(ctx.balance_cents, ctx.policy.instalments, first, ctx.today):
        problems = validate_plan(
            ctx.balance_cents,
            min(ctx.policy.instalments.counts),
            first,
            ctx.today,
            ctx.policy.instalments,
        )
        reply = say("flows/plan/not_possible.txt", **_problems_context(problems, ctx))
        return go(MENU, before=[reply])
    data = {"first_due": first_due.isoformat()} if first_due else {}
    return go(At.PLAN_CHOOSE, data)


def choose_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    counts = offered_counts(
        ctx.balance_cents, ctx.policy.instalments, _first_due(data, ctx), ctx.today
    )
    return (
        *(opt.plan_count_option(count) for count in counts),
        opt.option(opt.PLAN_FIRST_DATE),
        opt.option(opt.BACK),
    )


def _choose_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say(
        "flows/plan/choose.txt",
        choose_options(data, ctx),
        total_cents=ctx.balance_cents,
        currency=ctx.currency,
        first_due=_first_due(data, ctx),
        interval_days=ctx.policy.instalments.interval_days,
    )


def _choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(MENU)
    if key == opt.PLAN_FIRST_DATE:
        return go(At.PLAN_FIRST_DATE, data)
    count = opt.plan_count_of(key)
    if count is None:
        return None
    return go(At.PLAN_CONFIRM, {**data, "count": count})


def choose_count(count: int, ctx: FlowContext) -> Outcome:
    """The debtor named a count the plan offers ("in 3 rate"): straight to its confirmation."""
    return go(At.PLAN_CONFIRM, {"count": count})


def _first_date_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    rules = ctx.policy.instalments
    latest = ctx.today + dt.timedelta(
        days=rules.max_length_days - rules.interval_days * (min(rules.counts) - 1)
    )
    return say(
        "flows/plan/first_date.txt",
        (opt.option(opt.BACK),),
        latest=max(latest, ctx.today),
    )


def _first_date_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    return go(At.PLAN_CHOOSE, {}) if key == opt.BACK else None


def _first_date_text(user: Input, data: Data, ctx: FlowContext) -> Outcome | None:
    day = parse_promise_date(user.text, ctx.language, ctx.today)
    if day is None:
        return None
    rules = ctx.policy.instalments
    if offered_counts(ctx.balance_cents, rules, day, ctx.today):
        return go(At.PLAN_CHOOSE, {"first_due": day.isoformat()})
    problems = validate_plan(ctx.balance_cents, min(rules.counts), day, ctx.today, rules)
    refused = say("flows/plan/refused.txt", first_due=day, **_problems_context(problems, ctx))
    return go(At.PLAN_FIRST_DATE, data, before=[refused])


def _confirm_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (opt.option(opt.YES), opt.option(opt.NO))


def _count(data: Data) -> int:
    count = data["count"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise ValueError("count must be a whole number")
    return count


def _confirm_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    context = _schedule_context(ctx.balance_cents, _count(data), _first_due(data, ctx), ctx)
    return say(
        "flows/plan/confirm.txt",
        _confirm_options(data, ctx),
        needs_staff=needs_staff_approval(ctx.balance_cents, ctx.policy) or not ctx.auto_plans,
        **context,
    )


def _confirm(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.NO:
        return go(At.PLAN_CHOOSE, {k: v for k, v in data.items() if k == "first_due"})
    if key != opt.YES:
        return None
    total, count, first_due = ctx.balance_cents, _count(data), _first_due(data, ctx)
    rules = ctx.policy.instalments
    problems = validate_plan(total, count, first_due, ctx.today, rules)
    if problems:  # the balance or the day changed since the schedule was shown
        refused = say(
            "flows/plan/refused.txt", first_due=first_due, **_problems_context(problems, ctx)
        )
        return go(At.PLAN_CHOOSE, {}, before=[refused])
    rows = plan_schedule(total, count, first_due, ctx)
    staff = needs_staff_approval(total, ctx.policy) or not ctx.auto_plans
    effect = RequestPlan(
        count=count, first_due=first_due, schedule=tuple(rows), total_cents=total, needs_staff=staff
    )
    template = "flows/plan/sent_to_staff.txt" if staff else "flows/plan/approved.txt"
    done = say(template, **_schedule_context(total, count, first_due, ctx))
    return go(MENU, before=[done], effects=[effect], prompt=False)


def _counter_terms(data: Data) -> tuple[int, int, int, dt.date]:
    plan_id, total, count = data["plan_id"], data["total_cents"], _count(data)
    for value in (plan_id, total):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError("a counter-offer needs a plan id and a positive total")
    return plan_id, total, count, dt.date.fromisoformat(data["first_due"])


def _counter_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    _, total, count, first_due = _counter_terms(data)
    rows = plan_schedule(total, count, ctx.business_day(max(first_due, ctx.today)), ctx)
    return say(
        "flows/plan/counter.txt",
        _confirm_options(data, ctx),
        count=count,
        total_cents=total,
        currency=ctx.currency,
        schedule=[{"due_date": due, "amount_cents": amount} for due, amount in rows],
    )


def _counter(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    plan_id = _counter_terms(data)[0]  # checks the whole offer, not only the id
    if key == opt.YES:
        done = say("flows/plan/counter_accepted.txt")
        effect = AnswerCounter(plan_id=plan_id, accepted=True)
        return go(MENU, before=[done], effects=[effect], prompt=False)
    if key == opt.NO:
        declined = say("flows/plan/counter_declined.txt")
        effect = AnswerCounter(plan_id=plan_id, accepted=False)
        return go(MENU, before=[declined], effects=[effect])
    return None


# The stages this module handles; where each may lead is declared in bot/flows/graph.py.
CHOOSE = Stage(At.PLAN_CHOOSE, choose_options, _choose_prompt, _choose)
FIRST_DATE = Stage(
    At.PLAN_FIRST_DATE,
    lambda data, ctx: (opt.option(opt.BACK),),
    _first_date_prompt,
    _first_date_choose,
    _first_date_text,
)
CONFIRM = Stage(At.PLAN_CONFIRM, _confirm_options, _confirm_prompt, _confirm)
COUNTER = Stage(At.PLAN_COUNTER, _confirm_options, _counter_prompt, _counter)
