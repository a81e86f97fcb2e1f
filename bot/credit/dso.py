"""Days sales outstanding: how many days of sales are still unpaid, and how that moves.

Pure. DSO on a day = receivables that day / sales of the `window` days up to it x `window`
(the usual count: sales are the invoices issued in the window, net of any discount granted).
Receivables on a past day are rebuilt from the invoices issued by then less the payments
allocated to them by then, so the trend needs no snapshot table: today's figure is exactly the
exposure (bot/credit/exposure.py) of every invoice still owed, tested. Cancelled and written-off
invoices are left out at every date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.credit.cashflow import REPORT_CURRENCY

WINDOW_DAYS = 90
TREND_POINTS = 7  # today and every STEP_DAYS before it: the last 90 days
STEP_DAYS = 15
# A move of less than a day either way is "steady".
STEADY_DAYS = 1.0


@dataclass(frozen=True)
class InvoiceHistory:
    """An invoice as DSO sees it: issued when, for how much, paid when and how much."""

    issued: dt.date
    net_cents: int  # amount less any discount granted
    payments: tuple[tuple[dt.date, int], ...] = ()


@dataclass(frozen=True)
class DsoPoint:
    day: dt.date
    receivable_cents: int
    sales_cents: int

    @property
    def days(self) -> float | None:
        """None when nothing was invoiced in the window (DSO has no meaning then)."""
        if self.sales_cents <= 0:
            return None
        return self.receivable_cents / self.sales_cents * WINDOW_DAYS


@dataclass(frozen=True)
class Dso:
    points: tuple[DsoPoint, ...]  # oldest first; the last is today

    @property
    def today(self) -> DsoPoint:
        return self.points[-1]

    @property
    def change(self) -> float | None:
        """Today's DSO less the oldest point's that has one (None when either has none)."""
        first = next((p.days for p in self.points if p.days is not None), None)
        last = self.today.days
        if first is None or last is None:
            return None
        return last - first

    @property
    def trend(self) -> str:
        """ "up" (customers pay slower), "down" (faster), "steady", or "unknown"."""
        change = self.change
        if change is None:
            return "unknown"
        if change > STEADY_DAYS:
            return "up"
        if change < -STEADY_DAYS:
            return "down"
        return "steady"

    def context(self) -> dict[str, Any]:
        today = self.today
        change = self.change
        return {
            "today": today.day.isoformat(),
            "dso_days": None if today.days is None else round(today.days, 1),
            "receivable_cents": today.receivable_cents,
            "sales_cents": today.sales_cents,
            "window_days": WINDOW_DAYS,
            "change_days": None if change is None else round(change, 1),
            "trend": self.trend,
            "points": [
                {
                    "day": p.day.isoformat(),
                    "dso_days": None if p.days is None else round(p.days, 1),
                    "receivable_cents": p.receivable_cents,
                    "sales_cents": p.sales_cents,
                }
                for p in self.points
            ],
            "currency": REPORT_CURRENCY,
        }


def dso(
    invoices: Iterable[InvoiceHistory],
    today: dt.date,
    points: int = TREND_POINTS,
    step_days: int = STEP_DAYS,
) -> Dso:
    """DSO today and at `points - 1` earlier days, `step_days` apart."""
    changes: list[tuple[dt.date, int]] = []  # receivables move: + on issue, - on payment
    issued: list[tuple[dt.date, int]] = []
    for invoice in invoices:
        changes.append((invoice.issued, invoice.net_cents))
        issued.append((invoice.issued, invoice.net_cents))
        # A payment booked before its invoice was issued reduces it from the issue day.
        changes.extend((max(day, invoice.issued), -cents) for day, cents in invoice.payments)
    changes.sort()
    issued.sort()
    change_days = [day for day, _ in changes]
    change_sums = list(itertools.accumulate((cents for _, cents in changes), initial=0))
    issue_days = [day for day, _ in issued]
    issue_sums = list(itertools.accumulate((cents for _, cents in issued), initial=0))
    days = [today - dt.timedelta(days=step_days * k) for k in range(points - 1, -1, -1)]
    return Dso(
        points=tuple(_point(day, change_days, change_sums, issue_days, issue_sums) for day in days)
    )


def _point(
    day: dt.date,
    change_days: Sequence[dt.date],
    change_sums: Sequence[int],
    issue_days: Sequence[dt.date],
    issue_sums: Sequence[int],
) -> DsoPoint:
    receivable = change_sums[bisect.bisect_right(change_days, day)]
    start = day - dt.timedelta(days=WINDOW_DAYS)
    sales = (
        issue_sums[bisect.bisect_right(issue_days, day)]
        - issue_sums[bisect.bisect_right(issue_days, start)]
    )
    return DsoPoint(day=day, receivable_cents=receivable, sales_cents=sales)
