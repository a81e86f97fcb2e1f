"""The cash-flow forecast: what we expect to be paid each week of the next N weeks, and what is
overdue beside it.

Pure: open items, pending promises, plan instalments and each debtor's own lateness in, weekly
figures out. The rules, one place:
- An open invoice (not in a plan, not disputed) is expected on its due date plus the debtor's
  recency-weighted days late (bot/credit/lateness.py), rounded to whole days; a debtor without
  history is expected on the due date. An invoice due on day D from a debtor who pays 20 days late
  is expected on D+20.
- A pending promise dated today or later moves that much of the debtor's open balance (oldest due
  first; the whole balance when the promise names no amount) to the promised date.
- An invoice in an active plan is expected through its instalments, each on its own due date.
- A disputed invoice is not expected: it is counted apart.
- Whatever was expected before today (past the debtor's usual lateness, or an instalment still in
  its grace days) is not spread over the weeks: it is `past_expected_cents`, beside the overdue.
- Week i covers today + 7i to today + 7i + 6; anything expected later is `later_cents`.
So every cent of the forecastable balance is in exactly one place:
weeks + past_expected + later = forecastable (tested).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_WEEKS = 8
# The reports are in the company's currency; invoices in another one are counted apart.
REPORT_CURRENCY = "EUR"
MAX_WEEKS = 26  # a week a caption line: 26 of them stay within Telegram's 1,024 characters


@dataclass(frozen=True)
class OpenItem:
    """An invoice with a balance, outside any plan."""

    debtor_id: int
    invoice_id: int
    due: dt.date
    balance_cents: int
    disputed: bool = False


@dataclass(frozen=True)
class PromiseItem:
    """A pending promise to pay: on `promised`, `amount_cents` (None: the whole open balance)."""

    debtor_id: int
    promised: dt.date
    amount_cents: int | None


@dataclass(frozen=True)
class InstalmentItem:
    """What is still owed on one instalment of an active plan."""

    debtor_id: int
    due: dt.date
    outstanding_cents: int


@dataclass(frozen=True)
class Week:
    start: dt.date
    invoices_cents: int = 0
    promises_cents: int = 0
    instalments_cents: int = 0

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def total_cents(self) -> int:
        return self.invoices_cents + self.promises_cents + self.instalments_cents


@dataclass(frozen=True)
class Forecast:
    today: dt.date
    weeks: tuple[Week, ...]
    overdue_cents: int  # due before today (invoices and instalments, disputed ones apart)
    overdue_count: int
    past_expected_cents: int  # expected before today and not paid: not in any week
    later_cents: int  # expected after the last week
    disputed_cents: int
    forecastable_cents: int  # every open balance but the disputed

    @property
    def expected_cents(self) -> int:
        return sum(week.total_cents for week in self.weeks)

    def context(self) -> dict[str, Any]:
        """The figures as plain JSON values: what a caption, a chart or an outbox row holds."""
        return {
            "today": self.today.isoformat(),
            "weeks": [
                {
                    "start": week.start.isoformat(),
                    "end": week.end.isoformat(),
                    "invoices_cents": week.invoices_cents,
                    "promises_cents": week.promises_cents,
                    "instalments_cents": week.instalments_cents,
                    "total_cents": week.total_cents,
                }
                for week in self.weeks
            ],
            "expected_cents": self.expected_cents,
            "overdue_cents": self.overdue_cents,
            "overdue_count": self.overdue_count,
            "past_expected_cents": self.past_expected_cents,
            "later_cents": self.later_cents,
            "disputed_cents": self.disputed_cents,
            "forecastable_cents": self.forecastable_cents,
            "currency": REPORT_CURRENCY,
        }


def expected_date(due: dt.date, days_late: float | None) -> dt.date:
    """When an invoice due on `due` is expected from a debtor `days_late` late on average."""
    return due + dt.timedelta(days=round(days_late or 0))


def _promised_parts(
    items: Sequence[OpenItem], promises: Sequence[PromiseItem], today: dt.date
) -> tuple[list[tuple[dt.date, int]], dict[int, int]]:
    """One debtor's promises applied to their items, oldest due first.

    Returns the promised (date, cents) parts and what each invoice has left after them."""
    left = {item.invoice_id: item.balance_cents for item in items}
    order = sorted(items, key=lambda item: (item.due, item.invoice_id))
    parts: list[tuple[dt.date, int]] = []
    for promise in sorted(promises, key=lambda p: p.promised):
        if promise.promised < today:
            continue  # not kept and not yet marked broken: the items follow the usual rule
        wanted = sum(left.values()) if promise.amount_cents is None else promise.amount_cents
        taken = 0
        for item in order:
            share = min(left[item.invoice_id], wanted - taken)
            if share <= 0:
                continue
            left[item.invoice_id] -= share
            taken += share
        if taken:
            parts.append((promise.promised, taken))
    return parts, left


@dataclass
class _Buckets:
    today: dt.date
    weeks: int
    cents: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    past: int = 0
    later: int = 0

    def put(self, day: dt.date, cents: int, kind: str) -> None:
        offset = (day - self.today).days
        if offset < 0:
            self.past += cents
        elif offset >= 7 * self.weeks:
            self.later += cents
        else:
            self.cents[(offset // 7, kind)] += cents

    def week(self, index: int) -> Week:
        return Week(
            start=self.today + dt.timedelta(days=7 * index),
            invoices_cents=self.cents[(index, "invoices")],
            promises_cents=self.cents[(index, "promises")],
            instalments_cents=self.cents[(index, "instalments")],
        )


def forecast(
    items: Iterable[OpenItem],
    promises: Iterable[PromiseItem],
    instalments: Iterable[InstalmentItem],
    days_late: Mapping[int, float | None],
    today: dt.date,
    weeks: int = DEFAULT_WEEKS,
) -> Forecast:
    """The weekly forecast (see the module's rules); `days_late` per debtor id."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}, not {weeks}")
    buckets = _Buckets(today, weeks)
    per_debtor: dict[int, list[OpenItem]] = defaultdict(list)
    disputed = overdue = overdue_count = forecastable = 0
    for item in items:
        if item.balance_cents <= 0:
            continue
        if item.disputed:
            disputed += item.balance_cents
            continue
        per_debtor[item.debtor_id].append(item)
        forecastable += item.balance_cents
        if item.due < today:
            overdue += item.balance_cents
            overdue_count += 1
    promised: dict[int, list[PromiseItem]] = defaultdict(list)
    for promise in promises:
        promised[promise.debtor_id].append(promise)
    for debtor_id, owed in per_debtor.items():
        parts, left = _promised_parts(owed, promised.get(debtor_id, []), today)
        for day, cents in parts:
            buckets.put(day, cents, "promises")
        lateness = days_late.get(debtor_id)
        for item in owed:
            if left[item.invoice_id]:
                buckets.put(expected_date(item.due, lateness), left[item.invoice_id], "invoices")
    for instalment in instalments:
        if instalment.outstanding_cents <= 0:
            continue
        forecastable += instalment.outstanding_cents
        if instalment.due < today:
            overdue += instalment.outstanding_cents
            overdue_count += 1
        buckets.put(instalment.due, instalment.outstanding_cents, "instalments")
    return Forecast(
        today=today,
        weeks=tuple(buckets.week(index) for index in range(weeks)),
        overdue_cents=overdue,
        overdue_count=overdue_count,
        past_expected_cents=buckets.past,
        later_cents=buckets.later,
        disputed_cents=disputed,
        forecastable_cents=forecastable,
    )
