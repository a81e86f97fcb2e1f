"""The step rules of the cadence: which step a debtor's cycle takes next, and which invoices it
lists. Pure functions of plain data; scheduler/cadence.py calls them for every debtor.

**Steps are walked in order.** A message never claims a reminder the log does not hold: the
second reminder says "despite our previous reminder", the third "this is our third reminder".
So a cycle (the anchor invoice) takes the step after the latest one its log holds as sent, never
one further: a debtor met for the first time 70 days late gets the first overdue reminder, then
the next ones at least `reminders.min_days_between_steps` days apart (the cadence compressed in
time), never the final notice at once. The steps before the due date (courtesy, due today) are
each only sent while what they say holds: a courtesy reminder only before the due date, and
neither once an overdue step has come.

**Only what is due is called overdue.** A step lists the invoices its text speaks of: a courtesy
reminder those about to fall due, the due-today step those due today or before, an overdue step
or a final notice only those past their due date. Invoices not yet due may follow on a separate,
labelled line ("in scadenza") when the policy says `not_yet_due = "separate"`, never in the total
and never in a formal notice.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from bot.policy import Policy, Step
from scheduler.coverage import SkipReason
from scheduler.selection import NO_INVOICES, DebtorSnapshot, Group


class Wait(NamedTuple):
    """No step for this cycle now, and why."""

    reason: SkipReason
    detail: str


def next_step(
    policy: Policy,
    anchor_due: dt.date,
    today: dt.date,
    sent_step: str | None = None,
    sent_day: dt.date | None = None,
    earlier: int = 0,
) -> Step | Wait:
    """The step a cycle takes today, given the latest step its log holds as sent (and the day
    the latest reminder went), or why it waits. `earlier`: the debtor's risk band brings the
    overdue steps this many days sooner (never before the first day past the due date)."""
    steps = policy.steps
    days = (today - anchor_due).days
    if earlier:
        return _next_step_earlier(policy, anchor_due, today, sent_step, sent_day, earlier)
    start = 0
    if sent_step is not None:
        start = next((i + 1 for i, s in enumerate(steps) if s.name == sent_step), 0)
    ahead = steps[start:]
    if not ahead:
        return Wait(SkipReason.FINISHED, f"{sent_step} was the last step")
    come = [s for s in ahead if s.days <= days and not (s.courtesy and days >= 0)]
    if not come:
        upcoming = [s for s in ahead if s.days > days]
        if not upcoming:
            return Wait(SkipReason.FINISHED, "no step left for this cycle")
        starts = anchor_due + dt.timedelta(days=upcoming[0].days)
        word = "next" if sent_step else "first"
        return Wait(SkipReason.NOT_DUE_YET, f"{word} step on {starts}")
    overdue = [s for s in come if s.days > 0]
    step = overdue[0] if overdue else come[-1]
    if step.days > 0 and sent_day is not None:
        ready = sent_day + dt.timedelta(days=policy.reminders.min_days_between_steps)
        if today < ready:
            return Wait(SkipReason.STEP_GAP, f"{step.name} on {ready}")
    return step


def step_day(step: Step, earlier: int) -> int:
    """The day of a step for a debtor whose band brings overdue steps `earlier` days sooner."""
    return max(step.days - earlier, 1) if step.days > 0 else step.days


def _next_step_earlier(
    policy: Policy,
    anchor_due: dt.date,
    today: dt.date,
    sent_step: str | None,
    sent_day: dt.date | None,
    earlier: int,
) -> Step | Wait:
    """next_step on a cadence whose overdue steps come `earlier` days sooner."""
    moved = tuple(
        step.model_copy(update={"days": step_day(step, earlier)}) for step in policy.steps
    )
    found = next_step(
        policy.model_copy(update={"steps": moved}), anchor_due, today, sent_step, sent_day
    )
    if isinstance(found, Wait):
        return found
    return next(step for step in policy.steps if step.name == found.name)


def join_json(first: str, second: str) -> str:
    """Two JSON arrays as one, as text (both already serialised by the database)."""
    if first == "[]":
        return second
    if second == "[]":
        return first
    return first[:-1] + "," + second[1:]


def merge(*groups: Group) -> Group:
    present = [g for g in groups if g.count]
    if len(present) <= 1:
        return present[0] if present else NO_INVOICES
    totals: dict[str, int] = {}
    listing = "[]"
    for group in present:
        for currency, cents in group.totals.items():
            totals[currency] = totals.get(currency, 0) + cents
        listing = join_json(listing, group.invoices_json)
    return Group(sum(g.count for g in present), totals, listing)


def listed_invoices(step: Step, debtor: DebtorSnapshot, policy: Policy) -> tuple[Group, Group]:
    """(what the step lists and totals, what it may add on a separate "not yet due" line)."""
    if step.courtesy:
        return merge(debtor.past, debtor.today, debtor.later), NO_INVOICES
    if step.days == 0:
        listed, upcoming = merge(debtor.past, debtor.today), debtor.later
    else:
        listed, upcoming = debtor.past, merge(debtor.today, debtor.later)
    if step.formal or policy.reminders.not_yet_due == "omit":
        upcoming = NO_INVOICES
    return listed, upcoming
