"""The risk score: a debtor's own history -> points from 0 (no risk) to 100, a band, and the
reasons, each with the points it adds. Pure: facts in, score out (docs/credit-score.md).

Every part is a plain count or average, rounded to whole points (halves up) and capped, so a
controller can redo the sum by hand from the reasons:

| part | points | at most |
|---|---|---|
| days late, recency-weighted mean (bot/credit/lateness.py) | 1 per 2 days | 30 |
| trend: mean days late of the last 3 settled invoices less the earlier ones' | 1 per 3 days | 10 |
| share of settled invoices paid late | 20 x share | 20 |
| broken promises to pay | 5 each | 15 |
| lapsed payment plans | 8 each | 16 |
| disputes not settled in the debtor's favour | 3 each | 9 |
| failed (bounced) payments | 5 each | 15 |
| invoices paid in parts | 2 each | 8 |
| unreachable contact points | 3 each | 9 |
| invoices written off (bot/writeoffs.py: never collected) | 10 each | 20 |

The total is capped at 100. Without settled invoices the three lateness parts are replaced by a
neutral `NEUTRAL_POINTS` ("no payment history"); with nothing at all on record the score is that
neutral value with the one reason "no history". Nothing divides by zero: the means and the share
are only taken over a non-empty list.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.credit.lateness import Settled, weighted_days_late
from bot.policy_credit import MAX_POINTS, Credit

NEUTRAL_POINTS = 25
TREND_RECENT = 3  # the last settled invoices the trend compares with the earlier ones

# Counted facts: (Facts field, points each, at most).
COUNTED = (
    ("broken_promises", 5, 15),
    ("lapsed_plans", 8, 16),
    ("disputes", 3, 9),
    ("failed_payments", 5, 15),
    ("partial_payments", 2, 8),
    ("unreachable_points", 3, 9),
    ("written_off", 10, 20),
)
DAYS_PER_POINT = 2
DAYS_LATE_MAX = 30
TREND_DAYS_PER_POINT = 3
TREND_MAX = 10
SHARE_MAX = 20


@dataclass(frozen=True)
class Facts:
    """What a debtor's history holds. `settled`: invoices paid in full, with their days late."""

    settled: tuple[Settled, ...] = ()
    broken_promises: int = 0
    lapsed_plans: int = 0
    disputes: int = 0
    failed_payments: int = 0
    partial_payments: int = 0
    unreachable_points: int = 0
    written_off: int = 0  # invoices with an amount written off: a bad fact, never a settled one

    @property
    def empty(self) -> bool:
        return not self.settled and not any(getattr(self, name) for name, _, _ in COUNTED)


@dataclass(frozen=True)
class Reason:
    """One part of the score: its key (the templates' name for it), its points and its figures
    (`count` of `of`, or `days`)."""

    key: str
    points: int
    count: int = 0
    of: int = 0
    days: float = 0.0


@dataclass(frozen=True)
class Score:
    points: int
    band: str
    reasons: tuple[Reason, ...]

    @property
    def no_history(self) -> bool:
        return any(reason.key == "no_history" for reason in self.reasons)


def whole(value: float) -> int:
    """Rounded to the nearest whole point, halves up."""
    return math.floor(value + 0.5)


def lateness_reasons(settled: Sequence[Settled], today: dt.date) -> list[Reason]:
    """Days late, their trend and the share paid late; one neutral reason without settlements."""
    mean = weighted_days_late(settled, today)
    if mean is None:
        return [Reason("no_payment_history", NEUTRAL_POINTS)]
    ordered = sorted(settled, key=lambda s: (s.due, s.invoice_id))
    late = sum(1 for s in ordered if s.days_late > 0)
    reasons = [
        Reason("days_late", min(DAYS_LATE_MAX, whole(mean / DAYS_PER_POINT)), days=mean),
        Reason("share_late", whole(SHARE_MAX * late / len(ordered)), count=late, of=len(ordered)),
    ]
    if len(ordered) > TREND_RECENT:
        recent = [max(s.days_late, 0) for s in ordered[-TREND_RECENT:]]
        earlier = [max(s.days_late, 0) for s in ordered[:-TREND_RECENT]]
        change = sum(recent) / len(recent) - sum(earlier) / len(earlier)
        if change > 0:
            points = min(TREND_MAX, whole(change / TREND_DAYS_PER_POINT))
            reasons.append(Reason("trend", points, days=change))
    return reasons


def score(facts: Facts, today: dt.date, credit: Credit) -> Score:
    """The debtor's score, band and reasons (the parts that add points, worst first)."""
    if facts.empty:
        reasons = (Reason("no_history", NEUTRAL_POINTS),)
        return Score(NEUTRAL_POINTS, credit.band_for(NEUTRAL_POINTS).name, reasons)
    found = lateness_reasons(facts.settled, today)
    for name, each, most in COUNTED:
        count = int(getattr(facts, name))
        if count > 0:
            found.append(Reason(name, min(most, each * count), count=count))
    points = min(MAX_POINTS, sum(reason.points for reason in found))
    shown = [reason for reason in found if reason.points > 0]
    if not shown:
        shown = [Reason("on_time", 0, of=len(facts.settled))]
    shown.sort(key=lambda reason: -reason.points)
    return Score(points, credit.band_for(points).name, tuple(shown))
