"""Telegram, end to end over HTTP on 127.0.0.1: our webhook (uvicorn) in front, python-telegram-bot
behind, talking to the fake Bot API server (tests/providers/telegram/fake_telegram.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.channels.base import Attachment, Option, OutgoingMessage, SendError, SendOutcome
from bot.config import ConfigError, Settings
from bot.linking import issue_token
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    Message,
    MessageStatus,
    ParkedEvent,
)
from bot.policy import load_policy
from bot.providers.telegram.polling import start_polling
from bot.providers.telegram.sender import TelegramSender, make_bot
from bot.providers.telegram.webhook import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    application_for,
    register_webhook,
)
from bot.reachability import mark_unreachable
from bot.runtime import Runtime, build_senders
from bot.texts import render
from bot.web import create_app
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_updates import (
    button_update,
    document_update,
    message_update,
    photo_update,
)
from tests.support.live_server import serve

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret_1"
LINKED_CHAT = 1001
STRANGER_CHAT = 2002
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram(TOKEN).start()
    yield server
    await server.stop()


@pytest.fixture
def tg_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": fake.base_url,
            "telegram_webhook_secret": SECRET,
            "company_name": "Forniture Bianchi S.p.A.",
        }
    )


@pytest.fixture
async def runtime(tg_settings: Settings, db: str) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        settings=tg_settings,
        policy=load_policy(tg_settings.policy_file),
        senders=build_senders(tg_settings),
        now=lambda: NOW,
    )
    yield runtime
    await runtime.close()


@pytest.fixture
async def app_url(runtime: Runtime) -> AsyncIterator[str]:
    async with serve(create_app(runtime)) as url:
        yield url


async def _post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(base_url=url) as client:
        return await client.post(WEBHOOK_PATH, json=update, headers=headers)


async def _debtor_with_invoice(chat_id: int | None = LINKED_CHAT) -> Debtor:
    debtor = await Debtor.create(external_ref="C042", name="Rossi Impianti S.r.l.", language="it")
    await Invoice.create(
        number="F-2026-0042",
        debtor=debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=123456,
    )
    if chat_id is not None:
        await ContactPoint.create(
            debtor=debtor, channel=Channel.TELEGRAM, address=str(chat_id), verified_at=NOW
        )
    return debtor


def _reveals_debtor_data(text: str) -> bool:
    return any(secret in text for secret in ("Rossi", "F-2026-0042", "1.234,56", "1,234.56"))


# --- webhook ---------------------------------------------------------------------------------


async def test_button_press_gets_its_reply_in_telegram(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await _debtor_with_invoice()
    response = await _post(app_url, button_update(500, LINKED_CHAT, "pay_now"))
    assert response.status_code == 200

    inbound = await Message.get(direction=Direction.INBOUND)
    assert inbound.debtor_id == debtor.id  # type: ignore[attr-defined]
    assert inbound.chosen_option == "pay_now"
    assert inbound.status is MessageStatus.HANDLED
    [text] = fake.texts_to(LINKED_CHAT)
    assert "/pay/" in text  # "pay_now" made the debtor's pay link
    # The spinner is stopped by Telegram itself, asked in the webhook's response: no call of ours.
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cq-500"}
    assert response.headers["content-type"] == "application/json"
    assert fake.calls_to("answerCallbackQuery") == []
    reply = await Message.get(direction=Direction.OUTBOUND)
    assert reply.status is MessageStatus.SENT and reply.provider_id.startswith(f"{LINKED_CHAT}:")


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    app_url: str, fake: FakeTelegram
) -> None:
    await _debtor_with_invoice()
    for secret in ("not-the-secret", "", None):
        response = await _post(app_url, message_update(600, LINKED_CHAT, "ciao"), secret=secret)
        assert response.status_code == 403
    assert await Message.all().count() == 0
    assert fake.calls_to("sendMessage") == []


async def test_no_configured_secret_refuses_every_delivery(
    tg_settings: Settings, fake: FakeTelegram, db: str
) -> None:
    settings = tg_settings.model_copy(update={"telegram_webhook_secret": ""})
    runtime = Runtime(settings=settings, policy=load_policy(settings.policy_file))
    async with serve(create_app(runtime)) as url:
        response = await _post(url, message_update(601, LINKED_CHAT, "ciao"), secret="")
    assert response.status_code == 403
    assert await Message.all().count() == 0


async def test_a_retried_delivery_is_handled_once(app_url: str, fake: FakeTelegram) -> None:
    await _debtor_with_invoice()
    update = button_update(700, LINKED_CHAT, "pay_now")
    first = await _post(app_url, update)
    again = await _post(app_url, update)
    assert first.status_code == again.status_code == 200
    assert await Message.filter(direction=Direction.INBOUND).count() == 1
    assert len(fake.calls_to("sendMessage")) == 1
    assert first.json()["method"] == "answerCallbackQuery"
    assert again.content == b""  # answered the first time


async def test_a_redelivery_answers_a_message_stored_but_not_handled(
    app_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _debtor_with_invoice()
    import bot.inbound_apply as inbound

    real_handle = inbound.handle_message
    calls: list[int] = []

    async def fails_once(
        runtime: Runtime, debtor: Debtor | None, message: Message, record: Any = None
    ) -> Any:
        calls.append(message.id)
        if len(calls) == 1:
            raise ConnectionError("database went away after the message was stored")
        return await real_handle(runtime, debtor, message, record)

    monkeypatch.setattr(inbound, "handle_message", fails_once)
    update = message_update(710, LINKED_CHAT, "ho pagato ieri")
    assert (await _post(app_url, update)).status_code == 500
    stored = await Message.get(direction=Direction.INBOUND)
    assert stored.status == MessageStatus.RECEIVED
    assert fake.calls_to("sendMessage") == []
    assert (await _post(app_url, update)).status_code == 200  # Telegram's redelivery
    assert calls == [stored.id, stored.id]
    await stored.refresh_from_db()
    assert stored.status == MessageStatus.HANDLED
    assert await Message.filter(direction=Direction.INBOUND).count() == 1
    answers = await Message.filter(direction=Direction.OUTBOUND, status=MessageStatus.SENT).count()
    assert answers >= 1
    assert len(fake.calls_to("sendMessage")) == answers
    assert (await _post(app_url, update)).status_code == 200  # handled now: ignored
    assert len(fake.calls_to("sendMessage")) == answers


async def test_text_photo_and_document_are_stored_as_inbound_messages(
    app_url: str, fake: FakeTelegram
) -> None:
    await _debtor_with_invoice()
    assert (await _post(app_url, message_update(801, LINKED_CHAT, "ho pagato ieri"))).is_success
    assert (await _post(app_url, photo_update(802, LINKED_CHAT, caption="ricevuta"))).is_success
    assert (await _post(app_url, document_update(803, LINKED_CHAT, "bonifico.pdf"))).is_success

    stored = await Message.filter(direction=Direction.INBOUND).order_by("id")
    assert [m.body for m in stored] == ["ho pagato ieri", "ricevuta", ""]
    assert stored[1].attachments[0]["kind"] == "photo"
    assert stored[1].attachments[0]["file_id"] == "large"  # the biggest size Telegram offered
    assert stored[2].attachments[0] == {
        "kind": "document",
        "file_id": "doc-1",
        "file_unique_id": "udoc1",
        "file_name": "bonifico.pdf",
        "mime_type": "application/pdf",
        "file_size": 12345,
    }
    assert len(fake.texts_to(LINKED_CHAT)) >= 3  # every message answered, some twice


async def test_an_authentic_body_that_is_not_json_is_parked_not_redelivered(app_url: str) -> None:
    async with httpx.AsyncClient(base_url=app_url) as client:
        response = await client.post(
            WEBHOOK_PATH, content=b"not json", headers={SECRET_HEADER: SECRET}
        )
    assert response.status_code == 200  # Telegram must not deliver it again
    [parked] = await ParkedEvent.all()
    assert (parked.provider, parked.payload) == ("telegram", "not json")
    assert "not JSON" in parked.reason
    assert await Message.filter(direction=Direction.INBOUND).count() == 0


# --- linking ---------------------------------------------------------------------------------


async def test_deep_link_links_the_chat_and_greets_by_name(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await _debtor_with_invoice(chat_id=None)
    token = await issue_token(debtor, runtime.settings.signing_key(), NOW, dt.timedelta(days=7))
    response = await _post(app_url, message_update(900, LINKED_CHAT, f"/start {token}"))
    assert response.status_code == 200

    point = await ContactPoint.get(debtor=debtor, channel=Channel.TELEGRAM)
    assert point.address == str(LINKED_CHAT) and point.verified_at == NOW
    greeting = render(
        "linking/linked.txt", "it", debtor_name=debtor.name, company=runtime.settings.company_name
    )
    assert fake.texts_to(LINKED_CHAT) == [greeting]
    assert "Rossi Impianti S.r.l." in greeting
    start = await Message.get(direction=Direction.INBOUND)
    assert start.body == "/start" and token not in start.body
    assert start.debtor_id == debtor.id  # type: ignore[attr-defined]

    # From now on the chat is the debtor's: a message gets the known-debtor answer.
    await _post(app_url, message_update(901, LINKED_CHAT, "ciao"))
    who = render("flows/words/who.txt", "it", company=runtime.settings.company_name)
    assert fake.texts_to(LINKED_CHAT)[-1] == who.strip()


async def test_an_unlinked_chat_never_sees_a_debtors_data(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    debtor = await _debtor_with_invoice()
    key = runtime.settings.signing_key()
    used = await issue_token(debtor, key, NOW, dt.timedelta(days=7))
    await _post(app_url, message_update(1000, LINKED_CHAT, f"/start {used}"))
    expired = await issue_token(debtor, key, NOW - dt.timedelta(days=8), dt.timedelta(days=7))
    forged = used[:-1] + ("A" if used[-1] != "A" else "B")

    attempts = [
        "/start",
        f"/start {used}",
        f"/start {expired}",
        f"/start {forged}",
        "/start ../../etc/passwd",
        "F-2026-0042 quanto devo?",
    ]
    for number, text in enumerate(attempts, start=1001):
        response = await _post(app_url, message_update(number, STRANGER_CHAT, text, language="en"))
        assert response.status_code == 200
    await _post(app_url, button_update(1100, STRANGER_CHAT, "pay_now"))

    shown = fake.texts_to(STRANGER_CHAT)
    assert len(shown) == len(attempts) + 1
    assert not any(_reveals_debtor_data(text) for text in shown)
    company = runtime.settings.company_name
    assert shown[0] == render("linking/start_without_token.txt", "en", company=company)
    assert shown[1] == render("linking/link_invalid.txt", "en", reason="used", company=company)
    assert shown[2] == render("linking/link_invalid.txt", "en", reason="expired", company=company)
    assert shown[3] == render("linking/link_invalid.txt", "en", reason="invalid", company=company)
    assert shown[4] == shown[3]
    assert not await ContactPoint.exists(address=str(STRANGER_CHAT))
    assert await Message.filter(debtor=debtor, direction=Direction.INBOUND).count() == 1


# --- sending ---------------------------------------------------------------------------------


def _message(
    address: str = str(LINKED_CHAT), text: str = "Promemoria", **fields: Any
) -> OutgoingMessage:
    return OutgoingMessage(channel=Channel.TELEGRAM, address=address, text=text, **fields)


async def test_options_become_an_inline_keyboard(runtime: Runtime, fake: FakeTelegram) -> None:
    sender = runtime.sender(Channel.TELEGRAM)
    options = (Option("pay_now", "Paga ora"), Option("plan", "Chiedi una rateizzazione"))
    sent_id = await sender.send(_message(options=options))
    call = fake.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == str(LINKED_CHAT)
    assert sent_id == f"{LINKED_CHAT}:1"
    keyboard = call.params["reply_markup"]
    assert '"callback_data": "pay_now"' in keyboard and '"text": "Paga ora"' in keyboard

    with pytest.raises(ValueError, match="64-byte"):
        await sender.send(_message(options=(Option("x" * 65, "Too long"),)))


async def test_photo_and_document_are_sent(runtime: Runtime, fake: FakeTelegram) -> None:
    sender = runtime.sender(Channel.TELEGRAM)
    qr = Attachment("bonifico.png", b"\x89PNG\r\n\x1a\nqr", "image/png")
    pdf = Attachment("F-2026-0042.pdf", b"%PDF-1.7 invoice", "application/pdf")

    await sender.send(_message(attachments=(qr,), options=(Option("paid", "Ho pagato"),)))
    photo = fake.calls_to("sendPhoto")[0]
    assert photo.files["photo"] == ("bonifico.png", "image/png", qr.content)
    assert photo.params["caption"] == "Promemoria" and "paid" in photo.params["reply_markup"]

    await sender.send(_message(attachments=(pdf,)))
    document = fake.calls_to("sendDocument")[0]
    assert document.files["document"] == ("F-2026-0042.pdf", "application/pdf", pdf.content)

    await sender.send(_message(text="x" * 2000, attachments=(qr, pdf)))
    assert len(fake.calls_to("sendPhoto")) == 2 and len(fake.calls_to("sendDocument")) == 2
    assert fake.calls[-1].method == "sendMessage"  # a long text follows the files


async def test_sent_message_can_be_edited(runtime: Runtime, fake: FakeTelegram) -> None:
    sender = runtime.sender(Channel.TELEGRAM)
    assert isinstance(sender, TelegramSender)
    sent_id = await sender.send(_message(options=(Option("pay_now", "Paga ora"),)))
    await sender.edit(sent_id, "Pagamento ricevuto, grazie")
    await sender.remove_options(sent_id)
    edit = fake.calls_to("editMessageText")[0]
    assert edit.params["text"] == "Pagamento ricevuto, grazie" and edit.params["message_id"] == "1"
    assert fake.calls_to("editMessageReplyMarkup")[0].params["chat_id"] == str(LINKED_CHAT)


async def test_blocked_bot_is_unreachable_and_marks_the_contact_point(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    debtor = await _debtor_with_invoice()
    fake.block(LINKED_CHAT)
    with pytest.raises(SendError) as caught:
        await runtime.sender(Channel.TELEGRAM).send(_message())
    assert caught.value.outcome is SendOutcome.UNREACHABLE
    assert "blocked" in caught.value.reason

    point = await ContactPoint.get(debtor=debtor)
    await mark_unreachable(point, caught.value.reason, NOW)
    point = await ContactPoint.get(debtor=debtor)
    assert not point.reachable and point.unreachable_at == NOW


async def test_flood_control_is_waited_out_once_then_reported_as_retry(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    # The rate limiter waits as Telegram says and tries again once...
    fake.flood("sendMessage", retry_after=1)
    assert await runtime.sender(Channel.TELEGRAM).send(_message())
    assert len(fake.calls_to("sendMessage")) == 2

    # ...and a sender that may not wait hands the wait to the dispatcher.
    impatient = TelegramSender(make_bot(runtime.settings, flood_retries=0))
    fake.flood("sendMessage", retry_after=7)
    with pytest.raises(SendError) as caught:
        await impatient.send(_message())
    await impatient.close()
    assert caught.value.outcome is SendOutcome.RETRY and caught.value.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_later(
    runtime: Runtime, fake: FakeTelegram, status: int
) -> None:
    fake.server_error("sendMessage", status)
    with pytest.raises(SendError) as caught:
        await runtime.sender(Channel.TELEGRAM).send(_message())
    assert caught.value.outcome is SendOutcome.RETRY


async def test_unreachable_api_is_retried_later(tg_settings: Settings) -> None:
    closed = await FakeTelegram(TOKEN).start()
    settings = tg_settings.model_copy(update={"telegram_api_base_url": closed.base_url})
    await closed.stop()  # nothing listens on that port any more
    sender = TelegramSender.from_settings(settings)
    with pytest.raises(SendError) as caught:
        await sender.send(_message())
    await sender.close()
    assert caught.value.outcome is SendOutcome.RETRY


async def test_migrated_chat_is_followed_and_remembered(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    group = -4001
    supergroup = -1004001
    debtor = await Debtor.create(external_ref="G1", name="Gruppo Verdi")
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address=str(group))
    fake.migrate(group, supergroup)

    sent_id = await runtime.sender(Channel.TELEGRAM).send(_message(address=str(group)))
    assert sent_id.startswith(f"{supergroup}:")
    assert [c.params["chat_id"] for c in fake.calls_to("sendMessage")] == [
        str(group),
        str(supergroup),
    ]
    point = await ContactPoint.get(debtor=debtor)
    assert point.address == str(supergroup)


async def test_reply_that_cannot_be_sent_waits_in_the_outbox(
    app_url: str, fake: FakeTelegram
) -> None:
    await _debtor_with_invoice()
    fake.server_error("sendMessage", 502)
    response = await _post(app_url, message_update(1200, LINKED_CHAT, "ciao"))
    assert response.status_code == 200
    reply = await Message.get(direction=Direction.OUTBOUND)
    assert reply.status is MessageStatus.PENDING and "telegram" in reply.last_error


# --- polling and webhook registration --------------------------------------------------------


async def _wait_for(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


async def test_long_polling_feeds_updates_to_the_application(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    await _debtor_with_invoice()
    fake.webhook = {"url": "https://old.example/telegram/webhook"}  # polling must remove it
    application = application_for(runtime)
    polling = start_polling(runtime, application, timeout=1)
    fake.push_update(button_update(1300, LINKED_CHAT, "pay_now"))
    fake.push_update(message_update(1301, LINKED_CHAT, "ciao"))
    await _wait_for(lambda: len(fake.texts_to(LINKED_CHAT)) == 2)
    # Confirmed updates are not fetched again: the next getUpdates asks from 1302 on.
    await _wait_for(lambda: fake.calls_to("getUpdates")[-1].params.get("offset") == "1302")
    await polling.stop()
    await application.shutdown()

    assert fake.calls_to("deleteWebhook") and fake.webhook == {}
    stored = await Message.filter(direction=Direction.INBOUND).order_by("id")
    assert [(m.chosen_option, m.body) for m in stored] == [("pay_now", ""), ("", "ciao")]
    assert len(fake.calls_to("answerCallbackQuery")) == 1


async def test_register_webhook_sets_url_and_secret(runtime: Runtime, fake: FakeTelegram) -> None:
    application = application_for(runtime)
    fake.server_error("setWebhook", 502)  # a passing hiccup is retried
    url = await register_webhook(runtime, application)
    await application.shutdown()
    assert url == "https://sollecito.example/telegram/webhook"
    assert fake.webhook["url"] == url
    assert fake.webhook["secret_token"] == SECRET
    assert "callback_query" in fake.webhook["allowed_updates"]


async def test_register_webhook_needs_a_valid_secret_and_url(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    application = application_for(runtime)
    for bad in ({"telegram_webhook_secret": ""}, {"telegram_webhook_secret": "has space"}):
        runtime.settings = runtime.settings.model_copy(update=bad)
        with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            await register_webhook(runtime, application)
    runtime.settings = runtime.settings.model_copy(
        update={"telegram_webhook_secret": SECRET, "public_base_url": ""}
    )
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        await register_webhook(runtime, application)
    assert fake.calls_to("setWebhook") == []


async def test_a_failed_update_gets_500_so_telegram_delivers_it_again(
    app_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _debtor_with_invoice()
    import bot.providers.telegram.webhook as handler

    real_receive = handler.receive

    async def database_down(*args: Any) -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(handler, "receive", database_down)
    update = message_update(1400, LINKED_CHAT, "ciao")
    assert (await _post(app_url, update)).status_code == 500
    monkeypatch.setattr(handler, "receive", real_receive)
    assert (await _post(app_url, update)).status_code == 200
    assert await Message.filter(direction=Direction.INBOUND).count() == 1
    assert len(fake.texts_to(LINKED_CHAT)) == 1


async def test_a_failed_button_answer_does_not_fail_the_update(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    """Polling answers a button press with a call of its own; that call may fail."""
    await _debtor_with_invoice()
    fake.fail("answerCallbackQuery", 400, "Bad Request: query is too old")
    application = application_for(runtime)
    polling = start_polling(runtime, application, timeout=1)
    fake.push_update(button_update(1500, LINKED_CHAT, "pay_now"))
    await _wait_for(lambda: len(fake.texts_to(LINKED_CHAT)) == 1)
    # Confirmed, not fetched again: the failed answer did not fail the update.
    await _wait_for(lambda: fake.calls_to("getUpdates")[-1].params.get("offset") == "1501")
    await polling.stop()
    await application.shutdown()
    assert len(fake.calls_to("answerCallbackQuery")) == 1
    assert len(fake.texts_to(LINKED_CHAT)) == 1


async def test_the_staff_chat_is_not_treated_as_a_debtor(
    tg_settings: Settings, fake: FakeTelegram, db: str
) -> None:
    staff_chat = -100555
    settings = tg_settings.model_copy(update={"telegram_staff_chat_id": staff_chat})
    runtime = Runtime(
        settings=settings, policy=load_policy(settings.policy_file), senders=build_senders(settings)
    )
    async with serve(create_app(runtime)) as url:
        update = message_update(1600, staff_chat, "chi deve pagare?")
        update["message"]["chat"] = {"id": staff_chat, "type": "supergroup", "title": "Staff"}
        assert (await _post(url, update)).status_code == 200
        assert (await _post(url, message_update(1601, STRANGER_CHAT, "ciao"))).status_code == 200
    await runtime.close()
    assert fake.texts_to(staff_chat) == []
    assert len(fake.texts_to(STRANGER_CHAT)) == 1
    assert await Message.filter(direction=Direction.INBOUND).count() == 1


async def test_a_polled_update_that_fails_is_fetched_again(
    runtime: Runtime, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _debtor_with_invoice()
    import bot.providers.telegram.webhook as handler

    real_receive = handler.receive
    attempts: list[str] = []

    async def fails_once(runtime: Runtime, event: Any) -> Any:
        attempts.append(event.provider_event_id)
        if len(attempts) == 1:
            raise ConnectionError("database is down")
        return await real_receive(runtime, event)

    monkeypatch.setattr(handler, "receive", fails_once)
    application = application_for(runtime)
    polling = start_polling(runtime, application, timeout=1)
    fake.push_update(message_update(1700, LINKED_CHAT, "ciao"))
    await _wait_for(lambda: len(fake.texts_to(LINKED_CHAT)) == 1)
    await polling.stop()
    await application.shutdown()
    assert attempts == ["1700", "1700"]
    assert await Message.filter(direction=Direction.INBOUND).count() == 1


async def test_telegram_down_at_start_up_delays_updates_without_losing_them(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    await _debtor_with_invoice()
    fake.server_error("getMe", 502, times=2)  # at start-up and at the first delivery
    async with serve(create_app(runtime)) as url:
        update = message_update(1800, LINKED_CHAT, "ciao")
        assert (await _post(url, update)).status_code == 503
        assert await Message.all().count() == 0
        assert (await _post(url, update)).status_code == 200  # Telegram's redelivery
    assert len(fake.texts_to(LINKED_CHAT)) == 1
