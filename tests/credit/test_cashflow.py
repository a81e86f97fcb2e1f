"""The cash-flow forecast: each debtor's own lateness, promises, instalments, overdue apart."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.credit.cashflow import (
    InstalmentItem,
    OpenItem,
    PromiseItem,
    expected_date,
    forecast,
)

TODAY = dt.date(2026, 11, 23)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def week_totals(result: object) -> list[int]:
    return [week.total_cents for week in result.weeks]  # type: ignore[attr-defined]


def test_an_invoice_is_expected_at_its_due_date_plus_the_debtors_own_lateness() -> None:
    assert expected_date(day(0), 20.0) == day(20)
    assert expected_date(day(0), 2.4) == day(2)
    assert expected_date(day(0), None) == day(0)
    items = [OpenItem(1, 1, day(-10), 100_00), OpenItem(2, 2, day(-10), 50_00)]
    # Debtor 1 pays 20 days late: due ten days ago, expected in ten days (week 2).
    # Debtor 2 pays on time: expected ten days ago, so past what is expected.
    result = forecast(items, [], [], {1: 20.0, 2: 0.0}, TODAY, weeks=4)
    assert week_totals(result) == [0, 100_00, 0, 0]
    assert result.weeks[1].invoices_cents == 100_00
    assert result.overdue_cents == 150_00 and result.overdue_count == 2
    assert result.past_expected_cents == 50_00
    assert result.later_cents == 0


def test_a_debtor_without_history_is_expected_on_the_due_date() -> None:
    result = forecast([OpenItem(7, 1, day(8), 30_00)], [], [], {}, TODAY, weeks=2)
    assert week_totals(result) == [0, 30_00]
    assert result.weeks[1].start == day(7) and result.weeks[1].end == day(13)


def test_a_promise_moves_that_much_of_the_balance_oldest_first() -> None:
    items = [OpenItem(1, 1, day(-40), 60_00), OpenItem(1, 2, day(-5), 100_00)]
    result = forecast(items, [PromiseItem(1, day(3), 80_00)], [], {1: 30.0}, TODAY, weeks=8)
    # 80 € on day 3 (all of the oldest, 20 € of the next); the other 80 € at day -5 + 30 = 25.
    assert result.weeks[0].promises_cents == 80_00
    assert result.weeks[3].invoices_cents == 80_00
    assert result.expected_cents == 160_00


def test_a_promise_without_amount_is_the_whole_balance_and_a_past_one_is_ignored() -> None:
    items = [OpenItem(1, 1, day(-40), 60_00)]
    whole = forecast(items, [PromiseItem(1, day(9), None)], [], {}, TODAY, weeks=4)
    assert whole.weeks[1].promises_cents == 60_00
    stale = forecast(items, [PromiseItem(1, day(-1), None)], [], {1: 45.0}, TODAY, weeks=4)
    assert stale.weeks[0].invoices_cents == 60_00  # due -40, 45 days late: day 5


def test_instalments_on_their_dates_disputes_apart_and_beyond_the_horizon_later() -> None:
    items = [OpenItem(1, 1, day(2), 10_00, disputed=True), OpenItem(2, 2, day(60), 5_00)]
    instalments = [InstalmentItem(3, day(0), 20_00), InstalmentItem(3, day(-2), 7_00)]
    result = forecast(items, [], instalments, {}, TODAY, weeks=4)
    assert result.weeks[0].instalments_cents == 20_00
    assert result.disputed_cents == 10_00
    assert result.later_cents == 5_00
    assert result.past_expected_cents == 7_00  # in its grace days: overdue, not in a week
    assert result.overdue_cents == 7_00 and result.overdue_count == 1


def test_weeks_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 26"):
        forecast([], [], [], {}, TODAY, weeks=0)


def test_the_context_holds_the_same_figures() -> None:
    result = forecast([OpenItem(1, 1, day(1), 12_34)], [], [], {}, TODAY, weeks=2)
    context = result.context()
    assert context["expected_cents"] == 12_34
    assert context["weeks"][0] == {
        "start": "2026-11-23",
        "end": "2026-11-29",
        "invoices_cents": 12_34,
        "promises_cents": 0,
        "instalments_cents": 0,
        "total_cents": 12_34,
    }


items_strategy = st.lists(
    st.builds(
        OpenItem,
        debtor_id=st.integers(1, 5),
        invoice_id=st.integers(1, 10_000),
        due=st.integers(-200, 200).map(day),
        balance_cents=st.integers(0, 10**7),
        disputed=st.booleans(),
    ),
    max_size=40,
    unique_by=lambda item: item.invoice_id,
)


@given(
    items=items_strategy,
    promises=st.lists(
        st.builds(
            PromiseItem,
            debtor_id=st.integers(1, 5),
            promised=st.integers(-10, 100).map(day),
            amount_cents=st.none() | st.integers(0, 10**7),
        ),
        max_size=5,
    ),
    instalments=st.lists(
        st.builds(
            InstalmentItem,
            debtor_id=st.integers(1, 5),
            due=st.integers(-10, 200).map(day),
            outstanding_cents=st.integers(0, 10**6),
        ),
        max_size=6,
    ),
    lateness=st.dictionaries(st.integers(1, 5), st.none() | st.floats(0, 120)),
    weeks=st.integers(1, 26),
)
def test_every_cent_is_in_exactly_one_place(
    items: list[OpenItem],
    promises: list[PromiseItem],
    instalments: list[InstalmentItem],
    lateness: dict[int, float | None],
    weeks: int,
) -> None:
    result = forecast(items, promises, instalments, lateness, TODAY, weeks)
    placed = result.expected_cents + result.past_expected_cents + result.later_cents
    assert placed == result.forecastable_cents
    assert result.disputed_cents == sum(i.balance_cents for i in items if i.disputed)
    assert len(result.weeks) == weeks
