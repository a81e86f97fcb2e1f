"""A debtor whose case was handed off writes in the chat: the conversation does not step (no pay
link, plan or discount on the company's behalf any more), the debtor is told the case is with an
external agent, staff get the text; STOP still opts out."""

from __future__ import annotations

from bot.models import Channel, ContactPoint, Debtor, Message, MessageStatus
from bot.outbox import STAFF
from bot.runtime import Runtime
from bot.texts import render
from tests.conversations.test_statement import telegram_debtor
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.support.telegram_chat import NOW, TelegramDebtor


async def handed_off() -> Debtor:
    debtor = await telegram_debtor()
    debtor.outsourced_at, debtor.outsourced_by = NOW, "staff:1"
    await debtor.save()
    return debtor


async def test_the_debtor_is_told_and_staff_get_the_text(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await handed_off()
    chat = TelegramDebtor(app_url, fake)
    [answer] = await chat.say("Posso pagare a rate?")
    assert answer == (
        f"Gentile {debtor.name}, la sua posizione con {runtime.settings.company_name} è stata "
        "affidata per il recupero a un incaricato esterno, che la contatterà. Abbiamo inoltrato "
        "il suo messaggio al nostro ufficio crediti. I pagamenti che effettuerà saranno comunque "
        "registrati."
    )
    assert chat.last_buttons() == []  # nothing offered: no plan, no pay link, no discount
    alert = await Message.get(audience=STAFF)
    assert alert.status is MessageStatus.PENDING and alert.template == "staff/outsourced_wrote.txt"
    assert render(alert.template, "it", **alert.context) == (
        "💬 Rossi Impianti S.r.l. (C-S, pratica affidata per il recupero) scrive su telegram:\n"
        "Posso pagare a rate?\n"
        "Gli abbiamo risposto che la pratica è seguita dall'incaricato esterno e che il messaggio "
        "è stato inoltrato a voi."
    )
    inbound = await Message.get(direction="in")
    assert inbound.status is MessageStatus.HANDLED


async def test_stop_still_opts_out(app_url: str, fake: FakeTelegram) -> None:
    debtor = await handed_off()
    chat = TelegramDebtor(app_url, fake)
    await chat.say("STOP")
    point = await ContactPoint.get(debtor=debtor, channel=Channel.TELEGRAM)
    assert point.opted_out_at is not None
