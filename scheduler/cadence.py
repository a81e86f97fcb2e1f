"""Cadence planning: which debtor gets which reminder now, as outbox rows.

For each debtor with open invoices the next step of the cycle is found (scheduler/steps.py: in
order, from the most overdue invoice, days counted in the company's time zone, never a step that
claims reminders the log does not hold), and ONE reminder is queued that lists the debtor's
invoices the step speaks of with their total — never one message per invoice, and never an
invoice not yet due among the overdue ones.

Idempotency: every reminder row carries the key ``cadence:<debtor>:<step>:<cycle>`` (unique in the
message table). The *cycle* is the anchor invoice: the most overdue invoice that is still chased.
While that invoice stays open, each step is queued at most once however often planning runs, crashes
halfway or races another planner (the insert ignores a key that exists). When the debtor settles it,
the next most overdue invoice becomes the anchor, and the new cycle starts again from its first
step: its texts claim no earlier reminder.

Planning is set-based so it scales to a million invoices: debtors are streamed in chunks by id,
each chunk is three indexed SELECTs and one range read of the message log (scheduler/selection.py),
the decisions are plain Python functions, and the rows go in with multi-row
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (scheduler/outbox_rows.py); what a row holds (the
context JSON, the options, the escalation alerts) is shaped in scheduler/reminder_rows.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot import sql
from bot.escalation.notice import open_notices
from bot.policy import Policy, Step
from bot.runtime import Runtime
from scheduler.calendar import next_allowed_moment
from scheduler.coverage import Coverage, SkipReason, load_coverage
from scheduler.outbox_rows import insert_outbox_rows
from scheduler.reminder_rows import (
    ESCALATION_ALERTS_PER_RUN,
    EscalationSummary,
    Reminder,
    escalation_row,
    reminder_row,
    summary_row,
)
from scheduler.routing import Contact, contact_state, route
from scheduler.selection import (
    DebtorSnapshot,
    History,
    debtor_id_range,
    load_history,
    load_snapshots,
)
from scheduler.steps import Wait, listed_invoices, next_step

DEFAULT_CHUNK_DEBTORS = 20_000


@dataclass(frozen=True, slots=True)
class Skip:
    debtor_id: int
    debtor_name: str
    reason: SkipReason
    detail: str = ""


@dataclass
class PlanResult:
    """What one planning run did (or, for a dry run, would do)."""

    planned_at: dt.datetime
    today: dt.date
    dry_run: bool
    queued: list[Reminder] = field(default_factory=list)  # kept when record=True
    skipped: list[Skip] = field(default_factory=list)  # kept when record=True
    queued_count: int = 0
    alerts_queued: int = 0
    skip_counts: Counter[SkipReason] = field(default_factory=Counter)
    debtors_seen: int = 0
    invoices_chased: int = 0  # open invoices not covered by a plan, dispute or promise
    # Wall-clock seconds per phase: reading, deciding, writing (the benchmark reports them).
    seconds: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "debtors": self.debtors_seen,
            "invoices_chased": self.invoices_chased,
            "queued": self.queued_count,
            "alerts": self.alerts_queued,
            "skipped": {reason.value: n for reason, n in sorted(self.skip_counts.items())},
        }


def company_today(now: dt.datetime, runtime: Runtime) -> dt.date:
    return now.astimezone(runtime.settings.zone).date()


def _not_chased(debtor: DebtorSnapshot, now: dt.datetime) -> Skip | None:
    """Why the debtor gets no reminder whatever the step: paused, no way to write, or nothing
    chased (every open invoice covered by a plan, dispute or promise)."""
    if debtor.paused_until is not None and debtor.paused_until > now:
        detail = f"until {debtor.paused_until:%Y-%m-%d %H:%M} UTC"
        return Skip(debtor.id, debtor.name, SkipReason.PAUSED, detail)
    state = contact_state(debtor.contacts)
    if state == "none":
        return Skip(debtor.id, debtor.name, SkipReason.NO_CONTACT)
    if state == "opted_out":
        return Skip(debtor.id, debtor.name, SkipReason.OPTED_OUT)
    if state == "unreachable":
        return Skip(debtor.id, debtor.name, SkipReason.UNREACHABLE)
    if not debtor.chased_count or debtor.anchor_id is None or debtor.anchor_due is None:
        covered = debtor.covered
        if len(covered) == 1:
            return Skip(debtor.id, debtor.name, next(iter(covered)))
        detail = ", ".join(sorted(r.value for r in covered))
        return Skip(debtor.id, debtor.name, SkipReason.COVERED, detail)
    return None


def decide(
    debtor: DebtorSnapshot,
    today: dt.date,
    now: dt.datetime,
    policy: Policy,
    *,
    routed: bool = True,
    steps: dict[tuple[Any, ...], Step | Wait] | None = None,
) -> Reminder | Skip:
    """The reminder due for one debtor today, or why there is none. Pure: no I/O.

    `steps` caches the step rule's answers for one run: they depend only on the anchor's due
    date and the cycle's history, which most debtors share with many others.

    With `routed` False the reminder's route is left empty and only checked to exist: the
    outbox row does not store it (dispatch routes again when it sends), and planning without
    recording (the clock) has no use for the order of the fallbacks.
    """
    skip = _not_chased(debtor, now)
    if skip is not None:
        return skip
    assert debtor.anchor_id is not None and debtor.anchor_due is not None  # _not_chased saw to it
    band = policy.credit.band_named(debtor.risk_band)  # its effects (bot/policy_credit.py)
    key = (debtor.anchor_due, debtor.sent_step, debtor.sent_day, band.start_days_earlier)
    step = steps.get(key) if steps is not None else None
    if step is None:
        step = next_step(policy, key[0], today, key[1], key[2], key[3])
        if steps is not None:
            steps[key] = step
    if isinstance(step, Wait):
        return Skip(debtor.id, debtor.name, step.reason, step.detail)
    contacts: tuple[Contact, ...] = ()
    if routed:
        contacts = tuple(route(debtor.contacts, step.channels, formal=step.formal))
        reachable = bool(contacts)
    else:
        allowed = step.channels
        reachable = any(c.channel in allowed and c.reachable for c in debtor.contacts)
    if not reachable:
        channels = ", ".join(c.value for c in step.channels)
        return Skip(debtor.id, debtor.name, SkipReason.NO_CHANNEL_FOR_STEP, channels)
    listed, upcoming = listed_invoices(step, debtor, policy)
    return Reminder(
        debtor_id=debtor.id,
        debtor_name=debtor.name,
        language=debtor.language,
        timezone=debtor.timezone,
        step=step,
        days_overdue=(today - debtor.anchor_due).days,
        anchor_id=debtor.anchor_id,
        invoice_count=listed.count,
        totals=listed.totals,
        invoices_json=listed.invoices_json,
        route=contacts,
        upcoming=upcoming,
        firm=band.firmer_template,
        discount=band.offer_discount,
    )


@dataclass
class _Run:
    """The state one planning run shares between its steps."""

    runtime: Runtime
    result: PlanResult
    now: dt.datetime
    postgres: bool
    record: bool
    window_start: dict[str, Any] = field(default_factory=dict)  # adapted for the driver
    step_names: tuple[str, ...] = ()
    steps: dict[tuple[Any, ...], Step | Wait] = field(default_factory=dict)  # see decide()
    escalations_left: int = field(default_factory=lambda: ESCALATION_ALERTS_PER_RUN)
    overflow: EscalationSummary = field(default_factory=lambda: EscalationSummary())

    def scheduled_at(self, timezone: str) -> Any:
        """When the reminder may go: the start of the debtor's contact window (same for every
        debtor in a time zone, so computed once per zone)."""
        start = self.window_start.get(timezone)
        if start is None:
            moment = next_allowed_moment(self.now, timezone, self.runtime.policy)
            start = sql.db_time(moment, self.postgres)
            self.window_start[timezone] = start
        return start


async def _load_chunk(
    run: _Run, low: int, high: int, coverage: Coverage, today: dt.date
) -> tuple[list[DebtorSnapshot], set[str]]:
    """One chunk of debtors with their cycles' history, and the cadence keys the outbox holds."""
    snapshots = await load_snapshots(low, high, coverage, today)
    history: History = await load_history(low, high, run.step_names, run.runtime.settings.zone)
    history.apply(snapshots, run.step_names)
    return snapshots, history.keys


async def _write_chunk(
    run: _Run, reminders: list[Reminder], keys: list[str], known: set[str]
) -> None:
    """Insert one chunk's reminders (and escalation alerts) and account for them. `known`: the
    keys the outbox held when the chunk was read (the insert skips any written since)."""
    started = time.perf_counter()
    result = run.result
    created = sql.db_time(run.now, run.postgres)
    rows = [
        reminder_row(reminder, key, run.scheduled_at(reminder.timezone), created)
        for reminder, key in zip(reminders, keys, strict=True)
        if key not in known and not reminder.step.formal
    ]
    fresh = await insert_outbox_rows(rows) if rows else set()
    # A formal step is a notice for staff to approve, never a message (its card is the alert).
    formal = [(r.debtor_id, r.step.name, k) for r, k in zip(reminders, keys, strict=True)]
    fresh |= await open_notices(
        run.runtime,
        [f for f, r in zip(formal, reminders, strict=True) if r.step.formal and f[2] not in known],
    )
    escalated = [
        (reminder, key)
        for reminder, key in zip(reminders, keys, strict=True)
        if reminder.step.escalate and key in fresh and not reminder.step.formal
    ]
    alerts = []
    for reminder, key in escalated:
        if run.escalations_left > 0:
            run.escalations_left -= 1
            alerts.append(escalation_row(reminder, key, created))
        else:
            run.overflow.add(reminder)
    if alerts:
        result.alerts_queued += len(await insert_outbox_rows(alerts))
    _account(run, reminders, keys, fresh)
    result.seconds["write"] += time.perf_counter() - started


async def _queue_escalation_summary(run: _Run) -> None:
    created = sql.db_time(run.now, run.postgres)
    row = summary_row(run.overflow, run.now, created)
    run.result.alerts_queued += len(await insert_outbox_rows([row]))


def _account(run: _Run, reminders: list[Reminder], keys: list[str], fresh: set[str]) -> None:
    result = run.result
    for reminder, key in zip(reminders, keys, strict=True):
        if key in fresh:
            result.queued_count += 1
            if run.record:
                result.queued.append(reminder)
        else:
            result.skip_counts[SkipReason.ALREADY_QUEUED] += 1
            if run.record:
                result.skipped.append(
                    Skip(
                        reminder.debtor_id,
                        reminder.debtor_name,
                        SkipReason.ALREADY_QUEUED,
                        reminder.step.name,
                    )
                )


def _decide_chunk(
    run: _Run, snapshots: list[DebtorSnapshot], today: dt.date, policy: Policy
) -> list[Reminder]:
    result, record, now = run.result, run.record, run.now
    reminders: list[Reminder] = []
    for snapshot in snapshots:
        result.debtors_seen += 1
        result.invoices_chased += snapshot.chased_count
        decision = decide(snapshot, today, now, policy, routed=record, steps=run.steps)
        if type(decision) is Skip:
            result.skip_counts[decision.reason] += 1
            if record:
                result.skipped.append(decision)
        else:
            reminders.append(decision)  # type: ignore[arg-type]
    return reminders


async def plan(
    runtime: Runtime,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    record: bool = True,
    chunk_debtors: int = DEFAULT_CHUNK_DEBTORS,
) -> PlanResult:
    """Plan the cadence for every debtor. `dry_run` writes nothing (the preview uses it);
    `record` keeps every decision in the result (the benchmark turns it off to save memory).

    On PostgreSQL chunks are pipelined: while the Python decisions for one chunk run, the next
    chunk is being read and the previous one written, each on its own connection. SQLite has one
    connection and its driver thread competes with the decisions for the interpreter, so there
    each chunk is read, decided and written in turn (measured: pipelining made it slower).
    At most three chunks are in memory, so memory stays flat however many debtors there are.
    """
    now = (now or runtime.now()).astimezone(dt.UTC)
    today = company_today(now, runtime)
    policy = runtime.policy
    result = PlanResult(planned_at=now, today=today, dry_run=dry_run)
    coverage = await load_coverage(today)
    bounds = await debtor_id_range()
    if bounds is None:
        return result
    run = _Run(runtime, result, now, sql.is_postgres(), record)
    run.step_names = tuple(step.name for step in policy.steps)
    lows = list(range(bounds[0], bounds[1] + 1, chunk_debtors))
    await _plan_chunks(run, lows, chunk_debtors, coverage, today, dry_run)
    return result


async def _plan_chunks(
    run: _Run,
    lows: list[int],
    chunk_debtors: int,
    coverage: Coverage,
    today: dt.date,
    dry_run: bool,
) -> None:
    """Read, decide and write each chunk of debtors (pipelined on PostgreSQL, see `plan`)."""
    result, policy = run.result, run.runtime.policy
    clock = time.perf_counter
    pipelined = run.postgres
    reading: asyncio.Future[tuple[list[DebtorSnapshot], set[str]]] | None = None
    writing: asyncio.Future[None] | None = None

    def read(low: int) -> asyncio.Future[tuple[list[DebtorSnapshot], set[str]]]:
        return asyncio.ensure_future(_load_chunk(run, low, low + chunk_debtors, coverage, today))

    try:
        for index, low in enumerate(lows):
            started = clock()
            snapshots, known = await (reading or read(low))
            reading = None
            result.seconds["read"] += clock() - started
            if pipelined and index + 1 < len(lows):
                reading = read(lows[index + 1])
            started = clock()
            reminders = _decide_chunk(run, snapshots, today, policy)
            del snapshots
            result.seconds["decide"] += clock() - started
            if not reminders:
                continue
            keys = [r.idempotency_key for r in reminders]
            if dry_run:
                _account(run, reminders, keys, set(keys) - known)
                continue
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(_write_chunk(run, reminders, keys, known))
            if not pipelined:
                await writing
                writing = None
        if writing is not None:
            await writing
            writing = None
        if run.overflow.count:
            await _queue_escalation_summary(run)
    finally:
        for task in (reading, writing):
            if task is not None and not task.done():
                task.cancel()
