"""Every proactive message obeys the calendar and the weekly cap, whoever queued it (issue 14,
item 5): staff decisions, a closed conversation, a staff member's words, instalment and promise
reminders, receipts. Only an immediate answer to what the debtor just wrote skips the cap. WhatsApp
outside its 24-hour window gets the approved template, decided from `last_inbound_at` at send time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.conversations.engine import close_idle_conversations
from bot.conversations.notify import notify_debtor, tell_debtor
from bot.conversations.replies import Reply
from bot.conversations.store import set_state
from bot.flows.context import ReplySpec
from bot.handlers.staff_commands import STAFF_MESSAGE_TEMPLATE
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.outbox import queue_message
from bot.runtime import Runtime
from bot.texts import render
from scheduler.dispatch import Dispatcher
from scheduler.outbox_record import DispatchOutcome
from scheduler.proactive import whatsapp_session_open
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.providers.twilio.twilio_app import whatsapp_runtime
from tests.support.scheduler_data import FrozenClock, make_debtor, make_runtime

UTC = dt.UTC
# Europe/Rome is UTC+1 in November and December.
WEDNESDAY_NIGHT = dt.datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30 in Rome
THURSDAY_MORNING = dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Rome
SUNDAY = dt.datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # Sunday 11:00 in Rome
MONDAY_MORNING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
CHRISTMAS = dt.datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # Friday, a holiday; Saturday too
AFTER_CHRISTMAS = dt.datetime(2026, 12, 28, 8, 0, tzinfo=UTC)  # Monday 09:00 in Rome
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Rome: inside the window

MOMENTS = {
    "at night": (WEDNESDAY_NIGHT, THURSDAY_MORNING),
    "on a Sunday": (SUNDAY, MONDAY_MORNING),
    "on 25 December": (CHRISTMAS, AFTER_CHRISTMAS),
}

Producer = Callable[[Runtime, FrozenClock, Debtor], Awaitable[None]]


async def staff_decision(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """What bot/decisions/plans.py does after a plan is rejected: tell the debtor."""
    await tell_debtor(runtime, debtor, [ReplySpec("flows/plan/rejected.txt")])


async def staff_message(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """What the staff chat does with a staff member's answer during a hand-off."""
    words = render(
        STAFF_MESSAGE_TEMPLATE, "it", staff_name="Anna", company="ACME", text="La chiamo io"
    )
    reply = Reply(text=words, template=STAFF_MESSAGE_TEMPLATE)
    await notify_debtor(runtime, debtor, [reply], kind="staff_message")


async def conversation_closed(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """A conversation left mid-way is closed by the clock, and the debtor told."""
    now = clock.now
    clock.now = now - dt.timedelta(hours=runtime.settings.conversation_timeout_hours + 1)
    state = {"flow": "promise", "stage": "choose", "data": {}, "updated_at": clock.now.isoformat()}
    await set_state(debtor, state)
    clock.now = now
    assert await close_idle_conversations(runtime) == [debtor.id]


async def instalment_due(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """The row scheduler/commitments.py check_instalments queues."""
    context = {
        "kind": "instalment_due",
        "plan_id": 1,
        "instalment_id": 1,
        "seq": 1,
        "amount_cents": 50_000,
        "currency": "EUR",
        "due_date": "2026-12-30",
        "pay_url": "https://pay.example/p/1",
    }
    await queue_message(
        debtor=debtor,
        template="instalment_due",
        context=context,
        scheduled_at=clock.now,
        step="instalment_due",
    )


async def promise_reminder(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """The row scheduler/commitments.py check_promises queues for a broken promise."""
    context = {
        "kind": "promise_reminder",
        "promised_date": "2026-11-20",
        "total_cents": 75_000,
        "currency": "EUR",
    }
    await queue_message(
        debtor=debtor,
        template="promise_reminder",
        context=context,
        scheduled_at=clock.now,
        step="promise_reminder",
    )


async def receipt(runtime: Runtime, clock: FrozenClock, debtor: Debtor) -> None:
    """The thank-you bot/payments/receipts.py queues when a payment arrives (no step)."""
    context = {
        "debtor_name": debtor.name,
        "amount_cents": 50_000,
        "payment_currency": "EUR",
        "method": "bank_transfer",
        "paid_invoices": [{"number": "FT-1", "cents": 50_000, "settled": True}],
        "invoice_ids": [],
        "discount_cents": 0,
        "instalment_seq": None,
        "plan_completed": False,
        "remaining_cents": 0,
        "unallocated_cents": 0,
    }
    await queue_message(
        debtor=debtor, template="payments/receipt.txt", context=context, scheduled_at=clock.now
    )


PRODUCERS: dict[str, Producer] = {
    "plan decision": staff_decision,
    "staff message": staff_message,
    "conversation closed": conversation_closed,
    "instalment notice": instalment_due,
    "promise reminder": promise_reminder,
    "receipt": receipt,
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(WEDNESDAY)


@pytest.fixture
async def runtime(settings: Settings, clock: FrozenClock, db: str) -> AsyncIterator[Runtime]:
    senders: dict[Channel, Any] = {channel: SandboxSender(channel) for channel in Channel}
    runtime = make_runtime(settings, clock, senders, company_name="Forniture Bianchi S.p.A.")
    yield runtime
    await runtime.close()


def sent(runtime: Runtime, channel: Channel = Channel.TELEGRAM) -> list[str]:
    sender = runtime.sender(channel)
    assert isinstance(sender, SandboxSender)
    return [message.text for message in sender.sent]


async def debtor_rows() -> list[Message]:
    return await Message.filter(direction=Direction.OUTBOUND, audience="debtor").order_by("id")


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("kind", list(PRODUCERS))
async def test_a_proactive_message_waits_for_the_next_allowed_hour_and_day(
    runtime: Runtime, clock: FrozenClock, kind: str, moment: str
) -> None:
    queued_at, allowed = MOMENTS[moment]
    clock.now = queued_at
    debtor = await make_debtor("Bar Sport di Rossi")

    await PRODUCERS[kind](runtime, clock, debtor)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.RESCHEDULED: 1}

    assert sent(runtime) == []
    [row] = await debtor_rows()
    assert row.status is MessageStatus.PENDING and row.scheduled_at == allowed
    clock.now = allowed - dt.timedelta(minutes=1)
    assert await Dispatcher(runtime).drain() == {}  # not due a minute before
    clock.now = allowed
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    [text] = sent(runtime)
    assert text.strip()
    [row] = await debtor_rows()
    assert row.sent_at == allowed


async def earlier_contacts(debtor: Debtor, *sent_at: dt.datetime) -> None:
    """Messages already sent this week, none of them a cadence reminder: a staff decision, a
    receipt and a closed conversation count against the cap like any reminder."""
    for at, template, context in zip(
        sent_at,
        ("flows/plan/approved_by_staff.txt", "payments/receipt.txt", "flows/closed.txt"),
        ({"kind": "staff_decision", "prewritten": True}, {}, {"kind": "conversation_closed"}),
        strict=False,
    ):
        await Message.create(
            debtor=debtor,
            direction=Direction.OUTBOUND,
            audience="debtor",
            channel=Channel.TELEGRAM,
            template=template,
            context=context,
            body="…",
            status=MessageStatus.SENT,
            scheduled_at=at,
            sent_at=at,
        )


@pytest.mark.parametrize("kind", list(PRODUCERS))
async def test_a_proactive_message_over_the_weekly_cap_waits_for_room(
    runtime: Runtime, clock: FrozenClock, kind: str
) -> None:
    debtor = await make_debtor("Bar Sport di Rossi")
    monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await earlier_contacts(debtor, monday, monday + dt.timedelta(days=1), WEDNESDAY)
    assert runtime.policy.contact.cap_per_7_days == 3

    await PRODUCERS[kind](runtime, clock, debtor)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.RESCHEDULED: 1}

    assert sent(runtime) == []
    row = (await debtor_rows())[-1]
    # The oldest contact leaves the 7-day window next Monday at 10:00 in Rome: a contact day.
    assert row.scheduled_at == monday + dt.timedelta(days=7)
    clock.now = monday + dt.timedelta(days=7)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}


async def test_an_answer_to_what_the_debtor_just_wrote_skips_the_cap(
    runtime: Runtime, clock: FrozenClock
) -> None:
    debtor = await make_debtor("Bar Sport di Rossi")
    monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await earlier_contacts(debtor, monday, monday + dt.timedelta(days=1), WEDNESDAY)
    point = await ContactPoint.get(debtor_id=debtor.id)
    # A reply bot/inbound.py could not send at once, left to the worker.
    await queue_message(
        debtor=debtor,
        template="flows/menu.txt",
        context={"reply": True, "address": point.address},
        scheduled_at=clock.now,
        contact_point=point,
        channel=Channel.TELEGRAM,
        body="Ecco il menu",
    )
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert sent(runtime) == ["Ecco il menu"]


async def test_a_sent_answer_does_not_use_up_the_cap(runtime: Runtime, clock: FrozenClock) -> None:
    debtor = await make_debtor("Bar Sport di Rossi")
    for hours in range(5):  # a lively conversation: five answers this week
        at = WEDNESDAY - dt.timedelta(hours=hours + 1)
        await Message.create(
            debtor=debtor,
            direction=Direction.OUTBOUND,
            audience="debtor",
            channel=Channel.TELEGRAM,
            template="flows/menu.txt",
            context={"reply": True},
            status=MessageStatus.SENT,
            scheduled_at=at,
            sent_at=at,
        )
    await staff_decision(runtime, clock, debtor)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}


async def test_a_staff_decision_goes_to_the_chat_last_used_then_elsewhere(
    runtime: Runtime, clock: FrozenClock
) -> None:
    debtor = await make_debtor("Bar Sport di Rossi", channels=(Channel.TELEGRAM, Channel.SMS))
    await set_state(debtor, {"flow": "idle"}, channel=Channel.SMS)
    await staff_decision(runtime, clock, debtor)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert sent(runtime, Channel.SMS) == [render("flows/plan/rejected.txt", "it")]
    assert sent(runtime) == []


# --- WhatsApp's 24-hour window ----------------------------------------------------------------

SIDS = {"flows/plan/rejected": "HX" + "5" * 32}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio().start()
    yield server
    await server.stop()


@pytest.mark.parametrize("hours_since_the_debtor_wrote", [None, 24, 30])
async def test_whatsapp_outside_the_window_gets_the_approved_template_never_free_text(
    db: str, settings: Settings, fake: FakeTwilio, hours_since_the_debtor_wrote: int | None
) -> None:
    clock = FrozenClock(WEDNESDAY)
    runtime = whatsapp_runtime(settings, fake, clock, SIDS)
    try:
        debtor = await make_debtor("Bar Sport di Rossi", channels=(Channel.WHATSAPP,))
        if hours_since_the_debtor_wrote is not None:
            wrote = WEDNESDAY - dt.timedelta(hours=hours_since_the_debtor_wrote)
            await ContactPoint.filter(debtor_id=debtor.id).update(last_inbound_at=wrote)
        await staff_decision(runtime, clock, debtor)
        assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    finally:
        await runtime.close()
    [request] = fake.requests
    assert "Body" not in request
    assert request["ContentSid"] == SIDS["flows/plan/rejected"]
    variables = json.loads(request["ContentVariables"])
    assert variables == {"1": "Bar Sport di Rossi", "2": "Forniture Bianchi S.p.A."}


async def test_whatsapp_inside_the_window_sends_the_text_itself(
    db: str, settings: Settings, fake: FakeTwilio
) -> None:
    clock = FrozenClock(WEDNESDAY)
    runtime = whatsapp_runtime(settings, fake, clock, SIDS)
    try:
        debtor = await make_debtor("Bar Sport di Rossi", channels=(Channel.WHATSAPP,))
        wrote = WEDNESDAY - dt.timedelta(hours=23)
        await ContactPoint.filter(debtor_id=debtor.id).update(last_inbound_at=wrote)
        await staff_decision(runtime, clock, debtor)
        assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    finally:
        await runtime.close()
    [request] = fake.requests
    assert "ContentSid" not in request
    assert request["Body"].startswith(render("flows/plan/rejected.txt", "it").strip()[:40])


def test_the_window_is_computed_from_the_last_inbound_message() -> None:
    assert not whatsapp_session_open(None, WEDNESDAY)
    assert whatsapp_session_open(WEDNESDAY - dt.timedelta(hours=23, minutes=59), WEDNESDAY)
    assert not whatsapp_session_open(WEDNESDAY - dt.timedelta(hours=24), WEDNESDAY)
