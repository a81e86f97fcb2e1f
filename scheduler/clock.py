"""The clock: APScheduler cron jobs in the company's time zone.

Jobs: cadence planning (every 15 minutes in business hours), promise-date checks, instalment-due
checks, the morning digest for the staff chat, and closing conversations left idle (hourly).
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
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from tortoise.transactions import in_transaction

from bot.db import is_postgres_url
from bot.flows.engine import close_idle_conversations
from bot.models import (
    CHASEABLE_STATUSES,
    Debtor,
    Direction,
    DiscountRequest,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    RequestStatus,
)
from bot.outbox import queue_message, queue_staff_alert
from bot.runtime import Runtime
from scheduler import cadence
from scheduler.calendar import is_business_day
from scheduler.lapse import tell_plan_lapsed

log = logging.getLogger(__name__)

# Advisory lock id: "SOLLECIT" read as a number, so it does not clash with other applications.
CLOCK_LOCK_ID = 0x534F4C4C45434954
INSTALMENT_REMINDER_DAYS = 3  # an instalment_due reminder goes this many days before the date


@dataclass(frozen=True)
class ClockConfig:
    plan_minutes: str = "*/15"
    business_hours: str = "8-18"  # planning runs from 08:00 to 18:45, company time
    promise_check: str = "10"  # minute past each business hour
    instalment_check: tuple[int, int] = (8, 5)  # every day at 08:05
    digest: tuple[int, int] = (8, 30)  # business days at 08:30
    idle_conversations: str = "20"  # minute past every hour
    misfire_grace_seconds: int = 3600
    standby_poll: float = 30.0


# --- the jobs (each takes the runtime; `now` comes from runtime.now) ------------------------


async def plan_cadence(runtime: Runtime) -> cadence.PlanResult | None:
    """Cadence planning, on company business days only."""
    now = runtime.now()
    if not is_business_day(cadence.company_today(now, runtime), runtime.policy):
        log.info("cadence planning skipped: not a business day")
        return None
    result = await cadence.plan(runtime, now=now, record=False)
    log.info("cadence planned: %s", result.summary())
    return result


async def _open_balance(debtor_id: int, invoice_ids: list[int]) -> tuple[int, str]:
    query = Invoice.filter(debtor_id=debtor_id, status__in=CHASEABLE_STATUSES)
    if invoice_ids:
        query = query.filter(id__in=invoice_ids)
    invoices = await query
    currency = invoices[0].currency if invoices else "EUR"
    return sum(inv.balance_cents for inv in invoices), currency


def _day_start(moment: dt.datetime, runtime: Runtime) -> dt.datetime:
    """Midnight, company time, of the day `moment` falls on.

    A promise counts the payments of its own day on: a bank credit carries only its booking date
    (stored at noon), so a transfer booked the afternoon the debtor promised still keeps it.
    """
    zone = runtime.settings.zone
    return dt.datetime.combine(moment.astimezone(zone).date(), dt.time(), zone)


async def check_promises(runtime: Runtime) -> dict[str, list[int]]:
    """Pending promises whose date has passed: kept when paid, else broken (debtor reminded,
    staff alerted). Returns the promise ids by outcome."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    outcome: dict[str, list[int]] = {"kept": [], "broken": []}
    promises = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date__lt=today
    ).prefetch_related("debtor")
    for promise in promises:
        debtor = promise.debtor
        balance, currency = await _open_balance(debtor.id, [int(i) for i in promise.invoice_ids])
        paid_since = sum(
            await Payment.filter(
                debtor_id=debtor.id, received_at__gte=_day_start(promise.created_at, runtime)
            ).values_list("amount_cents", flat=True)
        )
        kept = balance == 0 or (
            promise.amount_cents is not None and paid_since >= promise.amount_cents
        )
        if kept:
            promise.status = PromiseStatus.KEPT
            await promise.save(update_fields=["status"])
            outcome["kept"].append(promise.id)
            continue
        promise.status = PromiseStatus.BROKEN
        await promise.save(update_fields=["status"])
        outcome["broken"].append(promise.id)
        context = {
            "kind": "promise_reminder",
            "promised_date": promise.promised_date.isoformat(),
            "total_cents": balance,
            "currency": currency,
        }
        await queue_message(
            debtor=debtor,
            template="promise_reminder",
            context=context,
            scheduled_at=now,
            step="promise_reminder",
            idempotency_key=f"promise_reminder:{promise.id}",
        )
        await queue_staff_alert(
            "staff/promise_broken.txt",
            {**context, "debtor_id": debtor.id, "debtor_name": debtor.name},
            now=now,
            debtor=debtor,
            idempotency_key=f"promise_broken:{promise.id}",
        )
    return outcome


async def check_instalments(runtime: Runtime) -> dict[str, list[int]]:
    """Remind instalments coming due; break plans with an instalment unpaid past the grace days
    (instalment missed, plan broken, its invoices open again, staff alerted)."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    grace = runtime.policy.instalments.grace_days
    outcome: dict[str, list[int]] = {"reminded": [], "broken": []}
    remind_until = today + dt.timedelta(days=INSTALMENT_REMINDER_DAYS)
    instalments = await Instalment.filter(
        status=InstalmentStatus.DUE, plan__status=PlanStatus.ACTIVE, due_date__lte=remind_until
    ).prefetch_related("plan", "plan__debtor")
    broken_plans: set[int] = set()
    for instalment in sorted(instalments, key=lambda i: (i.plan_id, i.seq)):  # type: ignore[attr-defined]
        plan = instalment.plan
        debtor = plan.debtor
        owed = instalment.amount_cents - instalment.paid_cents
        if owed <= 0:
            continue
        if instalment.due_date + dt.timedelta(days=grace) < today:
            if plan.id in broken_plans:
                continue
            await _break_plan(runtime, plan, instalment, debtor, owed, now)
            broken_plans.add(plan.id)
            outcome["broken"].append(plan.id)
            continue
        if instalment.due_date < today:
            continue  # within the grace days: the reminder went out before the date
        queued = await queue_message(
            debtor=debtor,
            template="instalment_due",
            context={
                "kind": "instalment_due",
                "plan_id": plan.id,
                "instalment_id": instalment.id,
                "seq": instalment.seq,
                "amount_cents": owed,
                "currency": plan.currency,
                "due_date": instalment.due_date.isoformat(),
                "pay_url": await _instalment_link(runtime, debtor, plan, instalment),
            },
            scheduled_at=now,
            step="instalment_due",
            idempotency_key=f"instalment_due:{instalment.id}",
        )
        if queued is not None:
            outcome["reminded"].append(instalment.id)
    return outcome


async def _instalment_link(
    runtime: Runtime, debtor: Debtor, plan: PaymentPlan, instalment: Instalment
) -> str:
    from bot.payments.links import make_pay_link

    return await make_pay_link(
        runtime.settings,
        debtor,
        "instalment",
        invoice_ids=[int(i) for i in plan.invoice_ids],
        instalment=instalment,
    )


async def _break_plan(
    runtime: Runtime,
    plan: PaymentPlan,
    instalment: Instalment,
    debtor: Debtor,
    owed: int,
    now: dt.datetime,
) -> None:
    """The plan lapses: its invoices are open again, staff are alerted, and the debtor is told
    what happens next, where the plan was agreed (reminders/plan_lapsed)."""
    async with in_transaction():
        instalment.status = InstalmentStatus.MISSED
        await instalment.save(update_fields=["status"])
        plan.status = PlanStatus.BROKEN
        await plan.save(update_fields=["status"])
        ids = [int(i) for i in plan.invoice_ids]
        for invoice in await Invoice.filter(id__in=ids, status=InvoiceStatus.IN_PLAN):
            invoice.status = (
                InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents > 0 else InvoiceStatus.OPEN
            )
            await invoice.save(update_fields=["status", "updated_at"])
        missed = {
            "plan_id": plan.id,
            "seq": instalment.seq,
            "amount_cents": owed,
            "currency": plan.currency,
            "due_date": instalment.due_date.isoformat(),
            "grace_days": runtime.policy.instalments.grace_days,
        }
        await queue_staff_alert(
            "staff/plan_broken.txt",
            {"debtor_id": debtor.id, "debtor_name": debtor.name, **missed},
            now=now,
            debtor=debtor,
            idempotency_key=f"plan_broken:{plan.id}",
        )
        await tell_plan_lapsed(runtime, plan, debtor, missed, now)


async def morning_digest(runtime: Runtime) -> bool:
    """Yesterday's figures and today's work, to the staff chat (once a day). True if queued."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    zone = runtime.settings.zone
    start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(), zone)
    end = dt.datetime.combine(today, dt.time(), zone)
    out = Message.filter(direction=Direction.OUTBOUND, audience="debtor")
    sent = await out.filter(sent_at__gte=start, sent_at__lt=end).count()
    failed = await out.filter(
        status=MessageStatus.FAILED, updated_at__gte=start, updated_at__lt=end
    ).count()
    replies = await Message.filter(
        direction=Direction.INBOUND, created_at__gte=start, created_at__lt=end
    ).count()
    pending = await out.filter(status=MessageStatus.PENDING).count()
    promises_due = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date=today
    ).count()
    instalments_due = await Instalment.filter(
        status=InstalmentStatus.DUE, plan__status=PlanStatus.ACTIVE, due_date=today
    ).count()
    overdue = await Invoice.filter(status__in=CHASEABLE_STATUSES, due_date__lt=today).values(
        "debtor_id", "amount_cents", "paid_cents", "due_date", "debtor__name"
    )
    per_debtor: dict[int, dict[str, Any]] = {}
    for row in overdue:
        entry = per_debtor.setdefault(
            row["debtor_id"], {"name": row["debtor__name"], "cents": 0, "days": 0}
        )
        entry["cents"] += max(row["amount_cents"] - row["paid_cents"], 0)
        entry["days"] = max(entry["days"], (today - row["due_date"]).days)
    top = sorted(per_debtor.values(), key=lambda e: -e["cents"])[:5]
    # Debtors were told "le risponderemo appena possibile": each morning staff see who waits.
    plans_waiting = await PaymentPlan.filter(status=PlanStatus.PENDING_APPROVAL).count()
    discounts_waiting = await DiscountRequest.filter(status=RequestStatus.PENDING).count()
    queued = await queue_staff_alert(
        "staff/digest.txt",
        {
            "digest_date": today.isoformat(),
            "sent": sent,
            "failed": failed,
            "replies": replies,
            "pending": pending,
            "promises_due": promises_due,
            "instalments_due": instalments_due,
            "overdue_debtors": len(per_debtor),
            "overdue_cents": sum(e["cents"] for e in per_debtor.values()),
            "currency": "EUR",
            "top": top,
            "plans_waiting": plans_waiting,
            "discounts_waiting": discounts_waiting,
        },
        now=now,
        idempotency_key=f"digest:{today.isoformat()}",
    )
    return queued is not None


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
    return scheduler


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
