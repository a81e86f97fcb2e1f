"""Sentences in the debtor's own words, through the real inbound path on Telegram, WhatsApp and SMS.

Every intent the understanding step knows is typed as a person would, on each channel, and the
answer is checked where it lands: the outbound row's template, the rows the effects wrote (a
promise, a claim, a dispute, an opt-out, a staff alert) and, as much, the rows that must not be
there. The clock is stopped at NOW (Monday 23 November 2026).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.config import Settings
from bot.models import (
    Channel,
    ContactPoint,
    Direction,
    Dispute,
    Invoice,
    Message,
    PaymentClaim,
    PromiseToPay,
)
from bot.outbox import STAFF
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.twilio.twilio_app import (
    DEBTOR_PHONE,
    SMS_FROM,
    WHATSAPP_FROM,
    debtor_with,
    twilio_stack,
)
from tests.support.telegram_chat import CHAT, NOW, TelegramDebtor

Send = Callable[[list[str]], Awaitable[None]]


async def debtor_on(channel: Channel, language: str = "it") -> ContactPoint:
    address = str(CHAT) if channel is Channel.TELEGRAM else DEBTOR_PHONE
    point = await debtor_with(channel, address=address, language=language)
    if channel is Channel.TELEGRAM:
        point.verified_at = NOW
        await point.save()
    await Invoice.create(
        number="F-W-1",
        debtor=point.debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=90_000,
    )
    return point


async def replies() -> list[Message]:
    return await Message.filter(direction=Direction.OUTBOUND).exclude(audience=STAFF).order_by("id")


async def staff_alerts(template: str) -> int:
    return await Message.filter(audience=STAFF, template=template).count()


# (what the debtor types, the template of the last answer)
SCENARIOS = {
    "pay_now": (["pago adesso"], "flows/pay/link.txt"),
    "bank_details": (["mandatemi l'IBAN per favore"], "flows/bank/"),
    "discount": (["c'è uno sconto se pago subito?"], "flows/discount/"),
    "instalments": (["possiamo fare in 3 rate?"], "flows/plan/confirm.txt"),
    "promise": (["pago il 27 quando prendo lo stipendio", "sì"], "flows/promise/recorded.txt"),
    "already_paid": (["abbiamo pagato il 20 novembre"], "flows/already_paid/ask_receipt.txt"),
    "dispute": (
        ["contesto la fattura, l'importo è sbagliato"],
        "flows/dispute/ask_description.txt",
    ),
    "talk_to_person": (["voglio parlare con qualcuno"], "flows/handoff/started.txt"),
    "stop": (["basta messaggi"], "flows/stop/confirm.txt"),
    "wrong_person": (["numero sbagliato"], "flows/words/wrong_person.txt"),
    "who_are_you": (["scusi, chi siete?"], "flows/words/who.txt"),
    "greeting": (["buongiorno"], "flows/words/who.txt"),
    "thanks": (["grazie mille"], "flows/words/thanks.txt"),
    "abuse": (["siete dei ladri"], "flows/words/calm.txt"),
    "statement": (["quanto devo?"], "flows/statement/text.txt"),
    "cannot_pay": (["non posso pagare adesso"], "flows/words/cannot_pay.txt"),
    "mixed": (["basta messaggi, pago venerdì"], "flows/words/ask.txt"),
    "other": (["asdfgh"], "flows/help.txt"),
}


async def check_effects(intent: str, point: ContactPoint) -> None:
    """The rows each intent's answer must (and must not) leave behind."""
    await point.refresh_from_db()
    promises = await PromiseToPay.all()
    if intent == "promise":
        assert [p.promised_date for p in promises] == [dt.date(2026, 11, 27)]
    else:
        assert promises == []
    assert (point.opted_out_at is not None) == (intent == "wrong_person")
    assert await PaymentClaim.all().count() == 0  # the claim waits for the receipt question
    assert await Dispute.all().count() == 0  # the dispute waits for its description
    if intent in ("abuse", "wrong_person"):
        assert await staff_alerts("staff/words.txt") == 1
    if intent == "abuse":
        assert "/pay/" not in (await replies())[-1].body  # never a payment push


async def converse(
    channel: Channel, settings: Settings, texts: list[str], telegram: TelegramDebtor | None
) -> None:
    if telegram is not None:
        for text in texts:
            assert await telegram.say(text)
        return
    sender = f"whatsapp:{DEBTOR_PHONE}" if channel is Channel.WHATSAPP else DEBTOR_PHONE
    ours = f"whatsapp:{WHATSAPP_FROM}" if channel is Channel.WHATSAPP else SMS_FROM
    async with twilio_stack(settings, now=NOW) as stack:
        for text in texts:
            response = await stack.inbound(stack.fake.inbound_params(sender, ours, text))
            assert response.status_code == 200


@pytest.mark.parametrize("intent", sorted(SCENARIOS))
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
async def test_words_on_twilio(intent: str, channel: Channel, settings: Settings, db: str) -> None:
    point = await debtor_on(channel)
    texts, template = SCENARIOS[intent]
    await converse(channel, settings, texts, None)
    answers = await replies()
    assert any(answer.template.startswith(template) for answer in answers)
    assert all(answer.channel is channel for answer in answers)
    await check_effects(intent, point)


@pytest.mark.parametrize("intent", sorted(SCENARIOS))
async def test_words_on_telegram(
    intent: str,
    settings: Settings,
    app_url: str,
    fake: FakeTelegram,
) -> None:
    point = await debtor_on(Channel.TELEGRAM)
    texts, template = SCENARIOS[intent]
    await converse(Channel.TELEGRAM, settings, texts, TelegramDebtor(app_url, fake))
    answers = await replies()
    assert any(answer.template.startswith(template) for answer in answers)
    await check_effects(intent, point)


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
async def test_the_reply_follows_the_language_written_in(
    channel: Channel, settings: Settings, db: str
) -> None:
    await debtor_on(channel, language="it")
    await converse(channel, settings, ["Hello, I want to pay now by card"], None)
    [answer] = await replies()
    assert answer.body.startswith("Here is the link to pay")
    await converse(channel, settings, ["grazie, pago adesso"], None)
    assert (await replies())[-1].body.startswith("Ecco il link")


async def test_a_past_payment_date_is_never_a_promise_on_telegram(
    settings: Settings,
    app_url: str,
    fake: FakeTelegram,
) -> None:
    await debtor_on(Channel.TELEGRAM)
    debtor = TelegramDebtor(app_url, fake)
    await debtor.say("abbiamo pagato il 28 ottobre")
    await debtor.say("no")  # no receipt
    [claim] = await PaymentClaim.all()
    assert claim.paid_on == dt.date(2026, 10, 28)
    assert await PromiseToPay.all().count() == 0
