"""The captions say what the figures are, in both languages, and fit under a Telegram photo."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from bot.chart_reports import chart_attachment, chart_report, outbox_context
from bot.charts import labels
from bot.credit.aging import BUCKET_KEYS
from bot.credit.cashflow import MAX_WEEKS, InstalmentItem, OpenItem, PromiseItem, forecast
from bot.credit.dso import InvoiceHistory, dso
from bot.providers.telegram.sender import CAPTION_MAX_CHARS

TODAY = dt.date(2026, 11, 23)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def cashflow_figures(weeks: int = 4, other_currency: int = 0) -> dict:  # type: ignore[type-arg]
    items = [
        OpenItem(1, 1, day(-10), 1_248_000),
        OpenItem(3, 3, day(-60), 990_000),
        OpenItem(4, 4, day(-5), 120_000, disputed=True),
        OpenItem(5, 5, day(70), 300_000),
    ]
    result = forecast(
        items,
        [PromiseItem(2, day(8), 200_000)],
        [InstalmentItem(6, day(15), 105_000)],
        {1: 18.0, 3: 12.0},
        TODAY,
        weeks,
    )
    return {**result.context(), "other_currency": other_currency}


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        (
            "it",
            [
                "Incassi attesi nelle prossime 4 settimane: 13.530,00 €",
                "dal 30/11: 12.480,00 €",
                "dal 07/12: 1.050,00 €",
                "Scaduto oggi: 22.380,00 € (2 voci), di cui 9.900,00 € oltre il ritardo abituale",
                "Atteso più avanti: 3.000,00 €",
                "In contestazione, non previsto: 1.200,00 €",
                "Fatture in altre valute non incluse: 2",
            ],
        ),
        (
            "en",
            [
                "Expected receipts, next 4 weeks: €13,530.00",
                "from 30/11: €12,480.00",
                "Overdue today: €22,380.00 (2 items), of which €9,900.00 past the customer's",
                "Expected later: €3,000.00",
                "Disputed, not expected: €1,200.00",
                "Invoices in other currencies left out: 2",
            ],
        ),
    ],
)
def test_cashflow_caption(language: str, lines: list[str]) -> None:
    figures = cashflow_figures(other_currency=2)
    # 12.480 € due 10 days ago from a debtor 18 days late: day 8, week 2; the promise of
    # 2.000 € is from debtor 2, who owes nothing here, so it moves nothing.
    assert figures["weeks"][1]["invoices_cents"] == 1_248_000
    text = plain(chart_report("cashflow", figures, language).caption)
    for line in lines:
        assert line in text


def test_no_lines_for_what_is_not_there() -> None:
    figures = {**forecast([OpenItem(1, 1, day(2), 100)], [], [], {}, TODAY, 2).context()}
    text = chart_report("cashflow", {**figures, "other_currency": 0}, "it").caption
    assert "Atteso più avanti" not in text and "contestazione" not in text
    assert "altre valute" not in text


def test_the_longest_caption_fits_under_a_photo() -> None:
    items = [OpenItem(1, n, day(7 * n), 123_456_789_00) for n in range(MAX_WEEKS)]
    figures = forecast(items, [], [], {}, TODAY, MAX_WEEKS).context()
    for language in ("it", "en"):
        report = chart_report("cashflow", {**figures, "other_currency": 3}, language)
        assert len(report.caption) <= CAPTION_MAX_CHARS
        assert ("dal 23/11: 123.456.789,00 €" if language == "it" else "€123,456,789.00") in plain(
            report.caption
        )


def test_dso_caption_in_english() -> None:
    invoices = [
        InvoiceHistory(day(-d), 100_00, ((day(-d + 20), 100_00),)) for d in range(0, 90, 10)
    ]
    figures = dso(invoices, TODAY).context()
    text = plain(chart_report("dso", figures, "en").caption)
    assert f"DSO at 23 November 2026: {figures['dso_days']:.1f} days" in text
    assert "sales of the last 90 days €900.00" in text


def test_every_chart_word_is_there_and_the_row_draws_its_chart() -> None:
    for language in ("it", "en"):
        words = labels(language)
        assert {f"bucket_{key}" for key in BUCKET_KEYS} <= set(words)
        assert {"invoices", "promises", "instalments", "overdue", "dso_y"} <= set(words)
    attachment = chart_attachment(outbox_context("cashflow", cashflow_figures()), "en")
    assert attachment is not None and attachment.mime_type == "image/png"
    assert Image.open(io.BytesIO(attachment.content)).size == (800, 450)
    assert chart_attachment({"company": "x"}, "it") is None
