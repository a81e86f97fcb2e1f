"""Webhooks answer bad input with a 4xx, never a 5xx (issue 13): one test per reproduction.

Size first (413), authenticity on the raw bytes (400/403), then shape: an authentic event that
does not fit is answered 2xx, parked with its reason, shown to staff once per kind and day, and
can be replayed once after a fix. Senders that are not valid addresses are refused with 400.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot import parking
from bot.config import ConfigError, Settings, load_settings
from bot.models import (
    Direction,
    Message,
    ParkedEvent,
    Payment,
    ProcessedEvent,
)
from bot.policy import load_policy
from bot.runtime import Runtime
from bot.webhooks import BODY_LIMITS, Malformed
from tests.providers.telegram.telegram_updates import message_update
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM
from tests.support.cli_run import ROOT, run_cli
from tests.support.live_server import serve
from tests.support.webhook_stack import (
    INBOUND_PATH,
    LINKED_CHAT,
    NOW,
    STATUS_PATH,
    TELEGRAM_PATH,
    Stack,
    encode,
    row_counts,
    webhook_stack,
)

COMPLETED = "checkout.session.completed"


@pytest.fixture
async def stack(settings: Settings, db: str) -> AsyncIterator[Stack]:
    async with webhook_stack(settings) as built:
        yield built


async def parked_only(stack: Stack) -> ParkedEvent:
    """The one parked event, after checking that nothing else happened."""
    [event] = await ParkedEvent.all()
    assert not await Payment.exists()
    assert await Message.filter(direction=Direction.INBOUND).count() == 0
    return event


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TELEGRAM_PATH, "/stripe/webhook", INBOUND_PATH, STATUS_PATH])
async def test_a_body_over_the_providers_limit_is_413_and_stores_nothing(
    stack: Stack, path: str
) -> None:
    provider = "telegram" if "telegram" in path else "stripe" if "stripe" in path else "twilio"
    before = await row_counts()
    response = await stack.client.post(path, content=b"x" * (BODY_LIMITS[provider] + 1))
    assert response.status_code == 413
    assert await row_counts() == before


async def test_the_limit_is_counted_on_the_stream_not_taken_from_content_length(
    stack: Stack,
) -> None:
    """Chunked, no Content-Length: the server answers 413 once the limit is passed, without
    waiting for the rest of the body (which never comes)."""
    limit = BODY_LIMITS["stripe"]
    async with serve(stack.client._transport.app) as url:  # type: ignore[attr-defined]
        address = urlsplit(url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        writer.write(
            b"POST /stripe/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"y" * 65536
        for _ in range(limit // len(chunk) + 1):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")
    assert await ProcessedEvent.all().count() == 0


async def test_a_declared_length_over_the_limit_is_refused_before_reading(stack: Stack) -> None:
    response = await stack.client.post(
        "/stripe/webhook", content=b"{}", headers={"Content-Length": str(10**9)}
    )
    assert response.status_code == 413


# --- Stripe ----------------------------------------------------------------------------------


async def test_stripe_a_body_that_is_not_utf8_is_400_even_with_a_correct_mac(
    stack: Stack,
) -> None:
    before = await row_counts()
    unsigned = await stack.stripe_post(b"\xff\xfe", signed=False)
    signed = await stack.stripe_post(b"\xff\xfe{}")
    assert (unsigned.status_code, signed.status_code) == (400, 400)
    assert unsigned.json() == {"error": "invalid signature"}
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"data": "checkout"}, "data"),
        ({"data": {"object": ["a", "list"]}}, "data.object"),
        ({"data": {"object": {"id": "cs_1", "metadata": "debtor=1"}}}, "data.object.metadata"),
        ({"data": {"object": {"id": "cs_1", "metadata": [1, 2]}}}, "data.object.metadata"),
    ],
)
async def test_stripe_signed_events_of_the_wrong_shape_are_parked(
    stack: Stack, change: dict[str, Any], reason: str
) -> None:
    event = {**stack.stripe_event(COMPLETED), **change}
    response = await stack.stripe_post(encode(event))
    assert response.status_code == 200
    assert response.json()["outcome"] == "parked"
    parked = await parked_only(stack)
    assert (parked.provider, parked.kind) == ("stripe", COMPLETED)
    assert parked.reason.startswith(reason)
    assert not await ProcessedEvent.exists()  # parked before any business code


async def test_stripe_amount_that_is_not_a_number_is_parked(stack: Stack) -> None:
    response = await stack.stripe_post(encode(stack.stripe_event(COMPLETED, amount_total="abc")))
    assert response.json()["outcome"] == "parked"
    assert (await parked_only(stack)).reason.startswith("data.object.amount_total")


async def test_stripe_a_debtor_id_of_digits_that_int_cannot_read_is_not_ours(stack: Stack) -> None:
    event = stack.stripe_event(COMPLETED)
    event["data"]["object"]["metadata"]["debtor"] = "²"  # type: ignore[index]
    response = await stack.stripe_post(encode(event))
    assert response.status_code == 200
    assert response.json()["outcome"] == "not_ours"
    assert not await Payment.exists()


async def test_stripe_a_signed_body_that_is_not_json_or_too_deep_is_parked(stack: Stack) -> None:
    for body in (b"not json", b"[" * 100_000 + b"]" * 100_000):
        response = await stack.stripe_post(body)
        assert response.status_code == 200
    reasons = [event.reason for event in await ParkedEvent.all().order_by("id")]
    assert reasons[0].startswith("not JSON") and "deep" in reasons[1]


# --- parking: alerts and replay --------------------------------------------------------------


async def test_staff_hear_once_per_kind_and_day_and_a_redelivery_is_parked_once(
    stack: Stack,
) -> None:
    bad = [stack.stripe_event(COMPLETED, amount_total=f"x{n}") for n in range(3)]
    for event in [*bad, bad[0]]:  # the last one is a redelivery of the first
        assert (await stack.stripe_post(encode(event))).status_code == 200
    assert await ParkedEvent.all().count() == 3
    other_kind = stack.stripe_event("checkout.session.expired", amount_total="y")
    await stack.stripe_post(encode(other_kind))
    alerts = await Message.filter(template=parking.ALERT_TEMPLATE).order_by("id")
    assert [alert.idempotency_key for alert in alerts] == [
        f"parked:stripe:{COMPLETED}:2026-11-23",
        "parked:stripe:checkout.session.expired:2026-11-23",
    ]
    assert alerts[0].context["parked_id"] == (await ParkedEvent.first()).id  # type: ignore[union-attr]

    tomorrow = Runtime(
        settings=stack.settings,
        policy=load_policy(stack.settings.policy_file),
        now=lambda: NOW + dt.timedelta(days=1),
    )
    await parking.park(tomorrow, "stripe", Malformed(COMPLETED, "still bad"), b"another body")
    assert await Message.filter(template=parking.ALERT_TEMPLATE).count() == 3


async def test_a_parked_event_replayed_twice_has_one_effect(stack: Stack) -> None:
    """The shape was too strict when it arrived; after the fix, the replay applies it once."""
    raw = encode(stack.stripe_event(COMPLETED))
    parked = await parking.park(stack.runtime, "stripe", Malformed(COMPLETED, "too strict"), raw)
    first = await parking.replay(stack.runtime, parked.id)
    counts = await row_counts()
    second = await parking.replay(stack.runtime, parked.id)
    assert (first.ok, first.outcome) == (True, "paid")
    assert second.ok and second.outcome.startswith("already replayed")
    assert await row_counts() == counts
    assert await Payment.all().count() == 1
    await parked.refresh_from_db()
    assert parked.replayed_at == NOW and parked.replay_outcome == "paid"
    assert await parking.parked_events() == []


async def test_a_replay_that_still_does_not_fit_changes_nothing(stack: Stack) -> None:
    await stack.stripe_post(encode(stack.stripe_event(COMPLETED, amount_total="abc")))
    parked = await ParkedEvent.get()
    before = await row_counts()
    result = await parking.replay(stack.runtime, parked.id)
    assert not result.ok and "amount_total" in result.outcome
    assert await row_counts() == before
    await parked.refresh_from_db()
    assert parked.replayed_at is None


async def test_a_body_that_is_not_utf8_is_kept_byte_for_byte(stack: Stack) -> None:
    raw = b"\xff\x00 telegram"
    parked = await parking.park(stack.runtime, "telegram", Malformed("update", "not JSON"), raw)
    assert parked.payload_encoding == "base64"
    assert parking.decode_payload(await ParkedEvent.get(id=parked.id)) == raw


# --- Telegram --------------------------------------------------------------------------------


def _update(**message: Any) -> dict[str, Any]:
    update = message_update(700, LINKED_CHAT, "ciao")
    update["message"].update(message)
    return update


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ({"update_id": "abc", "message": _update()["message"]}, "update_id"),
        ({"update_id": 1.5, "message": _update()["message"]}, "update_id"),
        ({"update_id": [1], "message": _update()["message"]}, "update_id"),
        (_update(text=123), "message.text"),
        (_update(text=["a"]), "message.text"),
        (_update(chat=None), "message.chat"),
        ({"update_id": 701, "message": {"message_id": 1, "date": 1, "text": "hi"}}, "message.chat"),
        (_update(date=10**20), "message.date"),
        (_update(reply_to_message="x"), "update 700 does not decode (AttributeError)"),
        (_update(edit_date=10**20), "update 700 does not decode (OverflowError)"),
    ],
)
async def test_telegram_signed_updates_of_the_wrong_shape_are_parked(
    stack: Stack, update: dict[str, Any], reason: str
) -> None:
    response = await stack.telegram_post(encode(update))
    assert response.status_code == 200
    parked = await parked_only(stack)
    assert (parked.provider, parked.kind) == ("telegram", "message")
    assert parked.reason.startswith(reason)
    assert stack.telegram.calls_to("sendMessage") == []


async def test_telegram_deeply_nested_json_is_parked(stack: Stack) -> None:
    response = await stack.telegram_post(b'{"update_id":1,"message":' + b"[" * 50_000)
    assert response.status_code == 200
    assert "deep" in (await parked_only(stack)).reason


async def test_telegram_without_the_secret_nothing_is_read(stack: Stack) -> None:
    for secret in (None, "", "wrong", "é".encode("latin-1"), b"\xff" * 300):
        response = await stack.telegram_post(b"\xff" * 10, secret=secret)
        assert response.status_code == 403
    assert not await ParkedEvent.exists()


async def test_telegram_a_good_update_still_works(stack: Stack) -> None:
    response = await stack.telegram_post(encode(message_update(702, LINKED_CHAT, "ciao")))
    assert response.status_code == 200
    assert stack.telegram.texts_to(LINKED_CHAT)
    assert not await ParkedEvent.exists()


async def test_telegram_a_parked_update_replays_once(stack: Stack) -> None:
    raw = encode(message_update(703, LINKED_CHAT, "ciao"))
    parked = await parking.park(stack.runtime, "telegram", Malformed("message", "strict"), raw)
    assert (await parking.replay(stack.runtime, parked.id)).outcome == "handled"
    assert (await parking.replay(stack.runtime, parked.id)).outcome.startswith("already")
    assert await Message.filter(direction=Direction.INBOUND).count() == 1
    assert len(stack.telegram.texts_to(LINKED_CHAT)) == 1


# --- Twilio ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender", ["whatsapp:", "", "whatsapp:+", "+39", "3331234567", "whatsapp:abc", "+" + "9" * 40]
)
async def test_twilio_an_empty_or_invalid_sender_is_400_and_nothing_is_stored_or_sent(
    stack: Stack, sender: str
) -> None:
    before = await row_counts()
    params = stack.twilio.inbound_params(sender, SMS_FROM, "STOP")
    response = await stack.twilio_post(INBOUND_PATH, params)
    assert response.status_code == 400
    assert await row_counts() == before
    assert stack.twilio.requests == []


async def test_twilio_a_signed_form_of_the_wrong_shape_is_parked(stack: Stack) -> None:
    params = stack.twilio.inbound_params(DEBTOR_PHONE, SMS_FROM, "ciao", NumMedia="many")
    response = await stack.twilio_post(INBOUND_PATH, params)
    assert response.status_code == 200 and "<Response/>" in response.text
    parked = await parked_only(stack)
    assert (parked.kind, parked.reason.split(":")[0]) == ("inbound", "num_media")
    status = stack.twilio.status_params("SM" + "b" * 32, "failed", error_code="²")
    assert (await stack.twilio_post(STATUS_PATH, status)).status_code == 204
    assert await ParkedEvent.filter(kind="status").count() == 1


async def test_twilio_a_body_that_is_not_utf8_is_403(stack: Stack) -> None:
    params = stack.twilio.inbound_params(DEBTOR_PHONE, SMS_FROM, "ciao")
    response = await stack.twilio_post(INBOUND_PATH, params, body=b"From=\xff")
    assert response.status_code == 403
    assert not await ParkedEvent.exists()


# --- pay pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/pay/%00", "/pay/" + "a" * 5000, "/pay/%C3%A9%C3%A9", "/pay/..%2F..%2Fetc"]
)
async def test_pay_pages_forged_tokens_are_404(stack: Stack, path: str) -> None:
    for method in ("GET", "POST"):
        response = await stack.client.request(method, path + ("/checkout" * (method == "POST")))
        assert response.status_code in (404, 405)


async def test_pay_pages_a_query_they_never_produce_is_400(stack: Stack) -> None:
    success = urlsplit(stack.pay_url).path + "/success"
    response = await stack.client.get(success, params={"session_id": "cs_<script>"})
    assert response.status_code == 400
    ok = await stack.client.get(success, params={"session_id": "cs_test_1"})
    assert ok.status_code == 200
    big = await stack.client.post(urlsplit(stack.pay_url).path + "/checkout", content=b"x" * 9000)
    assert big.status_code == 413


# --- settings and the CLI --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://sollecito.example", True),
        ("http://127.0.0.1:8000", True),
        ("http://127.8.9.1", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://sollecito.example", False),
        ("http://10.0.0.1", False),
        ("http://localhost.evil.example", False),
    ],
)
def test_public_base_url_must_be_https_except_on_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, accepted: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    if accepted:
        assert load_settings().public_base_url == url
        return
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("invalid setting PUBLIC_BASE_URL: expected an https:// URL")


def test_events_commands_list_and_replay(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/events.sqlite3"
    env = {"DATABASE_URL": url, "POLICY_FILE": str(ROOT / "policy.toml")}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    listed = run_cli("events", "parked", cwd=tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "0 event(s) waiting for a replay"
    missing = run_cli("events", "replay", "42", cwd=tmp_path, **env)
    assert missing.returncode == 1
    assert missing.stderr.strip().endswith("#42: no parked event #42")


async def test_the_staff_chat_gets_the_alert_text_in_both_languages() -> None:
    from bot.texts import render

    context = {"provider": "stripe", "kind": COMPLETED, "reason": "data: bad", "parked_id": 7}
    italian = render(parking.ALERT_TEMPLATE, "it", **context)
    english = render(parking.ALERT_TEMPLATE, "en", **context)
    assert "events replay 7" in italian and "events replay 7" in english
    assert "Li può vedere" in italian  # formal: Lei
