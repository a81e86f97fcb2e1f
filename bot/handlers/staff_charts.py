"""The staff chat's charts: /aging, /cashflow [weeks], /dso. Each answers with one photo (sendPhoto)
whose caption carries the figures the chart draws (bot/chart_reports.py).

The staff register has no language of its own: captions and charts are in the configured default
language (DEFAULT_LANGUAGE), as every other staff text is.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.chart_reports import ChartReport, chart_report, load_figures
from bot.credit.cashflow import DEFAULT_WEEKS, MAX_WEEKS
from bot.handlers.staff_chat import Context, StaffChat

log = logging.getLogger(__name__)


def parse_weeks(args: list[str]) -> int | None:
    """'/cashflow' -> 8, '/cashflow 12' -> 12; None for anything else or out of 1..52."""
    if not args:
        return DEFAULT_WEEKS
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= MAX_WEEKS:
        return int(args[0])
    return None


class StaffCharts(StaffChat):
    """The chart commands, answered in the staff chat with a photo and its caption."""

    async def on_aging(self, update: Update, context: Context) -> None:
        await self._chart(update, "aging", DEFAULT_WEEKS)

    async def on_dso(self, update: Update, context: Context) -> None:
        await self._chart(update, "dso", DEFAULT_WEEKS)

    async def on_cashflow(self, update: Update, context: Context) -> None:
        weeks = parse_weeks(list(context.args or []))
        if weeks is None:
            if await self._staff_only(update) is not None:
                await self._say(
                    update, self.text("usage.txt", command="cashflow", max_weeks=MAX_WEEKS)
                )
            raise ApplicationHandlerStop
        await self._chart(update, "cashflow", weeks)

    async def _chart(self, update: Update, kind: str, weeks: int) -> None:
        if await self._staff_only(update) is not None:
            figures = await load_figures(
                kind, self.runtime.settings.zone, self.runtime.today(), weeks
            )
            await self._send_chart(update, chart_report(kind, figures, self.language))
        raise ApplicationHandlerStop

    async def _send_chart(self, update: Update, report: ChartReport) -> None:
        message = update.effective_message
        if message is None:
            return
        try:
            await message.reply_photo(
                photo=report.png, caption=report.caption, filename=report.attachment.filename
            )
        except TelegramError as exc:  # nothing changed: asking again draws it again
            log.warning("staff chart not sent: %s", exc)
