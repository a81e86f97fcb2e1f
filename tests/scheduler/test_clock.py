"""The clock: its cron jobs, promise and instalment checks, the digest, one active clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass, field

import pytest

from bot.channels.base import OutgoingMessage
from bot.config import Settings
from bot.db import is_postgres_url
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Instalment,
    InstalmentStatus,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.texts import date, money, render
from scheduler.clock import Clock, ClockConfig, ClockLock, build_scheduler, plan_cadence
from scheduler.commitments import check_instalments, check_promises
from scheduler.digest import morning_digest
from scheduler.dispatch import DispatchConfig, Dispatcher
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

ROME_10AM = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday 25 November 2026
TODAY = dt.date(2026, 11, 25)
STAFF_CHAT = -100999


@dataclass
class RecordingSender:
    channel: Channel
    sent: list[OutgoingMessage] = field(default_factory=list)

    async def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        return f"{self.channel.value}-{len(self.sent)}"

    async def close(self) -> None:
        return None


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(ROME_10AM)


@pytest.fixture
def senders() -> dict[Channel, RecordingSender]:
    return {channel: RecordingSender(channel) for channel in Channel}


def runtime_for(settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]):  # type: ignore[no-untyped-def]
    return make_runtime(settings, clock, senders, telegram_staff_chat_id=STAFF_CHAT)  # type: ignore[arg-type]


async def send_all(runtime) -> None:  # type: ignore[no-untyped-def]
    await Dispatcher(runtime, DispatchConfig(), rng=random.Random(1)).drain()


def test_jobs_are_cron_triggers_in_the_company_time_zone(settings: Settings) -> None:
    runtime = make_runtime(settings, FrozenClock(ROME_10AM))
    scheduler = build_scheduler(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "plan_cadence",
        "check_promises",
        "check_instalments",
        "morning_digest",
        "close_idle_conversations",
        "rescore_risk",
        "early_warning",
        "weekly_charts",
    }
    for job in jobs.values():
        assert str(job.trigger.timezone) == "Europe/Rome"
    # Missed runs coalesce into one, and a run more than an hour late is dropped.
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["misfire_grace_time"] == 3600
    assert scheduler._job_defaults["max_instances"] == 1

    plan = jobs["plan_cadence"].trigger
    zone = runtime.settings.zone
    friday_evening = dt.datetime(2026, 11, 27, 18, 50, tzinfo=zone)
    assert plan.get_next_fire_time(None, friday_evening) == dt.datetime(
        2026, 11, 30, 8, 0, tzinfo=zone
    )
    midday = dt.datetime(2026, 11, 25, 12, 1, tzinfo=zone)
    assert plan.get_next_fire_time(None, midday) == dt.datetime(2026, 11, 25, 12, 15, tzinfo=zone)
    digest = jobs["morning_digest"].trigger
    assert digest.get_next_fire_time(None, friday_evening) == dt.datetime(
        2026, 11, 30, 8, 30, tzinfo=zone
    )
    warning = jobs["early_warning"].trigger
    assert warning.get_next_fire_time(None, friday_evening) == dt.datetime(
        2026, 11, 30, 8, 35, tzinfo=zone
    )
    charts = jobs["weekly_charts"].trigger  # Mondays only, after the digest
    assert charts.get_next_fire_time(None, friday_evening) == dt.datetime(
        2026, 11, 30, 8, 40, tzinfo=zone
    )
    assert charts.get_next_fire_time(None, midday) == dt.datetime(2026, 11, 30, 8, 40, tzinfo=zone)


async def test_planning_job_runs_on_business_days_only(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    runtime = make_runtime(settings, clock)
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=8))
    clock.now = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)  # Immacolata: a holiday
    assert await plan_cadence(runtime) is None
    assert await Message.all().count() == 0
    clock.now = dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)
    result = await plan_cadence(runtime)
    assert result is not None and result.queued_count == 1


async def test_broken_promise_reminds_the_debtor_and_alerts_staff(
    db: str,
    settings: Settings,
    clock: FrozenClock,
    senders: dict[Channel, RecordingSender],
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Promettente S.r.l.")
    invoice = await make_invoice(debtor, TODAY - dt.timedelta(days=20), 50_000)
    broken = await PromiseToPay.create(
        debtor=debtor, promised_date=TODAY - dt.timedelta(days=1), invoice_ids=[invoice.id]
    )
    waiting = await PromiseToPay.create(debtor=debtor, promised_date=TODAY)

    kept_debtor = await make_debtor("Puntuale S.p.A.")
    paid = await make_invoice(
        kept_debtor, TODAY - dt.timedelta(days=20), status=InvoiceStatus.PAID, paid_cents=10_000
    )
    kept = await PromiseToPay.create(
        debtor=kept_debtor, promised_date=TODAY - dt.timedelta(days=2), invoice_ids=[paid.id]
    )

    outcome = await check_promises(runtime)
    assert outcome == {"kept": [kept.id], "broken": [broken.id]}
    assert (await PromiseToPay.get(id=broken.id)).status is PromiseStatus.BROKEN
    assert (await PromiseToPay.get(id=waiting.id)).status is PromiseStatus.PENDING
    assert (await PromiseToPay.get(id=kept.id)).status is PromiseStatus.KEPT
    assert await check_promises(runtime) == {"kept": [], "broken": []}

    await send_all(runtime)
    [reminder] = senders[Channel.TELEGRAM].sent[:1]
    texts = [m.text for m in senders[Channel.TELEGRAM].sent]
    assert any("24 novembre 2026" in t and "500,00\xa0€" in t for t in texts)
    staff = [m for m in senders[Channel.TELEGRAM].sent if m.address == str(STAFF_CHAT)]
    assert len(staff) == 1 and "Promessa non mantenuta" in staff[0].text
    assert reminder.text


async def test_partial_promise_kept_by_a_payment(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    """Kept when the promised amount arrived between the promise and its date, whatever the day:
    the promise's own stamp comes from the runtime's clock, like the payment's."""
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=20), 50_000)
    clock.advance(days=-5)  # the debtor promises on 20 November to pay 200 € by 24 November
    promise = await PromiseToPay.create(
        debtor=debtor, promised_date=TODAY - dt.timedelta(days=1), amount_cents=20_000
    )
    assert promise.created_at == ROME_10AM - dt.timedelta(days=5)
    clock.advance(days=3)
    await Payment.create(
        debtor=debtor,
        amount_cents=20_000,
        method=PaymentMethod.BANK_TRANSFER,
        received_at=clock.now,
    )
    clock.advance(days=2)
    assert await check_promises(runtime) == {"kept": [promise.id], "broken": []}


async def test_a_payment_before_the_promise_does_not_keep_it(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=20), 50_000)
    await Payment.create(
        debtor=debtor,
        amount_cents=20_000,
        method=PaymentMethod.BANK_TRANSFER,
        received_at=ROME_10AM - dt.timedelta(days=6),
    )
    clock.advance(days=-5)
    promise = await PromiseToPay.create(
        debtor=debtor, promised_date=TODAY - dt.timedelta(days=1), amount_cents=20_000
    )
    clock.advance(days=5)
    assert await check_promises(runtime) == {"kept": [], "broken": [promise.id]}


async def test_a_transfer_booked_the_day_of_the_promise_keeps_it(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    """A bank credit carries its booking day only (stored at noon): a debtor who promised at
    15:00 and paid that afternoon kept the promise."""
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=20), 50_000)
    promised_on = TODAY - dt.timedelta(days=3)
    clock.now = dt.datetime.combine(promised_on, dt.time(15), settings.zone)
    promise = await PromiseToPay.create(
        debtor=debtor, promised_date=TODAY - dt.timedelta(days=1), amount_cents=20_000
    )
    await Payment.create(
        debtor=debtor,
        amount_cents=20_000,
        method=PaymentMethod.BANK_TRANSFER,
        received_at=dt.datetime.combine(promised_on, dt.time(12), settings.zone),
    )
    clock.now = ROME_10AM
    assert await check_promises(runtime) == {"kept": [promise.id], "broken": []}


async def make_plan(debtor, invoices, *, first_due: dt.date) -> PaymentPlan:  # type: ignore[no-untyped-def]
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=sum(i.amount_cents for i in invoices),
        instalment_count=2,
        first_due_date=first_due,
        invoice_ids=[i.id for i in invoices],
    )
    for seq, due in enumerate((first_due, first_due + dt.timedelta(days=30)), start=1):
        await Instalment.create(plan=plan, seq=seq, due_date=due, amount_cents=25_000)
    return plan


async def test_instalment_due_is_reminded_once(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("A Rate S.r.l.", language="en")
    invoice = await make_invoice(
        debtor, TODAY - dt.timedelta(days=40), 50_000, status=InvoiceStatus.IN_PLAN
    )
    plan = await make_plan(debtor, [invoice], first_due=TODAY + dt.timedelta(days=2))
    first = await Instalment.get(plan=plan, seq=1)

    outcome = await check_instalments(runtime)
    assert outcome == {"reminded": [first.id], "broken": []}
    assert await check_instalments(runtime) == {"reminded": [], "broken": []}

    await send_all(runtime)
    [message] = senders[Channel.TELEGRAM].sent
    assert "instalment no. 1" in message.text
    assert "€250.00" in message.text and "27 November 2026" in message.text
    assert "/pay/" in message.text


async def test_missed_instalment_past_grace_breaks_the_plan(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Ritardi S.r.l.")
    invoice = await make_invoice(
        debtor, TODAY - dt.timedelta(days=60), 50_000, status=InvoiceStatus.IN_PLAN
    )
    grace = runtime.policy.instalments.grace_days
    # Due grace+1 days ago: past the grace days.
    plan = await make_plan(debtor, [invoice], first_due=TODAY - dt.timedelta(days=grace + 1))

    outcome = await check_instalments(runtime)

    assert outcome == {"reminded": [], "broken": [plan.id]}
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.BROKEN
    assert (await Instalment.get(plan=plan, seq=1)).status is InstalmentStatus.MISSED
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.OPEN  # back in the cadence
    [alert] = await Message.filter(audience="staff")
    assert alert.template == "staff/plan_broken.txt"
    assert await check_instalments(runtime) == {"reminded": [], "broken": []}
    await send_all(runtime)
    # Staff are alerted, and the debtor is told too (test_a_lapsed_plan_is_told_to_the_debtor...).
    staff, told = senders[Channel.TELEGRAM].sent
    assert staff.address == str(STAFF_CHAT)
    assert "Piano di rientro decaduto" in staff.text and "Ritardi S.r.l." in staff.text
    assert told.address != str(STAFF_CHAT) and "è decaduto" in told.text


async def test_a_lapsed_plan_is_told_to_the_debtor_where_it_was_agreed(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Ritardi S.r.l.", channels=(Channel.TELEGRAM, Channel.SMS))
    sms = await ContactPoint.get(debtor_id=debtor.id, channel=Channel.SMS)
    invoices = [
        await make_invoice(debtor, TODAY - dt.timedelta(days=60), amount, status=status)
        for amount, status in ((50_000, InvoiceStatus.IN_PLAN), (30_000, InvoiceStatus.IN_PLAN))
    ]
    grace = runtime.policy.instalments.grace_days
    missed_on = TODAY - dt.timedelta(days=grace + 1)
    plan = await make_plan(debtor, invoices, first_due=missed_on)
    # The debtor asked for the plan by SMS (bot/conversations/apply_plans.py records where):
    # the number wrote.
    await ContactPoint.filter(id=sms.id).update(last_inbound_at=ROME_10AM - dt.timedelta(days=40))
    await AuditEvent.create(
        actor=f"debtor:{debtor.id}",
        action="flow.plan_requested",
        subject=f"plan:{plan.id}",
        data={"contact_point_id": sms.id},
    )

    await check_instalments(runtime)
    await check_instalments(runtime)  # once per plan
    [row] = await Message.filter(audience="debtor", template="plan_lapsed")
    assert row.contact_point_id == sms.id  # type: ignore[attr-defined]
    await send_all(runtime)

    [text] = [m.text for m in senders[Channel.SMS].sent]
    numbers = [invoice.number for invoice in invoices]
    [first] = await Instalment.filter(plan_id=plan.id, seq=1)
    assert text.startswith(
        f"{runtime.settings.company_name}: piano di rientro decaduto, rata n. 1 non pagata.\n"
        "Da saldare 800,00 €; i solleciti riprendono.\n"
    )
    assert "/pay/" in text
    assert [m.address for m in senders[Channel.TELEGRAM].sent] == [str(STAFF_CHAT)]
    # The longer text (chat, e-mail) names the instalment, the invoices and what happens next.
    long = render(
        "reminders/plan_lapsed.txt",
        "it",
        company="ACME",
        debtor_name=debtor.name,
        seq=first.seq,
        amount_cents=first.amount_cents,
        plan_currency="EUR",
        due_date=missed_on,
        grace_days=grace,
        plan_invoices=numbers,
        total_cents=80_000,
        pay_url="https://x/pay/t",
        iban="",
        beneficiary="",
    )
    assert f"la rata n. 1 di {money(first.amount_cents, 'EUR', 'it')}, scaduta il " in long
    assert f"dopo {grace} giorni di tolleranza" in long
    assert f"le fatture {numbers[0]}, {numbers[1]} tornano da saldare" in long
    assert f"scaduta il {date(missed_on, 'it')}, non risulta pagata" in long
    assert "per l'importo residuo di 800,00" in long
    assert "riprenderemo a inviarle i promemoria" in long


async def test_instalment_within_grace_days_is_left_alone(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor()
    invoice = await make_invoice(
        debtor, TODAY - dt.timedelta(days=60), status=InvoiceStatus.IN_PLAN
    )
    plan = await make_plan(debtor, [invoice], first_due=TODAY - dt.timedelta(days=1))
    assert await check_instalments(runtime) == {"reminded": [], "broken": []}
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.ACTIVE


async def test_morning_digest_once_a_day(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Grande Debitore S.p.A.")
    await make_invoice(debtor, TODAY - dt.timedelta(days=12), 987_654)
    await Message.create(
        debtor=debtor,
        direction="out",
        status=MessageStatus.SENT,
        step="overdue_1",
        sent_at=ROME_10AM - dt.timedelta(days=1),
    )
    assert await morning_digest(runtime) is True
    assert await morning_digest(runtime) is False
    await send_all(runtime)
    [digest] = senders[Channel.TELEGRAM].sent
    assert digest.address == str(STAFF_CHAT)
    assert "Ieri: 1 messaggio inviato" in digest.text  # "1 messaggio", never "1 messaggi"
    assert "Grande Debitore S.p.A.: 9.876,54\xa0€, da 12 giorni" in digest.text
    assert "In attesa di una vostra decisione" not in digest.text  # nobody waits


async def test_the_digest_names_plans_waiting_for_a_decision(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    """A debtor told "le risponderemo appena possibile" is in staff's digest every morning."""
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Attesa S.r.l.")
    invoice = await make_invoice(debtor, TODAY - dt.timedelta(days=12), 500_000)
    plan = await make_plan(debtor, [invoice], first_due=TODAY + dt.timedelta(days=5))
    plan.status = PlanStatus.PENDING_APPROVAL
    await plan.save()
    assert await morning_digest(runtime) is True
    await send_all(runtime)
    [digest] = senders[Channel.TELEGRAM].sent
    assert "In attesa di una vostra decisione: 1 piano di rientro e 0 sconti" in digest.text


async def test_the_digest_counts_yesterday_by_the_runtimes_clock(
    db: str, settings: Settings, clock: FrozenClock, senders: dict[Channel, RecordingSender]
) -> None:
    """Replies and failures are counted by their rows' stamps, written by the runtime's clock."""
    runtime = runtime_for(settings, clock, senders)
    debtor = await make_debtor("Verdi S.n.c.")
    clock.now = ROME_10AM - dt.timedelta(days=1)  # yesterday: two replies, one failure
    for text in ("r1", "r2"):
        await Message.create(debtor=debtor, direction="in", status=MessageStatus.HANDLED, body=text)
    failed = await Message.create(debtor=debtor, direction="out", step="overdue_1")
    failed.status = MessageStatus.FAILED
    await failed.save()
    clock.now = ROME_10AM  # today: one more reply, not yesterday's
    await Message.create(debtor=debtor, direction="in", status=MessageStatus.HANDLED, body="r3")

    assert await morning_digest(runtime) is True
    await send_all(runtime)
    [digest] = senders[Channel.TELEGRAM].sent
    assert "Ieri: 0 messaggi inviati, 1 non riuscito, 2 risposte ricevute." in digest.text


async def test_on_sqlite_no_lock_is_needed(db: str, settings: Settings) -> None:
    if is_postgres_url(settings.database_url):
        pytest.skip("this test is about SQLite")
    lock = ClockLock(settings.database_url)
    assert not lock.needed
    assert await lock.try_acquire() and await lock.try_acquire()


async def test_a_second_clock_stands_by_on_postgres(db: str, settings: Settings) -> None:
    if not is_postgres_url(settings.database_url):
        pytest.skip("the advisory lock exists on PostgreSQL only; SQLite runs one clock")
    runtime = make_runtime(settings, FrozenClock(ROME_10AM))
    config = ClockConfig(standby_poll=0.05)

    first_stop = asyncio.Event()
    first = Clock(runtime, config)
    first_task = asyncio.create_task(first.run(first_stop))
    await asyncio.wait_for(first.active.wait(), timeout=10)
    assert first.scheduler is not None and first.scheduler.running

    standby_polls = 0
    second_stop = asyncio.Event()

    async def standby_sleep(_: float) -> None:
        nonlocal standby_polls
        standby_polls += 1
        if standby_polls == 3:
            second_stop.set()

    second = Clock(runtime, config, sleep=standby_sleep)
    await second.run(second_stop)
    assert standby_polls == 3
    assert second.scheduler is None  # it never planned

    # The first clock goes away: its session ends, the lock is free, a new clock takes over.
    first_stop.set()
    await asyncio.wait_for(first_task, timeout=10)
    third_stop = asyncio.Event()
    third = Clock(runtime, config, sleep=standby_sleep)
    third_task = asyncio.create_task(third.run(third_stop))
    await asyncio.wait_for(third.active.wait(), timeout=10)
    third_stop.set()
    await asyncio.wait_for(third_task, timeout=10)
