"""The outbox worker: claiming, routing, rendering, retries, fallback, leases, re-checks."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest

from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.db import is_postgres_url
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Dispute,
    DisputeReason,
    InvoiceStatus,
    Message,
    MessageStatus,
)
from bot.providers.twilio.sms import SmsSender
from bot.providers.twilio.whatsapp import WhatsAppSender
from bot.runtime import Runtime
from scheduler.cadence import plan
from scheduler.dispatch import DispatchConfig, Dispatcher
from scheduler.outbox_record import DispatchOutcome, backoff_delay
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.providers.twilio.twilio_app import twilio_settings
from tests.support.scheduler_data import (
    STAFF_CHAT,
    FrozenClock,
    ScriptedSender,
    add_contact,
    make_debtor,
    make_invoice,
    make_runtime,
    runtime_with,
    senders,
    sent_reminders,
)

# Wednesday 25 November 2026, 10:00 in Rome.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def dispatcher(runtime: Runtime, **config: object) -> Dispatcher:
    return Dispatcher(runtime, DispatchConfig(**config), rng=random.Random(7))  # type: ignore[arg-type]


async def overdue_debtor(
    *channels: Channel, language: str = "it", timezone: str = "Europe/Rome"
) -> Debtor:
    debtor = await make_debtor(
        "Bar Sport di Rossi",
        channels=channels or (Channel.TELEGRAM,),
        language=language,
        timezone=timezone,
    )
    await make_invoice(
        debtor, TODAY - dt.timedelta(days=8), 123_456, number=f"FT-2026/0042-{debtor.id}"
    )
    await make_invoice(
        debtor, TODAY - dt.timedelta(days=2), 1_000, number=f"FT-2026/0077-{debtor.id}"
    )
    return debtor


def backoff_config() -> DispatchConfig:
    return DispatchConfig()


async def test_a_planned_reminder_is_rendered_sent_and_recorded(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)

    counts = await dispatcher(runtime).drain()

    assert counts == {DispatchOutcome.SENT: 1}
    [message] = out[Channel.TELEGRAM].sent
    assert message.address == f"{100000 + debtor.id}"
    assert "FT-2026/0042" in message.text and "FT-2026/0077" in message.text
    assert "1.244,56\xa0€" in message.text  # the total, Italian format
    assert "Bar Sport di Rossi" in message.text
    assert "/pay/" in message.text  # a durable pay link, never a checkout URL
    assert message.options[0].key == "instalments"
    assert message.language == "it"
    row = await Message.get(audience="debtor")
    assert row.status is MessageStatus.SENT
    assert row.provider_id == "telegram-1"
    assert row.channel is Channel.TELEGRAM
    assert row.body == message.text
    assert row.sent_at == NOW
    assert row.lease_until is None


async def test_english_sms_uses_the_short_variant(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await overdue_debtor(Channel.SMS, language="en")
    # A number that has written to us before: not a first contact (which shows no amount).
    known = NOW - dt.timedelta(days=9)
    await ContactPoint.filter(debtor_id=debtor.id).update(last_inbound_at=known)
    await plan(runtime)
    await dispatcher(runtime).drain()
    [message] = out[Channel.SMS].sent
    assert "€1,244.56" in message.text
    assert "2 invoices" in message.text
    assert "Dear" not in message.text  # the SMS template, not the chat one
    assert len(message.text) < 306


async def test_email_gets_subject_and_escaped_html(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor("Rossi & <Figli>", channels=(Channel.EMAIL,))
    await make_invoice(debtor, TODAY - dt.timedelta(days=21), 5_000)
    await plan(runtime)
    await dispatcher(runtime).drain()
    [message] = out[Channel.EMAIL].sent
    assert message.subject == "Forniture Bianchi S.p.A.: sollecito di pagamento"  # the first one
    assert "Rossi &amp; &lt;Figli&gt;" in message.html
    assert "Rossi & <Figli>" in message.text


async def test_formal_notice_goes_to_the_pec_address(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor(channels=(Channel.TELEGRAM,))
    await add_contact(debtor, Channel.EMAIL, priority=3, address="ordinaria@example.it")
    await add_contact(
        debtor, Channel.EMAIL, priority=4, is_pec=True, address="rossi@pec.example.it"
    )
    late = await make_invoice(debtor, TODAY - dt.timedelta(days=61))
    steps = ["overdue_1", "overdue_2", "overdue_3"]
    await sent_reminders(debtor, late, steps, NOW - dt.timedelta(days=8))
    await plan(runtime)
    # A formal step waits for staff: the card with the PDF, nothing for the debtor.
    await dispatcher(runtime).drain()
    assert out[Channel.EMAIL].sent == []
    [card] = out[Channel.TELEGRAM].sent
    assert card.address == str(STAFF_CHAT)
    assert "Diffida" in card.text and card.attachments[0].mime_type == "application/pdf"
    # Approved, the notice itself goes to the PEC address (docs/notice.md).
    from bot.decisions.notices import approve_notice
    from bot.models import FormalNotice, StaffMember

    staff = await StaffMember.create(telegram_user_id=9, name="Anna")
    await approve_notice(runtime, await FormalNotice.get(debtor_id=debtor.id), staff)
    await dispatcher(runtime).drain()
    [notice] = out[Channel.EMAIL].sent
    assert notice.address == "rossi@pec.example.it"
    assert "diffida" in notice.subject.lower()


async def test_quiet_hours_hold_the_message_until_the_window_opens(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    row = await Message.get(audience="debtor")
    # The row was due at 10:00; the worker only gets to it at 20:30 Rome time.
    clock.now = dt.datetime(2026, 11, 25, 19, 30, tzinfo=dt.UTC)
    assert await dispatcher(runtime).drain() == {DispatchOutcome.RESCHEDULED: 1}
    await row.refresh_from_db()
    assert row.status is MessageStatus.PENDING
    assert row.scheduled_at == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    assert out[Channel.TELEGRAM].sent == []
    # Nothing goes out during the night...
    clock.now = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    assert await dispatcher(runtime).drain() == {}
    # ...and it goes at 09:00.
    clock.now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    assert await dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}


async def test_quiet_hours_are_the_debtors_own(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    await overdue_debtor(Channel.TELEGRAM, timezone="America/New_York")
    await plan(runtime)
    # 10:00 in Rome is 04:00 in New York: planned for 09:00 EST = 14:00 UTC.
    row = await Message.get(audience="debtor")
    assert row.scheduled_at == dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
    assert await dispatcher(runtime).drain() == {}
    # A worker that only gets to it after 19:00 in New York holds it to the next morning.
    clock.now = dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC)  # 19:30 EST
    assert await dispatcher(runtime).drain() == {DispatchOutcome.RESCHEDULED: 1}
    await row.refresh_from_db()
    assert row.scheduled_at == dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)
    clock.now = row.scheduled_at
    assert await dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}


async def test_weekly_cap_moves_the_message(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await overdue_debtor(Channel.TELEGRAM)
    for day in (19, 23, 24):  # three contacts in the last 7 days (cap 3)
        await Message.create(
            debtor=debtor,
            direction=Direction.OUTBOUND,
            step="earlier",
            status=MessageStatus.SENT,
            sent_at=dt.datetime(2026, 11, day, 10, 0, tzinfo=dt.UTC),
        )
    # A conversation reply is not a contact the cap counts.
    await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENT,
        context={"reply": True},
        sent_at=dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC),
    )
    await plan(runtime)
    assert await dispatcher(runtime).drain() == {DispatchOutcome.RESCHEDULED: 1}
    row = await Message.get(audience="debtor", step="overdue_1")
    # The contact of the 19th leaves the window on the 26th at 10:00 UTC (11:00 in Rome).
    assert row.scheduled_at == dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


async def test_paid_meanwhile_cancels_and_partly_paid_drops_the_paid_invoice(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    paid = await overdue_debtor(Channel.TELEGRAM)
    partly = await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    for invoice in await paid.invoices.all():
        invoice.status = InvoiceStatus.PAID
        invoice.paid_cents = invoice.amount_cents
        await invoice.save()
    first = await partly.invoices.all().order_by("due_date").first()
    assert first is not None
    first.status = InvoiceStatus.PAID
    first.paid_cents = first.amount_cents
    await first.save()

    counts = await dispatcher(runtime).drain()

    assert counts == {DispatchOutcome.CANCELLED: 1, DispatchOutcome.SENT: 1}
    cancelled = await Message.get(debtor_id=paid.id)
    assert cancelled.status is MessageStatus.CANCELLED
    assert cancelled.last_error == "settled"
    [message] = out[Channel.TELEGRAM].sent
    assert "FT-2026/0042" not in message.text and "FT-2026/0077" in message.text


async def test_opt_out_pause_or_dispute_meanwhile_cancel(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    opted = await overdue_debtor(Channel.TELEGRAM)
    paused = await overdue_debtor(Channel.TELEGRAM)
    disputing = await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    await ContactPoint.filter(debtor_id=opted.id).update(opted_out_at=NOW)
    paused.paused_until = NOW + dt.timedelta(days=3)
    await paused.save()
    await Dispute.create(debtor=disputing, reason=DisputeReason.NOT_MINE)

    assert await dispatcher(runtime).drain() == {DispatchOutcome.CANCELLED: 3}
    reasons = {m.debtor_id: m.last_error for m in await Message.filter(audience="debtor")}
    assert reasons == {opted.id: "opted_out", paused.id: "paused", disputing.id: "disputed"}
    assert out[Channel.TELEGRAM].sent == []
    # The cadence key is released, so planning can queue the step again when the pause ends.
    clock.advance(days=4)
    result = await plan(runtime)
    assert paused.id in {r.debtor_id for r in result.queued}


async def test_retry_backoff_then_fallback_against_fake_twilio(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    fake = await FakeTwilio().start()
    try:
        live = twilio_settings(settings, fake)
        channel_senders = {channel: SandboxSender(channel) for channel in Channel}
        channel_senders[Channel.SMS] = SmsSender.from_settings(live)  # type: ignore[assignment]
        channel_senders[Channel.WHATSAPP] = WhatsAppSender.from_settings(live)  # type: ignore[assignment]
        runtime = make_runtime(live, clock, channel_senders)  # type: ignore[arg-type]
        debtor = await overdue_debtor(Channel.SMS, Channel.WHATSAPP)
        await ContactPoint.filter(debtor_id=debtor.id, channel=Channel.WHATSAPP).update(
            last_inbound_at=NOW - dt.timedelta(hours=1)  # session open: free text allowed
        )
        await plan(runtime)
        for _ in range(5):
            fake.fail_next(20503)
        worker = dispatcher(runtime, max_attempts=5)
        delays = []
        for attempt in range(1, 5):
            assert await worker.run_once() == {DispatchOutcome.RETRY_LATER: 1}
            row = await Message.get(audience="debtor")
            assert row.attempts == attempt
            delay = row.scheduled_at - clock.now
            base = 30 * 2 ** (attempt - 1)
            assert dt.timedelta(seconds=base / 2) <= delay <= dt.timedelta(seconds=base)
            delays.append(delay)
            assert await worker.run_once() == {}  # not due before the backoff has passed
            clock.now = row.scheduled_at
        # The policy's overdue_1 tries WhatsApp before SMS (the debtor's SMS contact point being
        # first in the import changes nothing): the fifth transient failure exhausts WhatsApp,
        # and SMS takes it at once.
        assert await worker.run_once() == {DispatchOutcome.SENT: 1}
        row = await Message.get(audience="debtor")
        assert row.channel is Channel.SMS
        assert row.provider_id and row.provider_id.startswith("SM")
        assert [r["To"] for r in fake.requests] == [f"+39333{debtor.id:07d}"]
        assert len(fake.refused) == 5
        assert delays == sorted(delays)
    finally:
        await runtime.close()
        await fake.stop()


async def test_unreachable_number_is_marked_and_falls_back_at_once(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    fake = await FakeTwilio().start()
    try:
        live = twilio_settings(settings, fake)
        out = senders()
        channel_senders: dict[Channel, object] = dict(out)
        channel_senders[Channel.SMS] = SmsSender.from_settings(live)
        runtime = make_runtime(live, clock, channel_senders)  # type: ignore[arg-type]
        debtor = await overdue_debtor(Channel.SMS, Channel.EMAIL)
        await plan(runtime)
        fake.fail_next(21211)  # not a valid phone number
        assert await dispatcher(runtime).run_once() == {DispatchOutcome.SENT: 1}
        sms = await ContactPoint.get(debtor_id=debtor.id, channel=Channel.SMS)
        assert sms.unreachable_at is not None
        [email] = out[Channel.EMAIL].sent
        assert email.address.endswith("@example.it")
        row = await Message.get(audience="debtor")
        assert row.channel is Channel.EMAIL
        assert row.context["errors"][0].startswith("sms: ")
    finally:
        await runtime.close()
        await fake.stop()


async def test_every_channel_failing_marks_failed_and_alerts_staff(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders(
        telegram=ScriptedSender(
            Channel.TELEGRAM, [SendError(SendOutcome.UNREACHABLE, "bot blocked by the user")]
        ),
        email=ScriptedSender(
            Channel.EMAIL, [SendError(SendOutcome.FALLBACK, "mailbox refuses attachments")]
        ),
    )
    runtime = runtime_with(settings, clock, out)
    debtor = await overdue_debtor(Channel.TELEGRAM, Channel.EMAIL)
    await plan(runtime)
    worker = dispatcher(runtime)
    assert await worker.run_once() == {DispatchOutcome.FAILED: 1}
    row = await Message.get(audience="debtor")
    assert row.status is MessageStatus.FAILED
    assert "bot blocked" in row.last_error and "mailbox" in row.last_error
    alert = await Message.get(audience="staff")
    assert alert.template == "staff/delivery_failed.txt"
    assert alert.context["debtor_id"] == debtor.id
    # The alert itself goes to the staff chat, even at night (no quiet hours for staff).
    clock.now = dt.datetime(2026, 11, 25, 23, 0, tzinfo=dt.UTC)
    assert await worker.run_once() == {DispatchOutcome.SENT: 1}
    [staff] = out[Channel.TELEGRAM].sent
    assert staff.address == str(STAFF_CHAT)
    assert "Bar Sport di Rossi" in staff.text and "bot blocked" in staff.text


async def test_pending_conversation_reply_is_resent_on_its_channel(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor(channels=(Channel.TELEGRAM,))
    sms = await add_contact(debtor, Channel.SMS, priority=5)
    await Message.create(
        debtor=debtor,
        contact_point=sms,
        direction=Direction.OUTBOUND,
        channel=Channel.SMS,
        template="replies/ack.txt",
        body="Grazie, abbiamo ricevuto il suo messaggio.",
        context={"reply": True, "address": sms.address},
        status=MessageStatus.PENDING,
        scheduled_at=NOW,
    )
    assert await dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    [message] = out[Channel.SMS].sent
    assert message.address == sms.address
    assert message.text == "Grazie, abbiamo ricevuto il suo messaggio."
    assert out[Channel.TELEGRAM].sent == []


async def test_staff_message_without_a_staff_chat_fails_visibly(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = make_runtime(settings, clock, out, telegram_staff_chat_id=None)  # type: ignore[arg-type]
    debtor = await make_debtor("Late Payer")
    late = await make_invoice(debtor, TODAY - dt.timedelta(days=46))
    await sent_reminders(debtor, late, ["overdue_1", "overdue_2"], NOW - dt.timedelta(days=8))
    await plan(runtime)
    counts = await dispatcher(runtime).drain()
    assert counts == {DispatchOutcome.SENT: 1, DispatchOutcome.FAILED: 1}
    alert = await Message.get(audience="staff")
    assert alert.last_error == "TELEGRAM_STAFF_CHAT_ID is not set"


async def test_worker_killed_between_claim_and_send_loses_nothing(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    for _ in range(5):
        await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    killed = dispatcher(runtime, batch_size=3)
    claimed = await killed.claim()  # ...and the process dies here
    assert len(claimed) == 3
    survivor = dispatcher(runtime)
    # Before the lease expires the survivor takes only the unclaimed rows.
    assert await survivor.drain() == {DispatchOutcome.SENT: 2}
    clock.advance(minutes=6)  # the 5-minute lease has expired
    assert await survivor.drain() == {DispatchOutcome.SENT: 3}
    sent_to = [m.message_id for m in out[Channel.TELEGRAM].sent]
    assert len(sent_to) == 5 and len(set(sent_to)) == 5  # every message once, none lost
    assert await Message.filter(status=MessageStatus.SENT).count() == 5


async def test_worker_killed_between_send_and_record_resends_at_least_once(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    """The documented at-least-once case: the provider accepted, we never recorded it."""

    class DiesAfterSending(ScriptedSender):
        async def send(self, message: OutgoingMessage) -> str:
            await super().send(message)
            raise asyncio.CancelledError  # the process is killed before the row is updated

    dying = DiesAfterSending(Channel.TELEGRAM)
    runtime = runtime_with(settings, clock, senders(telegram=dying))
    await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    with pytest.raises(asyncio.CancelledError):
        await dispatcher(runtime).run_once()
    row = await Message.get(audience="debtor")
    assert row.status is MessageStatus.SENDING  # left claimed by the dead worker

    healthy = ScriptedSender(Channel.TELEGRAM)
    runtime.senders[Channel.TELEGRAM] = healthy
    assert await dispatcher(runtime).drain() == {}  # the lease still holds
    clock.advance(minutes=6)
    assert await dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    # Sent twice in all, with the same message id for provider-side de-duplication.
    assert [m.message_id for m in dying.sent] == [row.id]
    assert [m.message_id for m in healthy.sent] == [row.id]


async def test_a_worker_whose_lease_passed_does_not_overwrite(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    slow = dispatcher(runtime)
    [(message_id, lease)] = await slow.claim()
    clock.advance(minutes=6)
    assert await dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert await slow.process(message_id, lease) is DispatchOutcome.LOST_LEASE
    row = await Message.get(id=message_id)
    assert row.provider_id == "telegram-1"


async def test_two_workers_share_the_outbox_without_duplicates(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    for _ in range(40):
        await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    first, second = dispatcher(runtime, batch_size=4), dispatcher(runtime, batch_size=4)
    a, b = await asyncio.gather(first.drain(), second.drain())
    assert a.get(DispatchOutcome.SENT, 0) + b.get(DispatchOutcome.SENT, 0) == 40
    ids = [m.message_id for m in out[Channel.TELEGRAM].sent]
    assert len(ids) == 40 and len(set(ids)) == 40
    if is_postgres_url(settings.database_url):
        assert a and b  # with SKIP LOCKED both workers got a share


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    config = DispatchConfig(
        backoff_base=dt.timedelta(seconds=10), backoff_cap=dt.timedelta(seconds=100)
    )
    rng = random.Random(1)
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {backoff_delay(attempt, config, rng).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    assert backoff_delay(1, config, rng, retry_after=300).total_seconds() == 300


async def test_blocked_telegram_falls_back_and_staff_hear_on_the_real_bot_api(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    """Against the fake Telegram Bot API with the real sender (python-telegram-bot)."""
    from bot.providers.telegram.sender import TelegramSender
    from tests.providers.telegram.fake_telegram import FakeTelegram

    token = "123456:DISPATCH-token"
    fake = await FakeTelegram(token).start()
    try:
        live = settings.model_copy(
            update={"telegram_bot_token": token, "telegram_api_base_url": fake.base_url}
        )
        out = senders()
        channel_senders: dict[Channel, object] = dict(out)
        channel_senders[Channel.TELEGRAM] = TelegramSender.from_settings(live)
        runtime = make_runtime(
            live,
            clock,
            channel_senders,  # type: ignore[arg-type]
            telegram_staff_chat_id=STAFF_CHAT,
        )
        debtor = await overdue_debtor(Channel.TELEGRAM, Channel.EMAIL)
        chat = f"{100000 + debtor.id}"
        # A debtor 46 days late, reminded twice: overdue_3, which also alerts staff.
        late = await make_invoice(debtor, TODAY - dt.timedelta(days=46), 5_000)
        week_ago = NOW - dt.timedelta(days=8)
        await sent_reminders(debtor, late, ["overdue_1", "overdue_2"], week_ago)
        await plan(runtime)
        fake.block(chat)

        counts = await dispatcher(runtime).drain()

        assert counts == {DispatchOutcome.SENT: 2}
        telegram = await ContactPoint.get(debtor_id=debtor.id, channel=Channel.TELEGRAM)
        assert telegram.unreachable_at is not None  # bot blocked: the address is dead
        [email] = out[Channel.EMAIL].sent
        assert "terzo sollecito" in email.text
        [alert] = fake.texts_to(STAFF_CHAT)
        assert "Escalation" in alert and "Bar Sport di Rossi" in alert
        assert len(fake.texts_to(chat)) == 1  # tried once, refused (403), never retried
    finally:
        await runtime.close()
        await fake.stop()


async def test_run_loop_pauses_when_idle_and_stops(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    await overdue_debtor(Channel.TELEGRAM)
    await plan(runtime)
    stop = asyncio.Event()
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        stop.set()  # the process is asked to stop while idle

    await dispatcher(runtime, idle_sleep=7.0).run(stop, sleep=pause)
    assert pauses == [7.0]
    assert len(out[Channel.TELEGRAM].sent) == 1
