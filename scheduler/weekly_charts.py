"""The Monday charts: the aging and the cash-flow forecast, each a photo with its figures in the
caption, to the staff chat once a week (run by scheduler/clock.py).

Each is a staff outbox row holding the figures as they were on Monday morning
(bot/chart_reports.outbox_context): the dispatcher renders the caption from them and draws the
chart from them when it sends the row, so a retry sends the same picture, and a Telegram outage
delays the charts without dropping them. One row per chart and week (`charts:<kind>:<monday>`).
"""

from __future__ import annotations

from bot.chart_reports import caption_template, load_figures, outbox_context
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime

WEEKLY_CHARTS = ("aging", "cashflow")


async def weekly_charts(runtime: Runtime) -> int:
    """Queue this week's charts for the staff chat; how many were queued (0 when already done)."""
    now = runtime.now()
    today = runtime.today()
    queued = 0
    for kind in WEEKLY_CHARTS:
        key = f"charts:{kind}:{today.isoformat()}"
        figures = await load_figures(kind, runtime.settings.zone, today)
        row = await queue_staff_alert(
            caption_template(kind), outbox_context(kind, figures), now=now, idempotency_key=key
        )
        queued += row is not None
    return queued
