"""The issue-14 simulation at a small scale: it runs through the real product on its own clock,
and every row of the audit (bench/simulation/audit.py ROWS: issue 14's table and the rows that
were already 0) stays at 0."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from simulation.audit import DEFECT_ROWS, GOOD_NEWS_ROWS, ROWS
from simulation.run import simulate

from bot.config import Settings

ASSERTED_ZERO = ROWS  # every row of issue 14's table, and the rows that were already 0


async def test_a_small_simulation_runs_and_keeps_the_zero_rows_at_zero(
    db: str, settings: Settings
) -> None:
    report = await simulate(settings, debtors=80, days=30, start=dt.date(2026, 11, 16), seed=14)
    activity = report["run"]["activity"]
    assert activity["errors_logged"] == 0
    assert activity["job_plan_cadence"] > 0 and activity["job_check_instalments"] == 30
    assert activity["inbound"] > 0 and activity.get("pay_paid", 0) > 0
    assert report["totals"]["cadence_reminders"] > 0
    assert set(report["counters"]) == set(ROWS) == set(DEFECT_ROWS) | set(GOOD_NEWS_ROWS)
    nonzero = {row: report["examples"][row] for row in ASSERTED_ZERO if report["counters"][row]}
    assert nonzero == {}
