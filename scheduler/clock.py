"""The clock: APScheduler cron jobs in the company's time zone.

Jobs: cadence planning (every 15 minutes in business hours), promise-date checks, instalment-due
checks, the morning digest for the staff chat, the early warning (scheduler/early_warning.py),
closing conversations left idle (hourly), the nightly risk scoring (scheduler/risk.py) and the
Monday charts for the staff chat (scheduler/weekly_charts.py).
Jobs coalesce: after downtime the missed runs of a job become one run (misfire_grace_time bounds
how late it may still start); and a reminder planned late at night is held by the dispatcher until
the debtor's contact window opens, so nothing stale goes out in a burst at night.

Only one clock is active at a time. On PostgreSQL a clock first takes a session advisory lock on a
connection of its own; a second clock stands by, trying again every `standby_poll` seconds, and
takes over when the first one's connection ends. SQLite has a single process: no lock is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.conversations.engine import close_idle_conversations
from bot.db import is_postgres_url
from bot.runtime import Runtime
from scheduler import cadence
from scheduler.calendar import is_business_day
from scheduler.commitments import check_instalments, check_promises
from scheduler.digest import morning_digest
from scheduler.early_warning import early_warning
from scheduler.pec_poll import add_pec_poll
from scheduler.policy_handoff import add_policy_handoffs
from scheduler.risk import rescore_risk
from scheduler.weekly_charts import weekly_charts

log = logging.getLogger(__name__)

# Advisory lock id: "SOLLECIT" read as a number, so it does not clash with other applications.
CLOCK_LOCK_ID = 0x534F4C4C45434954


@dataclass(frozen=True)
class ClockConfig:
    plan_minutes: str = "*/15"
    business_hours: str = "8-18"  # planning runs from 08:00 to 18:45, company time
    promise_check: str = "10"  # minute past each business hour
    instalment_check: tuple[int, int] = (8, 5)  # every day at 08:05
    digest: tuple[int, int] = (8, 30)  # business days at 08:30
    idle_conversations: str = "20"  # minute past every hour
    risk_rescore: tuple[int, int] = (7, 40)  # every day at 07:40, before the first planning
    weekly_charts: tuple[int, int] = (
        8,
        40,
    )  # Mondays at 08:40, after the digest and the early warning
    misfire_grace_seconds: int = 3600
    standby_poll: float = 30.0
    early_warning: tuple[int, int] = (8, 35)  # business days at 08:35


# --- the jobs (each takes the runtime; `now` comes from runtime.now; the promise, instalment
# and digest jobs are in scheduler/commitments.py and scheduler/digest.py) -------------------


async def plan_cadence(runtime: Runtime) -> cadence.PlanResult | None:
    """Cadence planning, on company business days only."""
    now = runtime.now()
    if not is_business_day(cadence.company_today(now, runtime), runtime.policy):
        log.info("cadence planning skipped: not a business day")
        return None
    result = await cadence.plan(runtime, now=now, record=False)
    log.info("cadence planned: %s", result.summary())
    return result


# --- scheduling ----------------------------------------------------------------------------


def build_scheduler(runtime: Runtime, config: ClockConfig = ClockConfig()) -> AsyncIOScheduler:
    zone = runtime.settings.zone
    scheduler = AsyncIOScheduler(
        timezone=zone,
        job_defaults={
            "coalesce": True,  # missed runs after downtime become one run
            "misfire_grace_time": config.misfire_grace_seconds,
            "max_instances": 1,
        },
    )

    def job(func: Callable[[Runtime], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await func(runtime)
            except Exception:
                log.exception("clock job %s failed", func.__name__)

        run.__name__ = func.__name__
        return run

    def working_hours(minute: str) -> CronTrigger:
        return CronTrigger(
            day_of_week="mon-fri", hour=config.business_hours, minute=minute, timezone=zone
        )

    scheduler.add_job(
        job(plan_cadence),
        working_hours(config.plan_minutes),
        id="plan_cadence",
        name="plan_cadence",
    )
    scheduler.add_job(
        job(check_promises),
        working_hours(config.promise_check),
        id="check_promises",
        name="check_promises",
    )
    hour, minute = config.instalment_check
    scheduler.add_job(
        job(check_instalments),
        CronTrigger(hour=hour, minute=minute, timezone=zone),
        id="check_instalments",
        name="check_instalments",
    )
    scheduler.add_job(
        job(close_idle_conversations),
        CronTrigger(minute=config.idle_conversations, timezone=zone),
        id="close_idle_conversations",
        name="close_idle_conversations",
    )
    hour, minute = config.digest
    scheduler.add_job(
        job(morning_digest),
        CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=zone),
        id="morning_digest",
        name="morning_digest",
    )
    _add_credit_jobs(scheduler, job, config, zone)
    return scheduler


def _add_credit_jobs(
    scheduler: AsyncIOScheduler,
    job: Callable[[Callable[[Runtime], Awaitable[Any]]], Callable[[], Awaitable[None]]],
    config: ClockConfig,
    zone: ZoneInfo,
) -> None:
    """Credit control: the nightly risk scoring, the early warning, the Monday charts."""
    add_daily(scheduler, job(rescore_risk), config.risk_rescore)
    _add_early_warning(scheduler, config, job, zone)
    _add_weekly_jobs(scheduler, job, config, zone)


def add_daily(scheduler: AsyncIOScheduler, run: Callable[[], Awaitable[None]], at: Any) -> None:
    """A job every day at (hour, minute), company time; its id is its function's name."""
    hour, minute = at
    trigger = CronTrigger(hour=hour, minute=minute, timezone=scheduler.timezone)
    scheduler.add_job(run, trigger, id=run.__name__, name=run.__name__)


def _add_early_warning(
    scheduler: AsyncIOScheduler,
    config: ClockConfig,
    job: Callable[[Callable[[Runtime], Awaitable[Any]]], Callable[[], Awaitable[None]]],
    zone: Any,
) -> None:
    """The early warning (scheduler/early_warning.py), on weekdays at `config.early_warning`."""
    hour, minute = config.early_warning
    trigger = CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=zone)
    scheduler.add_job(job(early_warning), trigger, id="early_warning", name="early_warning")


def _add_weekly_jobs(
    scheduler: AsyncIOScheduler,
    job: Callable[[Callable[[Runtime], Awaitable[Any]]], Callable[[], Awaitable[None]]],
    config: ClockConfig,
    zone: ZoneInfo,
) -> None:
    """The Monday jobs: the charts for the staff chat (scheduler/weekly_charts.py)."""
    hour, minute = config.weekly_charts
    scheduler.add_job(
        job(weekly_charts),
        CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=zone),
        id="weekly_charts",
        name="weekly_charts",
    )


class ClockLock:
    """The advisory lock that makes one clock active on PostgreSQL (a no-op on SQLite)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._conn: Any = None

    @property
    def needed(self) -> bool:
        return is_postgres_url(self.database_url)

    async def try_acquire(self) -> bool:
        if not self.needed:
            return True
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            dsn = self.database_url.replace("asyncpg://", "postgresql://", 1)
            self._conn = await asyncpg.connect(dsn)
        acquired = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", CLOCK_LOCK_ID))
        if not acquired:
            await self.release()
        return acquired

    async def still_held(self) -> bool:
        if not self.needed:
            return True
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            await self._conn.fetchval("SELECT 1")
        except Exception:
            return False
        return True

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()  # ending the session releases its advisory locks


class Clock:
    def __init__(
        self,
        runtime: Runtime,
        config: ClockConfig = ClockConfig(),
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.sleep = sleep
        self.lock = ClockLock(runtime.settings.database_url)
        self.scheduler: AsyncIOScheduler | None = None
        self.active = asyncio.Event()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Stand by until this clock holds the lock, then run the jobs until `stop`."""
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                if not await self.lock.try_acquire():
                    log.info("another clock is active; standing by")
                    await self.sleep(self.config.standby_poll)
                    continue
                log.info("clock active (time zone %s)", self.runtime.settings.timezone)
                self.scheduler = build_scheduler(self.runtime, self.config)
                add_pec_poll(self.scheduler, self.runtime)  # when PEC_IMAP_* is set
                add_policy_handoffs(self.scheduler, self.runtime)  # a step with handoff = true
                self.scheduler.start()
                self.active.set()
                while not stop.is_set() and await self.lock.still_held():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.config.standby_poll)
                self.scheduler.shutdown(wait=False)
                self.active.clear()
        finally:
            await self.lock.release()


async def run_clock(runtime: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """The clock, for `python -m scheduler clock` and `python -m bot run`."""
    await Clock(runtime).run(stop)
