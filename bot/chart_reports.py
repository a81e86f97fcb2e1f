"""A staff chart with its caption: the figures read from the database, the caption rendered from
templates/<lang>/staff/charts/<kind>.txt, the PNG drawn by bot/charts.py, from the same figures.

Used by the staff commands (/aging, /cashflow, /dso: bot/handlers/staff_charts.py), the Monday
charts job (scheduler/weekly_charts.py, whose outbox rows keep the figures and are drawn when the
dispatcher sends them), the CLI (bot/cli/reports.py) and the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.base import Attachment
from bot.charts import draw
from bot.credit.aging import aging
from bot.credit.cashflow import DEFAULT_WEEKS, REPORT_CURRENCY, forecast
from bot.credit.dso import dso
from bot.credit.ledger import (
    load_cashflow_inputs,
    load_days_late,
    load_invoice_history,
    load_open_invoices,
)
from bot.texts import render

KINDS = ("aging", "cashflow", "dso")


def caption_template(kind: str) -> str:
    return f"staff/charts/{kind}.txt"


async def load_aging_figures(today: dt.date) -> dict[str, Any]:
    invoices = await load_open_invoices()
    figures = aging(
        ((i.due, i.balance_cents) for i in invoices if i.currency == REPORT_CURRENCY), today
    ).context()
    figures["other_currency"] = sum(1 for i in invoices if i.currency != REPORT_CURRENCY)
    return figures


async def load_cashflow_figures(
    zone: ZoneInfo, today: dt.date, weeks: int = DEFAULT_WEEKS
) -> dict[str, Any]:
    inputs = await load_cashflow_inputs()
    days_late = await load_days_late(zone, today)
    result = forecast(inputs.items, inputs.promises, inputs.instalments, days_late, today, weeks)
    return {**result.context(), "other_currency": inputs.other_currency}


async def load_dso_figures(zone: ZoneInfo, today: dt.date) -> dict[str, Any]:
    return dso(await load_invoice_history(zone), today).context()


async def load_figures(
    kind: str, zone: ZoneInfo, today: dt.date, weeks: int = DEFAULT_WEEKS
) -> dict[str, Any]:
    if kind == "aging":
        return await load_aging_figures(today)
    if kind == "cashflow":
        return await load_cashflow_figures(zone, today, weeks)
    if kind == "dso":
        return await load_dso_figures(zone, today)
    raise ValueError(f"no chart named {kind!r}")


@dataclass(frozen=True)
class ChartReport:
    kind: str
    figures: dict[str, Any]
    caption: str
    png: bytes

    @property
    def attachment(self) -> Attachment:
        return Attachment(
            filename=f"{self.kind}-{self.figures['today']}.png",
            content=self.png,
            mime_type="image/png",
        )


def chart_report(kind: str, figures: dict[str, Any], language: str) -> ChartReport:
    """The caption and the PNG of chart `kind`, both from `figures`."""
    caption = render(caption_template(kind), language, **figures)
    return ChartReport(kind, figures, caption, draw(kind, figures, language))


def outbox_context(kind: str, figures: dict[str, Any]) -> dict[str, Any]:
    """What a staff row carrying a chart holds: the figures (its caption's context) and the kind."""
    return {**figures, "chart": kind}


def chart_attachment(context: dict[str, Any], language: str) -> Attachment | None:
    """The chart a staff row's context names (`outbox_context`), drawn now; None for other rows."""
    kind = context.get("chart")
    if kind not in KINDS:
        return None
    return ChartReport(kind, context, "", draw(kind, context, language)).attachment
