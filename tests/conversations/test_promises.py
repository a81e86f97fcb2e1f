"""Issue 14, item 3: a promise a reply makes, the product keeps. Each promise is made through the
real inbound path on Telegram, then the real cadence and outbox run day by day on the company's
calendar, and what reaches the debtor is read against what the reply said.

Audited promises (templates/*/flows, decisions, payments, optout, replies) and where each is kept:
- promise/recorded "non le invieremo solleciti per questo importo" until the date: here.
- already_paid/recorded "per N giorni non le invieremo solleciti": here.
- plan/sent_to_staff "nel frattempo non le invieremo solleciti": here and
  tests/decisions/test_claims.py.
- dispute/opened "sospendiamo i solleciti per questa fattura e un collega la ricontatterà": here.
- sorry.txt "un nostro collega la ricontatterà": staff/conversation_failed.txt
  (tests/test_conversations.py, tests/flows/test_flow_states.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.models import (
    Channel,
    Debtor,
    Dispute,
    Invoice,
    Message,
    MessageStatus,
    PaymentPlan,
    PlanStatus,
    PromiseToPay,
)
from bot.outbox import STAFF
from bot.policy import load_policy
from bot.runtime import Runtime
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.twilio.twilio_app import debtor_with
from tests.support.scheduler_data import FrozenClock, ScriptedSender, senders
from tests.support.telegram_chat import CHAT, NOW, TelegramDebtor

Days = Callable[[int], Awaitable[list[str]]]


async def telegram_debtor(*amounts: int) -> Debtor:
    """A debtor linked on Telegram with invoices 53 days late (due 1 October 2026)."""
    point = await debtor_with(Channel.TELEGRAM, address=str(CHAT))
    point.verified_at = NOW
    await point.save()
    for n, cents in enumerate(amounts or (90_000,), start=1):
        await Invoice.create(
            number=f"F-P-{n}",
            debtor=point.debtor,
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            amount_cents=cents,
        )
    return point.debtor


def cadence_days(settings: Settings) -> tuple[Days, dict[Channel, ScriptedSender]]:
    """Run planning and the outbox once a day at 10:00 Rome, from NOW; the reminders sent."""
    out = senders()
    clock = FrozenClock(NOW)

    async def run(days: int) -> list[str]:
        sent: list[str] = []
        for _ in range(days):
            runtime = Runtime(
                settings=settings,
                policy=load_policy(settings.policy_file),
                senders=dict(out),  # type: ignore[arg-type]
                now=clock,
            )
            await plan(runtime)
            before = len(out[Channel.TELEGRAM].sent)
            await Dispatcher(runtime).drain()
            sent += [m.template for m in out[Channel.TELEGRAM].sent[before:]]
            clock.advance(days=1)
        return sent

    return run, out


async def reminders_sent(debtor: Debtor) -> list[Message]:
    return await Message.filter(
        debtor_id=debtor.id, status=MessageStatus.SENT, audience="debtor"
    ).exclude(step="")


async def test_a_promise_to_pay_stops_reminders_until_its_date(
    app_url: str, fake: FakeTelegram, runtime: Runtime, settings: Settings
) -> None:
    debtor = await telegram_debtor()
    chat = TelegramDebtor(app_url, fake)
    await chat.say("pago il 27 quando prendo lo stipendio")
    [told] = await chat.press("yes")
    assert "Fino ad allora non le invieremo solleciti" in told
    [promise] = await PromiseToPay.all()
    assert promise.promised_date == dt.date(2026, 11, 27)
    run, _ = cadence_days(settings)
    assert await run(5) == []  # 23 to 27 November: nothing
    assert await reminders_sent(debtor) == []
    # The 28th, a Saturday: the promise was not kept; the reminder goes on Monday the 30th.
    assert await run(3) == ["overdue_1"]


async def test_already_paid_stops_reminders_for_the_days_it_says(
    app_url: str, fake: FakeTelegram, runtime: Runtime, settings: Settings
) -> None:
    debtor = await telegram_debtor()
    chat = TelegramDebtor(app_url, fake)
    await chat.say("abbiamo pagato il 20 novembre")
    [told] = await chat.press("skip")
    days = runtime.policy.already_paid.pause_days
    assert f"Per {days} giorni non le invieremo solleciti" in told
    run, _ = cadence_days(settings)
    assert await run(days) == []
    assert await reminders_sent(debtor) == []
    assert await run(3) == ["overdue_1"]  # the pause is over (a weekend may come first)


async def test_a_plan_waiting_for_staff_stops_reminders(
    app_url: str, fake: FakeTelegram, runtime: Runtime, settings: Settings
) -> None:
    debtor = await telegram_debtor(200_000, 250_000)  # 4.500 €: above the staff threshold
    chat = TelegramDebtor(app_url, fake)
    await chat.say("possiamo fare in 3 rate?")
    told = await chat.press("yes")
    assert any("Nel frattempo non le invieremo solleciti" in text for text in told)
    [request] = await PaymentPlan.all()
    assert request.status == PlanStatus.PENDING_APPROVAL
    run, _ = cadence_days(settings)
    assert await run(30) == []  # a month without a decision: still nothing
    assert await reminders_sent(debtor) == []
    request.status = PlanStatus.REJECTED  # staff say no: chasing resumes
    await request.save()
    assert await run(3) == ["overdue_1"]


async def test_a_dispute_stops_reminders_for_its_invoice_and_tells_staff(
    app_url: str, fake: FakeTelegram, runtime: Runtime, settings: Settings
) -> None:
    debtor = await telegram_debtor()
    chat = TelegramDebtor(app_url, fake)
    await chat.say("contesto la fattura, l'importo è sbagliato")
    [told] = await chat.press("no_details")
    assert "Sospendiamo i solleciti" in told and "ricontatterà" in told
    assert await Dispute.all().count() == 1
    alerts = await Message.filter(audience=STAFF, template="staff/dispute_opened.txt").count()
    assert alerts == 1  # the colleague who will get back to them knows
    run, _ = cadence_days(settings)
    assert await run(20) == []
    assert await reminders_sent(debtor) == []
