"""The early-warning bench at a small scale: its history is the same for a seed, holds what it
says (stable debtors never reach the 60-day mark, deteriorating ones do, after their onset), and
its replay measures what the report says."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from early_warning import measure, replay
from early_warning_history import MARK_DAYS, START, generate

from bot.credit.warning import assess


def test_the_history_is_the_seeds_and_keeps_its_promises() -> None:
    first, again = generate(5, 30, 10), generate(5, 30, 10)
    assert [h.invoices for h in first] == [h.invoices for h in again]
    stable = [h for h in first if not h.deteriorating]
    worse = [h for h in first if h.deteriorating]
    assert len(stable) == 30 and len(worse) == 10
    assert all(h.mark() is None for h in stable)
    for h in worse:
        mark = h.mark()
        assert mark is not None and h.onset is not None and mark > h.onset
        # On its mark the debtor has an invoice unpaid for MARK_DAYS; the facts know it.
        facts = h.facts(mark)
        assert max((mark - due).days for due in facts.open_overdue) == MARK_DAYS


def test_the_facts_on_a_morning_hold_only_what_happened_before_it() -> None:
    [h] = generate(9, 1, 0)
    today = START + dt.timedelta(days=400)
    facts = h.facts(today)
    assert all(s.paid < today for s in facts.settled)
    assert all(day < today for day in [*facts.replies, *facts.reminders])
    assert all(p.day < today for p in facts.partials)


def test_the_replay_counts_flags_and_lead_times() -> None:
    histories = generate(11, 20, 8)
    days = [START + dt.timedelta(days=365 + n) for n in range(0, 330)]
    flags = replay(histories, days, grace=5)
    report = measure(histories, flags, years=330 / 365)
    measured = report["deteriorating_measured"]
    assert isinstance(measured, int) and measured > 0
    lead = report["lead_days_median"]
    assert isinstance(lead, (int, float)) and lead > 0
    # Every flag is a morning on which the warning found something.
    for h in histories:
        for day, _ in flags[h.debtor_id]:
            assert assess(h.facts(day), day, 5) is not None


@pytest.mark.parametrize("day", [520, 600, 690])
async def test_the_job_reads_from_the_database_what_the_bench_reads_from_memory(
    db: str, day: int
) -> None:
    """The history written into the tables as of one morning: the loaders' facts give the very
    signals the replay's facts give, debtor by debtor."""
    from early_warning_store import store_history

    from bot.credit.warning_data import load_warning_facts

    zone = ZoneInfo("Europe/Rome")
    histories = generate(21, 24, 16)
    today = START + dt.timedelta(days=day)
    rows = {h.debtor_id: (await store_history(h, today, zone)).id for h in histories}
    facts, _ = await load_warning_facts(zone, today)
    loaded = {f.debtor_id: f for f in facts}
    flagged = 0
    for h in histories:
        from_memory = assess(h.facts(today), today, 5)
        from_tables = assess(loaded[rows[h.debtor_id]], today, 5)
        signals = from_memory.signals if from_memory else ()
        assert (from_tables.signals if from_tables else ()) == signals, h.debtor_id
        flagged += bool(signals)
    assert flagged >= 3  # the comparison is not between empty lists
