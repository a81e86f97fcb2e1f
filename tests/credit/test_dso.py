"""DSO over the last 90 days and its trend, rebuilt from invoices and payments."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.credit.dso import InvoiceHistory, dso

TODAY = dt.date(2026, 11, 23)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def test_dso_is_receivables_over_the_windows_sales_times_ninety() -> None:
    invoices = [
        InvoiceHistory(ago(80), 900_00, ((ago(50), 900_00),)),  # paid
        InvoiceHistory(ago(40), 600_00, ((ago(10), 200_00),)),  # 400 € still owed
        InvoiceHistory(ago(120), 500_00),  # outside the window, still owed
    ]
    result = dso(invoices, TODAY)
    today = result.today
    assert today.day == TODAY
    assert today.receivable_cents == 900_00
    assert today.sales_cents == 1_500_00
    assert today.days == pytest.approx(900 / 1500 * 90)
    assert [p.day for p in result.points] == [ago(d) for d in (90, 75, 60, 45, 30, 15, 0)]
    # 90 days ago only the 500 € invoice was out, issued 30 days before: 500 / 500 * 90.
    assert result.points[0].receivable_cents == 500_00
    assert result.points[0].days == pytest.approx(90.0)
    assert result.change == pytest.approx(54.0 - 90.0)
    assert result.trend == "down"


def test_no_sales_in_the_window_has_no_dso() -> None:
    result = dso([InvoiceHistory(ago(400), 100_00)], TODAY)
    assert result.today.days is None
    assert result.trend == "unknown"
    assert result.context()["dso_days"] is None


def test_slower_payers_make_the_trend_go_up() -> None:
    invoices = [InvoiceHistory(ago(d), 100_00) for d in range(0, 200, 10)]
    invoices += [
        InvoiceHistory(ago(d), 100_00, ((ago(d - 5), 100_00),)) for d in range(100, 200, 10)
    ]
    result = dso(invoices, TODAY)
    assert result.trend == "up"
    assert result.context()["trend"] == "up"
