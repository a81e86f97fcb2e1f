"""Samples for the staff charts' captions and the report columns in the texts review, computed by
the same pure functions the charts use (bot/credit/), so the review shows real figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.credit.aging import aging
from bot.credit.cashflow import InstalmentItem, OpenItem, PromiseItem, forecast
from bot.credit.dso import InvoiceHistory, dso

TODAY = dt.date(2026, 11, 23)


def _day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def _aging() -> dict[str, Any]:
    balances = [(_day(12), 1_248_000), (_day(-9), 384_050), (_day(-40), 1_980_000)]
    balances += [(_day(-130), 56_000)]
    return {**aging(balances, TODAY).context(), "other_currency": 0}


def _cashflow(other_currency: int) -> dict[str, Any]:
    items = [
        OpenItem(1, 1, _day(-10), 1_248_000),
        OpenItem(2, 2, _day(3), 384_050),
        OpenItem(3, 3, _day(-60), 990_000),
        OpenItem(4, 4, _day(-5), 120_000, disputed=True),
        OpenItem(5, 5, _day(70), 300_000),
    ]
    promises = [PromiseItem(2, _day(8), 200_000)]
    instalments = [InstalmentItem(6, _day(15), 105_000)]
    result = forecast(items, promises, instalments, {1: 18.0, 3: 12.0}, TODAY, weeks=4)
    return {**result.context(), "other_currency": other_currency}


def _dso(slower: bool) -> dict[str, Any]:
    invoices = [
        InvoiceHistory(_day(-d), 500_000, () if slower and d < 60 else ((_day(-d + 30), 500_000),))
        for d in range(0, 200, 10)
    ]
    return dso(invoices, TODAY).context()


CHART_SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "staff/charts/aging.txt": [("", _aging())],
    "staff/charts/cashflow.txt": [
        ("with a dispute and beyond the horizon", _cashflow(0)),
        ("with invoices in another currency", _cashflow(2)),
    ],
    "staff/charts/dso.txt": [
        ("customers paying more slowly", _dso(True)),
        ("no sales in the window", dso([], TODAY).context()),
    ],
}
