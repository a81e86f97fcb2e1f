"""Conversations end to end: the flow engine wired to the database, channels and staff chat."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_for_hypothesis
from hypothesis import strategies as st

from bot.channels.base import Option
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.conversations import apply, exchange
from bot.conversations.engine import close_idle_conversations, handle_message
from bot.conversations.notify import notify_debtor
from bot.conversations.replies import Reply, reply
from bot.conversations.store import get_state, set_state
from bot.decisions.plans import counter_plan
from bot.flows.states import after_reminder, initial_state
from bot.inbound import InboundEvent
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Conversation,
    Debtor,
    Direction,
    DiscountRequest,
    Dispute,
    DisputeReason,
    Instalment,
    Invoice,
    InvoiceStatus,
    Message,
    PayLink,
    Payment,
    PaymentAllocation,
    PaymentClaim,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    RequestStatus,
    StaffMember,
)
from bot.outbox import STAFF, queue_message
from bot.policy import load_policy
from bot.providers.twilio.segments import count_segments, gsm_text
from bot.receive import receive
from bot.runtime import Runtime
from bot.staff_reports import debtor_history
from bot.texts import render
from scheduler.dispatch import Dispatcher
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import (
    STAFF_CHAT,
)
from tests.providers.telegram.telegram_updates import photo_update
from tests.providers.twilio.twilio_app import (
    DEBTOR_PHONE,
    SMS_FROM,
    WHATSAPP_FROM,
    debtor_with,
    twilio_stack,
)
from tests.support.scheduler_data import FrozenClock, make_runtime
from tests.support.telegram_chat import CHAT, OTHER_CHAT, TelegramDebtor

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sandbox_runtime(settings: Settings, db: str) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders={channel: SandboxSender(channel) for channel in Channel},
        now=lambda: NOW,
    )
    yield runtime
    await runtime.close()


async def test_a_notice_by_sms_goes_in_its_sms_form(sandbox_runtime: Runtime) -> None:
    """A staff decision queued for a debtor who writes by SMS: the dispatcher sends the SMS form
    of the text (the plan's schedule on one line, within the budget), not the chat form."""
    debtor = await Debtor.create(external_ref="N2", name="Neri S.r.l.", language="it")
    await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331112223")
    schedule = [
        {"due_date": dt.date(2026, 11, 23) + dt.timedelta(days=30 * n), "amount_cents": 137_013}
        for n in range(6)
    ]
    approved = reply(
        "flows/plan/approved_by_staff.txt",
        "it",
        count=6,
        total_cents=822_078,
        currency="EUR",
        schedule=schedule,
        pay_url="https://sollecito.example/pay/abc",
    )
    await notify_debtor(sandbox_runtime, debtor, [approved])
    await Dispatcher(sandbox_runtime).drain()
    sms = sandbox_runtime.sender(Channel.SMS)
    assert isinstance(sms, SandboxSender)
    [sent] = [m.text for m in sms.sent]
    assert sent == approved.short_text != approved.text
    assert "6 rate per 8.220,78" in sent and sent.count("1.370,13") == 6
    assert "23/11/26" in sent and "https://sollecito.example/pay/abc" in sent
    assert count_segments(gsm_text(sent)).segments <= 2


async def test_notify_debtor_uses_the_channel_last_spoken_on(sandbox_runtime: Runtime) -> None:
    debtor = await Debtor.create(external_ref="N1", name="Neri S.r.l.", language="it")
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address="55", priority=0)
    await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331112222")

    # Not an answer to the debtor: queued in the outbox, sent by the dispatcher.
    await notify_debtor(sandbox_runtime, debtor, [Reply(text="uno")])
    await Dispatcher(sandbox_runtime).drain()
    telegram = sandbox_runtime.sender(Channel.TELEGRAM)
    assert isinstance(telegram, SandboxSender)
    assert [m.text for m in telegram.sent] == ["uno"]  # the preferred contact point

    await set_state(debtor, initial_state(), channel=Channel.SMS)
    await notify_debtor(sandbox_runtime, debtor, [Reply(text="due")])
    await Dispatcher(sandbox_runtime).drain()
    sms = sandbox_runtime.sender(Channel.SMS)
    assert isinstance(sms, SandboxSender)
    assert [(m.address, m.text) for m in sms.sent] == [("+393331112222", "due")]
    rows = await Message.filter(direction=Direction.OUTBOUND).order_by("id")
    assert [r.body for r in rows] == ["uno", "due"]


async def test_state_is_stored_per_debtor(sandbox_runtime: Runtime) -> None:
    debtor = await Debtor.create(external_ref="N2", name="Verdi", language="en")
    assert (await get_state(debtor))["flow"] == initial_state()["flow"]
    state = {**initial_state(), "flow": "promise", "stage": "ask_date"}
    await set_state(debtor, state)
    assert await get_state(debtor) == state
    assert (await Conversation.get(debtor_id=debtor.id)).flow == "promise"


# --- through the fake Telegram --------------------------------------------------------------


async def debtor_with_invoices(
    amounts: tuple[int, ...] = (123_456,), chat: int = CHAT, ref: str = "C042"
) -> Debtor:
    debtor = await Debtor.create(external_ref=ref, name=f"Rossi {ref} S.r.l.", language="it")
    for n, amount in enumerate(amounts):
        await Invoice.create(
            number=f"F-{ref}-{n}",
            debtor=debtor,
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1 + n),
            amount_cents=amount,
        )
    await ContactPoint.create(
        debtor=debtor, channel=Channel.TELEGRAM, address=str(chat), verified_at=NOW
    )
    return debtor


async def staff_rows(template: str) -> list[Message]:
    return await Message.filter(audience=STAFF, template=template).order_by("id")


async def test_pay_now_gets_a_pay_link(app_url: str, fake: FakeTelegram, runtime: Runtime) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    [text] = await chat.press("pay_now")
    assert "https://sollecito.example/pay/" in text
    link = await PayLink.get(debtor_id=debtor.id)
    assert link.purpose == "balance" and link.token in text
    assert await AuditEvent.filter(action="flow.pay_link").count() == 1
    conversation = await Conversation.get(debtor_id=debtor.id)
    assert conversation.channel is Channel.TELEGRAM


async def test_instalments_within_the_limit_are_approved_at_once(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    await chat.press("instalments")
    assert "plan_3" in chat.last_buttons()
    shown = await chat.press("plan_3")
    assert "411,52" in shown[-1] and "411,52" in shown[-1]  # 123456 / 3 = 41152 cents each
    assert set(chat.last_buttons()) >= {"yes", "no"}
    replies = await chat.press("yes")
    assert "/pay/" in replies[-1]  # the first instalment's link follows the schedule

    plan = await PaymentPlan.get(debtor_id=debtor.id)
    assert plan.status is PlanStatus.ACTIVE and plan.instalment_count == 3
    rows = await Instalment.filter(plan_id=plan.id).order_by("seq")
    assert [r.amount_cents for r in rows] == [41152, 41152, 41152]
    assert sum(r.amount_cents for r in rows) == plan.total_cents == 123_456
    invoice = await Invoice.get(debtor_id=debtor.id)
    assert invoice.status is InvoiceStatus.IN_PLAN
    link = await PayLink.get(purpose="instalment")
    assert link.instalment_id == rows[0].id  # type: ignore[attr-defined]
    assert await staff_rows(exchange.PLAN_REQUEST) == []


async def test_a_plan_above_the_limit_goes_to_staff_with_three_buttons(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices((500_000,))
    chat = TelegramDebtor(app_url, fake)
    await chat.say("rate")
    await chat.press("plan_6")
    await chat.press("yes")

    plan = await PaymentPlan.get(debtor_id=debtor.id)
    assert plan.status is PlanStatus.PENDING_APPROVAL
    assert await Instalment.filter(plan_id=plan.id).count() == 6
    [card] = await staff_rows(exchange.PLAN_REQUEST)
    assert [o["key"] for o in card.options] == [
        f"plan:approve:{plan.id}",
        f"plan:reject:{plan.id}",
        f"plan:counter:{plan.id}",
    ]
    assert card.debtor_id == debtor.id  # type: ignore[attr-defined]
    assert card.context["exposure_cents"] == 500_000
    assert card.context["broken_promises"] == 0 and card.context["past_plans"] == 0
    text = render(card.template, "en", **card.context)
    assert "Rossi C042" in text and "History" in text
    assert (await Invoice.get(debtor_id=debtor.id)).status is InvoiceStatus.OPEN

    # The dispatcher puts the card in the staff chat with the three buttons.
    await Dispatcher(runtime).drain()
    [sent] = [c for c in fake.calls_to("sendMessage") if c.params["chat_id"] == str(STAFF_CHAT)]
    assert "Rossi C042" in sent.params["text"] and "5.000,00" in sent.params["text"]
    markup = sent.params["reply_markup"]
    keyboard = json.loads(markup) if isinstance(markup, str) else markup
    pressed = [b["callback_data"] for row in keyboard["inline_keyboard"] for b in row]
    assert pressed == [o["key"] for o in card.options]


async def test_a_typed_promise_is_confirmed_and_recorded(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    await chat.press("promise")
    confirm = await chat.say("15/12")
    assert "15 dicembre 2026" in confirm[-1]
    await chat.press("yes")
    promise = await PromiseToPay.get(debtor_id=debtor.id)
    assert promise.promised_date == dt.date(2026, 12, 15)
    assert promise.status is PromiseStatus.PENDING


async def test_already_paid_makes_a_claim_and_pauses_the_chase(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    await chat.press("already_paid")
    await chat.press("paid_yesterday")
    await chat._post(photo_update(next(chat.ids), CHAT, caption="ricevuta"))

    claim = await PaymentClaim.get(debtor_id=debtor.id)
    assert claim.paid_on == dt.date(2026, 11, 22) and claim.attachments[0]["kind"] == "photo"
    await debtor.refresh_from_db()
    pause = runtime.policy.already_paid.pause_days
    assert debtor.paused_until == NOW + dt.timedelta(days=pause)
    [alert] = await staff_rows(exchange.PAYMENT_CLAIM)
    assert [o["key"] for o in alert.options] == [
        f"claim:confirm:{claim.id}",
        f"claim:notfound:{claim.id}",
    ]
    assert alert.context["attachments"][0]["kind"] == "photo"


async def test_a_dispute_takes_the_invoice_out_of_the_chase(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices((10_000, 20_000))
    chat = TelegramDebtor(app_url, fake)
    await chat.press("dispute")
    await chat.press("dispute_wrong_amount")
    await chat.press("invoice:F-C042-1")
    await chat.say("L'importo concordato era 150 euro")

    dispute = await Dispute.get(debtor_id=debtor.id).prefetch_related("invoice")
    assert dispute.reason is DisputeReason.WRONG_AMOUNT and dispute.invoice.number == "F-C042-1"
    statuses = {i.number: i.status for i in await Invoice.filter(debtor_id=debtor.id)}
    assert statuses == {"F-C042-0": InvoiceStatus.OPEN, "F-C042-1": InvoiceStatus.DISPUTED}
    [alert] = await staff_rows(exchange.DISPUTE_OPENED)
    assert [o["key"] for o in alert.options] == [
        f"dispute:resolve:{dispute.id}",
        f"dispute:cancel_invoice:{dispute.id}",
        f"dispute:resume:{dispute.id}",
    ]


async def test_talk_to_a_person_hands_off_and_relays(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    await chat.press("talk_to_person")
    assert (await Conversation.get(debtor_id=debtor.id)).flow == "handoff"
    assert len(await staff_rows(exchange.HANDOFF)) == 1
    await chat.say("Posso pagare a gennaio?")
    [relayed] = await staff_rows(exchange.RELAY)
    assert relayed.context["text"] == "Posso pagare a gennaio?"
    assert relayed.debtor_id == debtor.id  # type: ignore[attr-defined]


async def test_stop_opts_out_and_tells_staff_when_nothing_is_left(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    # Written in a sentence, "stop" is asked about (the whole word alone is the STOP keyword).
    await chat.say("per favore stop")
    done = await chat.press("yes")
    assert done == [render("flows/stop/done.txt", "it").strip()]
    point = await ContactPoint.get(debtor_id=debtor.id)
    assert point.opted_out_at == NOW
    assert len(await staff_rows(exchange.OPTED_OUT_EVERYWHERE)) == 1


async def test_nonsense_gets_help_and_a_failure_gets_an_apology(
    app_url: str, fake: FakeTelegram, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    debtor = await debtor_with_invoices()
    chat = TelegramDebtor(app_url, fake)
    [help_text] = await chat.say("🙂 ‏שלום")
    assert help_text == render("flows/help.txt", "it").strip()
    before = await get_state(debtor)

    async def broken(*args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(apply, "_pay_link", broken)
    [sorry] = await chat.press("pay_now")
    assert sorry == render("flows/sorry.txt", "it").strip()
    assert await get_state(debtor) == before  # nothing half-applied
    assert await PayLink.all().count() == 0
    # The apology promises "un nostro collega la ricontatterà": staff are told at once.
    assert "ricontatterà" in sorry
    [alert] = await staff_rows("staff/conversation_failed.txt")
    assert alert.context["debtor_id"] == debtor.id


# --- through signed Twilio webhooks ---------------------------------------------------------


async def test_sms_numbered_answers_and_the_conversation_goes_on_in_telegram(
    settings: Settings, db: str
) -> None:
    point = await debtor_with(Channel.SMS)
    debtor = point.debtor
    await Invoice.create(
        number="F-SMS-1",
        debtor=debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=90_000,
    )
    async with twilio_stack(settings) as stack:
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "menu"))
        menu_text = stack.fake.requests[-1]["Body"]
        assert "1" in menu_text and "2" in menu_text  # numbered options on SMS
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "1"))
        assert "/pay/" in stack.fake.requests[-1]["Body"]  # 1 = pay now
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "2"))
    assert (await Conversation.get(debtor_id=debtor.id)).channel is Channel.SMS
    assert (await get_state(debtor))["flow"] == "plan"  # 2 = instalments

    # The same debtor links Telegram and answers the SMS's question there.
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address=str(CHAT))
    telegram_runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders={channel: SandboxSender(channel) for channel in Channel},
        now=lambda: NOW,
    )
    event = InboundEvent(
        channel=Channel.TELEGRAM,
        address=str(CHAT),
        provider_event_id="tg-1",
        chosen_option="plan_2",
    )
    received = await receive(telegram_runtime, event)
    assert received is not None
    assert (await get_state(debtor))["stage"] == "confirm"
    assert "450,00" in received.replies[0].text
    assert (await Conversation.get(debtor_id=debtor.id)).channel is Channel.TELEGRAM


async def test_whatsapp_pay_now_by_its_word(settings: Settings, db: str) -> None:
    point = await debtor_with(Channel.WHATSAPP, language="en")
    await Invoice.create(
        number="F-WA-1",
        debtor=point.debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=25_000,
    )
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}", f"whatsapp:{WHATSAPP_FROM}", "PAY NOW"
        )
        await stack.inbound(params)
        body = stack.fake.requests[-1]["Body"]
    assert "/pay/" in body
    assert await PayLink.filter(debtor_id=point.debtor.id, purpose="balance").count() == 1


# --- many inputs through the engine and the database ------------------------------------------

texts = st.one_of(
    st.sampled_from(["", "1", "2", "9", "0", "99", "sì", "NO", "menu", "15/12", "stop"]),
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=10),
    st.just("ש" * 40 + "🙂" * 20),
    st.just("x" * 4000),
)
buttons = st.sampled_from(
    [
        "",
        "pay_now",
        "instalments",
        "plan_3",
        "plan_99",
        "yes",
        "no",
        "back",
        "promise",
        "already_paid",
        "dispute",
        "invoice:F-OTHER-0",
        "talk_to_person",
        "discount",
        "skip",
        "paid_today",
        "plan:approve:1",
        "x" * 64,
    ]
)


@settings_for_hypothesis(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inputs=st.lists(st.tuples(buttons, texts), min_size=1, max_size=4))
async def test_every_input_gets_a_reply_and_no_other_debtors_data(
    sandbox_runtime: Runtime, inputs: list[tuple[str, str]]
) -> None:
    debtor = await Debtor.get_or_none(external_ref="H1")
    if debtor is None:
        debtor = await debtor_with_invoices((77_700,), chat=1, ref="H1")
        await debtor_with_invoices((31_400,), chat=2, ref="OTHER")
    for option, text in inputs:
        # Not saved: PostgreSQL refuses NUL in text, and the engine must cope with any text.
        message = Message(
            debtor=debtor,
            direction=Direction.INBOUND,
            channel=Channel.TELEGRAM,
            body=text,
            chosen_option=option,
        )
        replies = await handle_message(sandbox_runtime, debtor, message)
        assert replies
        for answer in replies:
            assert answer.text.strip()
            assert "F-OTHER" not in answer.text and "314,00" not in answer.text
            assert "Traceback" not in answer.text
            assert answer.template != "flows/sorry.txt"  # no exception inside the engine


# --- after a reminder -----------------------------------------------------------------------


async def test_one_means_the_first_option_of_the_reminder_the_debtor_saw(
    sandbox_runtime: Runtime,
) -> None:
    debtor = await debtor_with_invoices((120_000,), chat=CHAT, ref="R1")
    options = (Option("instalments", "Rate"), Option("pay_now", "Paga ora"))
    await queue_message(
        debtor=debtor,
        template="flows/help.txt",
        context={},
        scheduled_at=NOW,
        options=options,
        step="overdue_1",
    )
    await Dispatcher(sandbox_runtime).drain()
    state = await get_state(debtor)
    assert state["reminder_step"] == "overdue_1"
    assert state["menu_order"] == ["instalments", "pay_now"]

    received = await receive(
        sandbox_runtime,
        InboundEvent(channel=Channel.TELEGRAM, address=str(CHAT), provider_event_id="r1", text="1"),
    )
    assert received is not None
    assert (await get_state(debtor))["flow"] == "plan"  # 1 was "Rate" in that reminder


async def test_a_reminder_leaves_a_hand_off_with_the_person(sandbox_runtime: Runtime) -> None:
    debtor = await debtor_with_invoices((120_000,), chat=CHAT, ref="R2")
    handoff = {**initial_state(), "flow": "handoff", "stage": "relay"}
    await set_state(debtor, handoff)
    await queue_message(
        debtor=debtor,
        template="flows/help.txt",
        context={},
        scheduled_at=NOW,
        options=(Option("pay_now", "Paga ora"),),
        step="overdue_1",
    )
    await Dispatcher(sandbox_runtime).drain()
    assert (await get_state(debtor))["flow"] == "handoff"


# --- the clock closes what was left mid-way ----------------------------------------------------


async def test_a_conversation_left_mid_way_is_closed_politely(settings: Settings, db: str) -> None:
    clock = FrozenClock(NOW - dt.timedelta(hours=settings.conversation_timeout_hours + 1))
    sandbox_runtime = make_runtime(
        settings, clock, {channel: SandboxSender(channel) for channel in Channel}
    )
    debtor = await debtor_with_invoices((50_000,), chat=CHAT, ref="I1")
    waiting = await debtor_with_invoices((50_000,), chat=OTHER_CHAT, ref="I2")
    # The conversation's row is stamped by the runtime's clock: left mid-way hours ago...
    await set_state(
        debtor,
        {"flow": "promise", "stage": "choose", "data": {}, "updated_at": clock.now.isoformat()},
    )
    clock.now = NOW  # ...while the other debtor is answering right now.
    await set_state(
        waiting, {"flow": "promise", "stage": "choose", "data": {}, "updated_at": NOW.isoformat()}
    )
    stamps = await Conversation.all().order_by("id").values_list("updated_at", flat=True)
    assert stamps == [NOW - dt.timedelta(hours=settings.conversation_timeout_hours + 1), NOW]

    assert await close_idle_conversations(sandbox_runtime) == [debtor.id]
    assert (await get_state(debtor))["flow"] == "menu"
    assert (await get_state(waiting))["flow"] == "promise"  # active within the timeout
    await Dispatcher(sandbox_runtime).drain()
    telegram = sandbox_runtime.sender(Channel.TELEGRAM)
    assert isinstance(telegram, SandboxSender)
    assert [m.text for m in telegram.sent] == [render("flows/closed.txt", "it").strip()]
    assert await close_idle_conversations(sandbox_runtime) == []  # at the menu: nothing to close


# --- answers to staff, and offers that need staff ---------------------------------------------


async def _plan_countered_by_staff(runtime: Runtime, chat: TelegramDebtor) -> PaymentPlan:
    await chat.press("instalments")
    await chat.press("plan_6")
    await chat.press("yes")
    plan = await PaymentPlan.get(status=PlanStatus.PENDING_APPROVAL)
    staff = await StaffMember.create(
        telegram_user_id=77, name="Anna", approval_limit_cents=10_000_000
    )
    await counter_plan(runtime, plan, staff, count=3)
    await Dispatcher(runtime).drain()  # the counter-offer is a proactive message
    return plan


async def test_the_debtor_accepts_a_counter_offer(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    await debtor_with_invoices((500_000,))
    chat = TelegramDebtor(app_url, fake)
    plan = await _plan_countered_by_staff(runtime, chat)
    assert set(chat.last_buttons()) >= {"yes", "no"}  # the counter-offer reached the debtor
    replies = await chat.press("yes")
    assert "/pay/" in replies[-1]
    await plan.refresh_from_db()
    assert plan.status is PlanStatus.ACTIVE and plan.instalment_count == 3
    rows = await Instalment.filter(plan_id=plan.id)
    assert sum(r.amount_cents for r in rows) == 500_000 and len(rows) == 3


async def test_the_debtor_declines_a_counter_offer(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    await debtor_with_invoices((500_000,))
    chat = TelegramDebtor(app_url, fake)
    plan = await _plan_countered_by_staff(runtime, chat)
    await chat.press("no")
    await plan.refresh_from_db()
    assert plan.status is PlanStatus.DECLINED
    [alert] = await staff_rows(exchange.COUNTER_DECLINED)
    assert alert.context["plan_id"] == plan.id


async def test_a_discount_above_the_threshold_waits_for_staff(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await debtor_with_invoices((600_000,))
    await set_state(debtor, after_reminder("courtesy", NOW, ["discount", "pay_now"]))
    chat = TelegramDebtor(app_url, fake)
    await chat.say("1")
    await chat.press("accept")
    request = await DiscountRequest.get(debtor_id=debtor.id)
    assert request.status is RequestStatus.PENDING and request.balance_cents == 600_000
    assert request.amount_cents < 600_000
    [alert] = await staff_rows(exchange.DISCOUNT_REQUEST)
    assert [o["key"] for o in alert.options] == [
        f"discount:approve:{request.id}",
        f"discount:reject:{request.id}",
    ]
    assert await PayLink.all().count() == 0  # no link before staff decide


async def test_the_plan_card_history_counts_lateness_promises_and_plans(db: str) -> None:
    debtor = await Debtor.create(external_ref="HX", name="Storico S.r.l.", language="it")
    for n, (due, paid) in enumerate(
        [(dt.date(2026, 6, 1), dt.date(2026, 6, 11)), (dt.date(2026, 7, 1), dt.date(2026, 6, 25))]
    ):
        invoice = await Invoice.create(
            number=f"F-HX-{n}",
            debtor=debtor,
            issue_date=dt.date(2026, 5, 1),
            due_date=due,
            amount_cents=10_000,
            paid_cents=10_000,
            status=InvoiceStatus.PAID,
        )
        payment = await Payment.create(
            debtor=debtor,
            amount_cents=10_000,
            method=PaymentMethod.BANK_TRANSFER,
            received_at=dt.datetime.combine(paid, dt.time(9), dt.UTC),
        )
        await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=10_000)
    await Invoice.create(
        number="F-HX-open",
        debtor=debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=70_000,
    )
    await PromiseToPay.create(
        debtor=debtor, promised_date=dt.date(2026, 8, 1), status=PromiseStatus.BROKEN
    )
    await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.COMPLETED,
        total_cents=5_000,
        instalment_count=2,
        first_due_date=dt.date(2026, 3, 1),
    )
    history = await debtor_history(debtor)
    assert history == {
        "exposure_cents": 70_000,
        "paid_invoices": 2,
        "average_days_late": 5,  # 10 days late and 0 (paid early): on average 5
        "broken_promises": 1,
        "past_plans": 1,
    }
