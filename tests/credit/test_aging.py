"""Aging buckets by amount and count, the same buckets as /overdue."""

from __future__ import annotations

import datetime as dt

from bot.credit.aging import BUCKET_KEYS, aging, bucket_of
from bot.staff_reports import aging as overdue_aging

TODAY = dt.date(2026, 11, 23)


def due(days_overdue: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_overdue)


def test_bucket_edges() -> None:
    assert [bucket_of(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "not_due",
        "not_due",
        "0-30",
        "0-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
        "90+",
    ]


def test_amounts_and_counts_per_bucket() -> None:
    balances = [(due(-5), 100_00), (due(0), 50_00), (due(10), 20_00), (due(95), 7_00)]
    balances.append((due(40), 0))  # nothing owed: left out
    result = aging(balances, TODAY)
    assert [b.key for b in result.buckets] == list(BUCKET_KEYS)
    assert [(b.count, b.cents) for b in result.buckets] == [
        (2, 150_00),
        (1, 20_00),
        (0, 0),
        (0, 0),
        (1, 7_00),
    ]
    assert result.total_cents == 177_00 and result.count == 4
    assert result.overdue_cents == 27_00
    assert result.context()["buckets"][0] == {"key": "not_due", "count": 2, "cents": 150_00}


def test_the_overdue_buckets_agree_with_the_overdue_command() -> None:
    balances = [(due(d), 1_00 * (d + 1)) for d in range(-10, 200, 7)]
    ours = aging(balances, TODAY).buckets[1:]
    theirs = overdue_aging(((d, c, "EUR") for d, c in balances), TODAY)
    assert [(b.key, b.count, b.cents) for b in ours] == [
        (b.label, b.count, b.totals.get("EUR", 0)) for b in theirs
    ]
