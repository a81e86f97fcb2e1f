"""Issue 14, items 6, 9 and 12: every reminder carries the way to answer (the chat links the policy
enables, next to the pay link), the pay page offers them, e-mails invite no e-mail reply, formal
wording only in the formal channel, and a first contact on a new number says who writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.answers import first_contacts, whatsapp_chat_url
from bot.config import Settings
from bot.demo import demo_settings
from bot.linking import TOKEN_CHARS, verified_nonce
from bot.models import Channel, ContactPoint, LinkToken, Message
from bot.payments.links import make_pay_link
from bot.policy import Policy, load_policy
from bot.runtime import Runtime
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.support.payment_data import make_runtime as make_pay_runtime
from tests.support.payment_data import pay_client, token_of
from tests.support.scheduler_data import (
    FrozenClock,
    ScriptedSender,
    add_contact,
    make_debtor,
    make_invoice,
    make_runtime,
    senders,
    sent_reminders,
)

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)

BOT = "FornitureBianchiBot"
WHATSAPP_FROM = "+390212345678"
PHONE = "+39 02 1234 5678"


def answering(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_username": BOT,
            "twilio_whatsapp_from": WHATSAPP_FROM,
            "company_phone": PHONE,
            "company_name": "Forniture Bianchi S.r.l.",
        }
    )


def with_policy(runtime: Runtime, **contact: object) -> Runtime:
    policy: Policy = runtime.policy
    changed = policy.model_copy(update={"contact": policy.contact.model_copy(update=contact)})
    return Runtime(
        settings=runtime.settings, policy=changed, senders=runtime.senders, now=runtime.now
    )


async def remind(
    settings: Settings,
    channel: Channel,
    *,
    days: int = 8,
    known: bool = True,
    sent: tuple[str, ...] = (),
    **contact: object,
) -> tuple[ScriptedSender, Runtime]:
    """One debtor reachable on `channel` only, one reminder planned and sent (after the steps
    `sent`, which the message log holds as sent a week apart)."""
    out = senders()
    runtime = make_runtime(answering(settings), FrozenClock(NOW), out)  # type: ignore[arg-type]
    if contact:
        runtime = with_policy(runtime, **contact)
    debtor = await make_debtor("Rossi Costruzioni S.r.l.", channels=(channel,))
    if known:  # the number has written to us before: not a first contact
        await ContactPoint.filter(debtor_id=debtor.id).update(
            last_inbound_at=NOW - dt.timedelta(days=40)
        )
    invoice = await make_invoice(
        debtor, TODAY - dt.timedelta(days=days), 123_456, number=f"F-{debtor.id}"
    )
    if sent:
        await sent_reminders(debtor, invoice, sent, NOW - dt.timedelta(days=8))
    await plan(runtime)
    await Dispatcher(runtime).drain()
    return out[channel], runtime


async def test_an_sms_reminder_carries_the_pay_link_and_one_chat_link(
    db: str, settings: Settings
) -> None:
    sms, _ = await remind(settings, Channel.SMS)
    [message] = sms.sent
    first_line, *rest = message.text.split("\n")
    assert "Forniture Bianchi S.r.l." in first_line and "€" not in first_line  # no amount
    assert "/pay/" in message.text
    [chat] = [line for line in rest if line.startswith("Ci scriva: ")]
    url = chat.removeprefix("Ci scriva: ")
    assert url.startswith(f"https://t.me/{BOT}?start=")  # the policy's first link: Telegram
    token = url.rsplit("=", 1)[1]
    assert len(token) == TOKEN_CHARS
    assert verified_nonce(token, answering(settings).signing_key()) is not None
    assert await LinkToken.filter(used_at=None).count() == 1
    assert "wa.me" not in message.text  # one chat link: SMS segments cost money


async def test_the_policy_orders_and_switches_off_the_chat_links(
    db: str, settings: Settings
) -> None:
    sms, _ = await remind(settings, Channel.SMS, chat_links=("whatsapp", "telegram"))
    assert f"Ci scriva: {whatsapp_chat_url(WHATSAPP_FROM)}" in sms.sent[0].text
    assert not await LinkToken.exists()  # no Telegram token minted for a link not sent... yet
    sms, _ = await remind(settings, Channel.SMS, chat_links=())
    assert "Ci scriva" not in sms.sent[0].text and "t.me" not in sms.sent[0].text


async def test_an_email_reminder_points_to_the_chats_and_the_phone_not_to_a_reply(
    db: str, settings: Settings
) -> None:
    email, _ = await remind(settings, Channel.EMAIL)
    [message] = email.sent
    for part in (message.text, message.html):
        assert f"https://t.me/{BOT}?start=" in part
        assert "https://wa.me/390212345678" in part
        assert PHONE in part
        assert "rispondere a questa e-mail" not in part.lower()
        assert "risponda a questa e-mail" not in part.lower()


async def test_whatsapp_carries_telegram_and_telegram_carries_none(
    db: str, settings: Settings
) -> None:
    whatsapp, _ = await remind(settings, Channel.WHATSAPP)
    text = whatsapp.sent[0].text
    assert "Può rispondere a questo messaggio" in text and f"t.me/{BOT}" in text
    assert "wa.me" not in text
    tokens = await LinkToken.all().count()
    telegram, _ = await remind(settings, Channel.TELEGRAM)
    text = telegram.sent[0].text
    assert "t.me" not in text and "wa.me" not in text
    assert await LinkToken.all().count() == tokens  # nothing minted for a Telegram message


async def test_a_linked_telegram_chat_gets_the_bot_link_and_no_new_token(
    db: str, settings: Settings
) -> None:
    out = senders(telegram=ScriptedSender(Channel.TELEGRAM))
    runtime = make_runtime(answering(settings), FrozenClock(NOW), out)  # type: ignore[arg-type]
    # The channel order is the policy's (scheduler/routing.py): here overdue_1 goes by e-mail
    # first, so the e-mail is what carries the link to the chat.
    policy = runtime.policy
    steps = tuple(
        step.model_copy(update={"channels": (Channel.EMAIL, Channel.TELEGRAM)})
        if step.name == "overdue_1"
        else step
        for step in policy.steps
    )
    runtime = Runtime(
        settings=runtime.settings,
        policy=policy.model_copy(update={"steps": steps}),
        senders=runtime.senders,
        now=runtime.now,
    )
    debtor = await make_debtor("Rossi Costruzioni S.r.l.", channels=(Channel.EMAIL,))
    chat = await add_contact(debtor, Channel.TELEGRAM, priority=9)
    await ContactPoint.filter(id=chat.id).update(verified_at=NOW - dt.timedelta(days=3))
    await make_invoice(debtor, TODAY - dt.timedelta(days=8), 50_000)
    await plan(runtime)
    await Dispatcher(runtime).drain()
    [message] = out[Channel.EMAIL].sent
    assert f"https://t.me/{BOT}\n" in message.text and "?start=" not in message.text
    assert not await LinkToken.exists()


async def test_a_first_contact_says_who_writes_and_shows_no_amount(
    db: str, settings: Settings
) -> None:
    sms, _ = await remind(settings, Channel.SMS, known=False)
    [message] = sms.sent
    first_line = message.text.split("\n")[0]
    assert first_line.startswith("Forniture Bianchi S.r.l. per Rossi Costruzioni S.r.l.:")
    assert "€" not in message.text and "1.234,56" not in message.text
    assert "Numero sbagliato? Ce lo scriva." in message.text
    assert "?start=" not in message.text  # no personal link to a number nobody confirmed
    assert "https://wa.me/390212345678" in message.text
    # The next SMS to the same number is no longer a first contact.
    row = await Message.get(id=message.message_id)
    assert await first_contacts([await ContactPoint.get(id=row.contact_point_id)]) == set()  # type: ignore[attr-defined]


async def test_the_policy_can_switch_off_the_first_contact_wording(
    db: str, settings: Settings
) -> None:
    sms, _ = await remind(settings, Channel.SMS, known=False, first_contact_asks_for_person=False)
    assert "Numero sbagliato" not in sms.sent[0].text and "1.234,56 €" in sms.sent[0].text


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.TELEGRAM, Channel.WHATSAPP])
async def test_the_final_notice_in_a_chat_or_sms_is_a_courteous_note(
    db: str, settings: Settings, channel: Channel
) -> None:
    sent, _ = await remind(settings, channel, days=61)
    [message] = [m for m in sent.sent if m.address != "-100123"]
    lowered = message.text.lower()
    assert "diffid" not in lowered and "mora" not in lowered and "formal notice" not in lowered
    first_line = message.text.split("\n")[0]
    assert "€" not in first_line and "DIFFIDA" not in first_line


async def test_the_final_notice_by_email_keeps_its_formal_wording(
    db: str, settings: Settings
) -> None:
    earlier = ("overdue_1", "overdue_2", "overdue_3")  # a final notice follows three reminders
    email, runtime = await remind(settings, Channel.EMAIL, days=61, sent=earlier)
    assert email.sent == []  # a formal step waits for staff (docs/notice.md)
    from bot.decisions.notices import approve_notice
    from bot.models import FormalNotice, StaffMember

    staff = await StaffMember.create(telegram_user_id=9, name="Anna")
    await approve_notice(runtime, await FormalNotice.get(), staff)
    await Dispatcher(runtime).drain()
    [message] = email.sent
    assert "diffida" in message.subject.lower() and "costituzione in mora" in message.text
    assert message.attachments[0].mime_type == "application/pdf"


async def test_the_pay_page_offers_the_chat_links_the_phone_and_the_bank_details(
    db: str, settings: Settings
) -> None:
    configured = answering(settings).model_copy(update={"bank_iban": "IT60X0542811101000000123456"})
    debtor = await make_debtor("Rossi Costruzioni S.r.l.")
    invoice = await make_invoice(debtor, TODAY - dt.timedelta(days=10), 1000, number="F-1")
    url = await make_pay_link(configured, debtor, "balance", invoice_ids=[invoice.id])
    token = token_of(url)
    async with pay_client(make_pay_runtime(configured)) as client:
        page = await client.get(f"/pay/{token}")
        assert not await LinkToken.exists()  # a preview mints no Telegram link
        pressed = await client.post(f"/pay/{token}/telegram")
        other = "y" if token.endswith("x") else "x"  # a token may itself end in "x"
        forged = await client.post(f"/pay/{token[:-1]}{other}/telegram")
    text = page.text
    assert "Preferisce scriverci?" in text
    assert f'action="/pay/{token}/telegram"' in text
    assert 'href="https://wa.me/390212345678"' in text
    assert PHONE in text
    assert "IT60 X054" in text and 'class="qr"' in text  # the bank details and the EPC QR code
    assert "Inquadri il codice con l'app della sua banca" in text  # "Lei", never "tu"
    assert pressed.status_code == 303
    location = pressed.headers["location"]
    assert location.startswith(f"https://t.me/{BOT}?start=")
    assert verified_nonce(location.rsplit("=", 1)[1], configured.signing_key()) is not None
    assert forged.status_code == 404


def test_the_demo_sets_an_iban_and_the_ways_to_answer(settings: Settings) -> None:
    bare = settings.model_copy(
        update={"bank_iban": "", "telegram_bot_username": "", "twilio_whatsapp_from": ""}
    )
    demo = demo_settings(bare)
    assert demo.bank_iban and demo.telegram_bot_username and demo.twilio_whatsapp_from
    assert not demo.whatsapp_enabled and not demo.telegram_enabled  # still sandboxes
    policy = load_policy(Path(__file__).resolve().parents[2] / "policy.toml")
    assert policy.contact.chat_links == ("telegram", "whatsapp")
    assert policy.contact.first_contact_asks_for_person is True
