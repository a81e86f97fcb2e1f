"""Early warning: signs that a debtor's behaviour is turning worse, before invoices are very late.

Pure: a debtor's facts as of a day (`DebtorFacts`, built by bot/credit/warning_data.py from the
database, or by bench/early_warning_history.py from a synthetic history) -> the signals found,
each with the figures that justify it, and one suggested action for staff. The thresholds are the
named constants below; docs/early-warning.md gives the measured lead time and false alarms.

The signals:
- PAYING_LATER: the last `RECENT_INVOICES` invoices (settled ones at their days late; or, when
  that reads later, with those still open past the usual counted at their days overdue so far,
  a lower bound) are on average at least
  `LATER_BY_DAYS` later than the debtor's usual (the median of the settled invoices before them,
  at least `BASELINE_MIN_INVOICES` of them) and at least `LATE_FLOOR_DAYS` late.
- SMALLER_PARTIALS: a partial payment in the last `PARTIAL_RECENT_DAYS` covered at most
  `SHRINK_RATIO` of the share of its invoice that the debtor's earlier partial payments (within
  `PARTIAL_MEMORY_DAYS`, at least `PARTIAL_MIN_EARLIER`) covered on average.
- FIRST_BROKEN_PROMISE: a promise broken in the last `BROKEN_RECENT_DAYS`, with no other broken
  in the `BROKEN_MEMORY_DAYS` before it.
- SILENCE: the debtor answered at least `USED_TO_ANSWER` times between `ANSWER_MEMORY_DAYS` and
  `SILENCE_DAYS` ago, and has not answered any of the `SILENCE_REMINDERS` or more reminders sent
  in the last `SILENCE_DAYS` (only those sent at least `ANSWER_WAIT_DAYS` ago count).
- INSTALMENT_LATE: an instalment of an active plan unpaid `INSTALMENT_LATE_MIN_DAYS` or more
  after its date but still within the policy's grace days (past them the plan lapses and staff
  hear of it anyway).

The suggested action (`suggest`): stop credit when `STOP_CREDIT_SIGNALS` signals come at once or
the exposure is above the debtor's credit limit; offer a plan when the trouble is money (paying
later, smaller partial payments) and something is overdue; otherwise call (a broken promise, a
silence, a late instalment: a person's voice first).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.credit.exposure import Exposure
from bot.credit.lateness import Settled

RECENT_INVOICES = 3
BASELINE_MIN_INVOICES = 3
LATER_BY_DAYS = 15
LATE_FLOOR_DAYS = 15

PARTIAL_RECENT_DAYS = 30
PARTIAL_MEMORY_DAYS = 365
PARTIAL_MIN_EARLIER = 2
SHRINK_RATIO = 0.6

BROKEN_RECENT_DAYS = 14
BROKEN_MEMORY_DAYS = 365

ANSWER_MEMORY_DAYS = 180
SILENCE_DAYS = 30
USED_TO_ANSWER = 2
SILENCE_REMINDERS = 4
ANSWER_WAIT_DAYS = 3

INSTALMENT_LATE_MIN_DAYS = 2

STOP_CREDIT_SIGNALS = 3
# The same debtor is not flagged again for the same signal within this many days.
REFLAG_DAYS = 7


class SignalKind(StrEnum):
    PAYING_LATER = "paying_later"
    SMALLER_PARTIALS = "smaller_partials"
    FIRST_BROKEN_PROMISE = "first_broken_promise"
    SILENCE = "silence"
    INSTALMENT_LATE = "instalment_late"


class Action(StrEnum):
    CALL = "call"
    OFFER_PLAN = "offer_plan"
    STOP_CREDIT = "stop_credit"


@dataclass(frozen=True)
class Partial:
    """A payment that left its invoice with a balance."""

    day: dt.date
    amount_cents: int
    invoice_cents: int


@dataclass(frozen=True)
class DueInstalment:
    """An instalment of an active plan not yet paid in full."""

    due: dt.date
    amount_cents: int
    paid_cents: int = 0


@dataclass(frozen=True)
class DebtorFacts:
    """What the early warning reads about one debtor, as known on the morning of `today`.

    `open_overdue`: the due dates of invoices still unpaid (open or partly paid) and past due;
    `broken_promises`: the promised dates of promises broken; `replies`, `reminders`: the days the
    debtor wrote to us and the days a reminder was sent to them."""

    debtor_id: int
    settled: Sequence[Settled] = ()
    open_overdue: Sequence[dt.date] = ()
    partials: Sequence[Partial] = ()
    broken_promises: Sequence[dt.date] = ()
    replies: Sequence[dt.date] = ()
    reminders: Sequence[dt.date] = ()
    instalments: Sequence[DueInstalment] = ()
    exposure: Exposure = field(default_factory=Exposure)
    credit_limit_cents: int | None = None


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    figures: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Warning:
    debtor_id: int
    signals: tuple[Signal, ...]
    action: Action


def paying_later(facts: DebtorFacts, today: dt.date) -> Signal | None:
    settled = sorted(facts.settled, key=lambda s: (s.due, s.invoice_id))
    if len(settled) < BASELINE_MIN_INVOICES + 1:
        return None
    baseline_rows = settled[:-RECENT_INVOICES]
    if len(baseline_rows) < BASELINE_MIN_INVOICES:
        baseline_rows = settled[:BASELINE_MIN_INVOICES]
    usual = statistics.median(max(s.days_late, 0) for s in baseline_rows)
    paid = [(s.due, max(s.days_late, 0)) for s in settled[len(baseline_rows) :]]
    # An invoice still open is at least as late as its days overdue so far: the recent lateness
    # is the larger of the two readings, with and without the open ones past the usual.
    still_open = [(due, (today - due).days) for due in facts.open_overdue]
    with_open = paid + [(due, days) for due, days in still_open if days > usual]
    recent, recent_days = max(
        ((r, statistics.mean(days for _, days in r)) for r in (_last(paid), _last(with_open))),
        key=lambda pair: pair[1],
    )
    if recent_days < LATE_FLOOR_DAYS or recent_days - usual < LATER_BY_DAYS:
        return None
    return Signal(
        SignalKind.PAYING_LATER,
        {
            "recent_count": len(recent),
            "recent_days": round(recent_days),
            "usual_days": round(usual),
        },
    )


def _last(late: list[tuple[dt.date, int]]) -> list[tuple[dt.date, int]]:
    return sorted(late)[-RECENT_INVOICES:]


def smaller_partials(facts: DebtorFacts, today: dt.date) -> Signal | None:
    memory = sorted(
        (p for p in facts.partials if 0 < (today - p.day).days <= PARTIAL_MEMORY_DAYS),
        key=lambda p: p.day,
    )
    if not memory or (today - memory[-1].day).days > PARTIAL_RECENT_DAYS:
        return None
    last, earlier = memory[-1], memory[:-1]
    if len(earlier) < PARTIAL_MIN_EARLIER:
        return None
    share = _share(last)
    usual = statistics.mean(_share(p) for p in earlier)
    if share > SHRINK_RATIO * usual:
        return None
    return Signal(
        SignalKind.SMALLER_PARTIALS,
        {
            "last_cents": last.amount_cents,
            "last_percent": round(100 * share),
            "usual_percent": round(100 * usual),
        },
    )


def _share(partial: Partial) -> float:
    return partial.amount_cents / partial.invoice_cents if partial.invoice_cents > 0 else 0.0


def first_broken_promise(facts: DebtorFacts, today: dt.date) -> Signal | None:
    broken = sorted(day for day in facts.broken_promises if day < today)
    if not broken or (today - broken[-1]).days > BROKEN_RECENT_DAYS:
        return None
    last = broken[-1]
    if any(0 < (last - day).days <= BROKEN_MEMORY_DAYS for day in broken[:-1]):
        return None
    return Signal(SignalKind.FIRST_BROKEN_PROMISE, {"days_ago": (today - last).days})


def silence(facts: DebtorFacts, today: dt.date) -> Signal | None:
    silent_since = today - dt.timedelta(days=SILENCE_DAYS)
    memory_from = today - dt.timedelta(days=ANSWER_MEMORY_DAYS)
    if any(silent_since <= day < today for day in facts.replies):
        return None
    answered = sum(1 for day in facts.replies if memory_from <= day < silent_since)
    if answered < USED_TO_ANSWER:
        return None
    waited = today - dt.timedelta(days=ANSWER_WAIT_DAYS)
    unanswered = sum(1 for day in facts.reminders if silent_since <= day <= waited)
    if unanswered < SILENCE_REMINDERS:
        return None
    return Signal(
        SignalKind.SILENCE,
        {"reminders": unanswered, "answered_before": answered, "days": SILENCE_DAYS},
    )


def instalment_late(facts: DebtorFacts, today: dt.date, grace_days: int) -> Signal | None:
    late = [
        i
        for i in facts.instalments
        if i.paid_cents < i.amount_cents
        and INSTALMENT_LATE_MIN_DAYS <= (today - i.due).days <= grace_days
    ]
    if not late:
        return None
    first = min(late, key=lambda i: i.due)
    return Signal(
        SignalKind.INSTALMENT_LATE,
        {
            "days_late": (today - first.due).days,
            "grace_days": grace_days,
            "amount_cents": first.amount_cents - first.paid_cents,
        },
    )


def suggest(signals: Sequence[Signal], facts: DebtorFacts) -> Action:
    limit = facts.credit_limit_cents
    if len(signals) >= STOP_CREDIT_SIGNALS or (
        limit is not None and facts.exposure.total_cents > limit
    ):
        return Action.STOP_CREDIT
    money_trouble = {SignalKind.PAYING_LATER, SignalKind.SMALLER_PARTIALS}
    if any(s.kind in money_trouble for s in signals) and facts.exposure.overdue_cents > 0:
        return Action.OFFER_PLAN
    return Action.CALL


def assess(facts: DebtorFacts, today: dt.date, grace_days: int) -> Warning | None:
    """The signals a debtor shows this morning and what staff should do; None when none."""
    found = [
        paying_later(facts, today),
        smaller_partials(facts, today),
        first_broken_promise(facts, today),
        silence(facts, today),
        instalment_late(facts, today, grace_days),
    ]
    signals = tuple(s for s in found if s is not None)
    if not signals:
        return None
    return Warning(facts.debtor_id, signals, suggest(signals, facts))


def fresh(
    warnings: Iterable[Warning],
    flagged: Mapping[tuple[int, SignalKind], dt.date],
    today: dt.date,
) -> list[Warning]:
    """The warnings with only the signals not flagged for the same debtor in the last
    `REFLAG_DAYS` days (`flagged`: the last day each debtor and signal was flagged); a warning
    left with none is dropped. The action stays the one all the signals called for."""
    kept = []
    for warning in warnings:
        signals = tuple(
            s
            for s in warning.signals
            if (day := flagged.get((warning.debtor_id, s.kind))) is None
            or (today - day).days >= REFLAG_DAYS
        )
        if signals:
            kept.append(Warning(warning.debtor_id, signals, warning.action))
    return kept
