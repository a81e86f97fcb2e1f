"""Aging: open balances by how long past due, in amount and in number of invoices.

Pure. The same buckets as /overdue (bot/staff_reports.AGING_BUCKETS: day 1 after the due date is
in "0-30"), with "not yet due" in front, so /aging and /overdue never disagree about a bucket.
Every invoice with a balance counts (open, partly paid, in a plan, disputed: bot/credit/exposure's
EXPOSED_STATUSES), as exposure does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.credit.cashflow import REPORT_CURRENCY
from bot.staff_reports import AGING_BUCKETS

NOT_DUE = "not_due"
BUCKET_KEYS: tuple[str, ...] = (NOT_DUE, *(label for label, _, _ in AGING_BUCKETS))


@dataclass(frozen=True)
class AgingBucket:
    key: str
    count: int
    cents: int


@dataclass(frozen=True)
class Aging:
    today: dt.date
    buckets: tuple[AgingBucket, ...]

    @property
    def total_cents(self) -> int:
        return sum(bucket.cents for bucket in self.buckets)

    @property
    def count(self) -> int:
        return sum(bucket.count for bucket in self.buckets)

    @property
    def overdue_cents(self) -> int:
        return sum(bucket.cents for bucket in self.buckets if bucket.key != NOT_DUE)

    def context(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "buckets": [
                {"key": bucket.key, "count": bucket.count, "cents": bucket.cents}
                for bucket in self.buckets
            ],
            "total_cents": self.total_cents,
            "count": self.count,
            "overdue_cents": self.overdue_cents,
            "currency": REPORT_CURRENCY,
        }


def bucket_of(days_overdue: int) -> str:
    """The bucket of an invoice `days_overdue` days past its due date (0 or less: not due)."""
    if days_overdue < 1:
        return NOT_DUE
    for label, first, last in AGING_BUCKETS:
        if days_overdue >= first and (last is None or days_overdue <= last):
            return label
    raise ValueError(f"no bucket for {days_overdue} days")  # the last bucket has no end


def aging(balances: Iterable[tuple[dt.date, int]], today: dt.date) -> Aging:
    """(due date, balance cents) per invoice -> the buckets; nothing owed: left out."""
    count = dict.fromkeys(BUCKET_KEYS, 0)
    cents = dict.fromkeys(BUCKET_KEYS, 0)
    for due, balance in balances:
        if balance <= 0:
            continue
        key = bucket_of((today - due).days)
        count[key] += 1
        cents[key] += balance
    return Aging(
        today=today,
        buckets=tuple(AgingBucket(key, count[key], cents[key]) for key in BUCKET_KEYS),
    )
