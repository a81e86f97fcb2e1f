"""Property-based fuzzing of every webhook and the pay pages (issue 13).

Each example sends a batch of requests an attacker or a careless provider could send: garbage,
forged signatures, oversized bodies, and real payloads with fields removed or replaced by any JSON
(or form) value, signed for real (Telegram's secret header, Twilio's RequestValidator, Stripe's
t=,v1= HMAC). After every request: no 5xx, and a refused one (4xx) stored nothing. After every
batch: each event parked in it is replayed twice and the second replay changes nothing; /health
is still 200. The module checks at its end that at least MIN_REQUESTS requests were generated.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import parking
from bot.config import Settings
from bot.models import ParkedEvent
from bot.webhooks import BODY_LIMITS
from tests.providers.telegram.telegram_app import SECRET, STAFF_CHAT
from tests.providers.telegram.telegram_updates import (
    button_update,
    document_update,
    message_update,
    photo_update,
)
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM
from tests.support.webhook_stack import (
    INBOUND_PATH,
    LINKED_CHAT,
    STATUS_PATH,
    Stack,
    encode,
    row_counts,
    webhook_stack,
)

MIN_REQUESTS = 5_000
BATCH = 10
# Examples per endpoint; BATCH requests each: 5,200 requests in all.
EXAMPLES = {"telegram": 150, "twilio_inbound": 110, "twilio_status": 70, "stripe": 130, "pay": 60}


def fuzz(endpoint: str) -> settings:
    return settings(
        max_examples=EXAMPLES[endpoint],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


KINDS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.created",
)
# Values that broke the first version of the handlers, and their relatives.
NASTY: list[Any] = [
    "²", "٣", "abc", "", " 1", "1" * 40, "\x00", "-1", "1e3", -1, 0, 1.5, 2**53, 2**64, -(2**70),
    10**20, 1e308, True, None, [], {}, [1, "a"], {"a": {"b": []}}, "whatsapp:", "+39",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
any_value = st.sampled_from(NASTY) | json_values
texts = st.sampled_from(["", "²", "whatsapp:", "STOP", "1", "\x00", "+393331234567"]) | st.text()


# Status codes answered, over the module (printed at its end with -s).
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def volume() -> Iterator[dict[str, int]]:
    """Requests sent per endpoint; with the whole module run, at least MIN_REQUESTS in all."""
    sent: dict[str, int] = {}
    yield sent
    if set(sent) == set(EXAMPLES):
        print(f"\nwebhook fuzz: {sum(sent.values())} requests {sent}; statuses {dict(STATUSES)}")
        assert sum(sent.values()) >= MIN_REQUESTS, sent
        assert not any(status >= 500 for status in STATUSES)


@pytest.fixture
async def stack(settings: Settings, db: str) -> AsyncIterator[Stack]:
    async with webhook_stack(settings) as built:
        yield built


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document a value can be replaced or removed."""
    items: Any = ()
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with up to three fields replaced by any value or removed."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(document))
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        node = document
        for key in parents:
            node = node[key]
        if draw(st.booleans()) and isinstance(node, dict):
            del node[last]
        else:
            node[last] = copy.deepcopy(draw(any_value))  # NASTY's lists and dicts stay as they are
    return document


@st.composite
def json_body(draw: st.DrawFn, bases: st.SearchStrategy[dict[str, Any]]) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=64))
    if choice == 1:
        depth = draw(st.sampled_from([10, 5_000, 200_000]))
        return b'{"update_id":1,"id":"e","type":"x","a":' + b"[" * depth + b"]" * depth + b"}"
    return encode(draw(mutated(draw(bases))))


# --- the checks made after every request and every batch ---------------------------------------


async def sent(stack: Stack, request: Any) -> httpx.Response:
    before = await row_counts()
    response = await request
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if 400 <= response.status_code < 500:
        assert await row_counts() == before, f"a refused request ({response.status_code}) stored"
    return response


async def after_batch(stack: Stack, volume: dict[str, int], endpoint: str, parked: int) -> None:
    volume[endpoint] = volume.get(endpoint, 0) + BATCH
    for event in await ParkedEvent.filter(id__gt=parked, replayed_at=None):
        await parking.replay(stack.runtime, event.id)
        counts = await row_counts()
        again = await parking.replay(stack.runtime, event.id)
        assert await row_counts() == counts, f"replaying #{event.id} twice: {again}"
    health = await stack.client.get("/health")
    assert health.status_code == 200


async def last_parked() -> int:
    event = await ParkedEvent.all().order_by("-id").first()
    return event.id if event else 0


# --- Telegram --------------------------------------------------------------------------------

chats = st.sampled_from([LINKED_CHAT, 2002, STAFF_CHAT, -1, 2**52])
telegram_updates = st.builds(
    lambda kind, update_id, chat, text: {
        "text": lambda: message_update(update_id, chat, text),
        "start": lambda: message_update(update_id, chat, "/start " + text),
        "button": lambda: button_update(update_id, chat, text[:64]),
        "photo": lambda: photo_update(update_id, chat, text),
        "document": lambda: document_update(update_id, chat, text or "x.pdf"),
    }[kind](),
    st.sampled_from(["text", "start", "button", "photo", "document"]),
    st.integers(1, 10**6),
    chats,
    texts,
)


@st.composite
def telegram_request(draw: st.DrawFn) -> tuple[bytes, str | None]:
    body = draw(json_body(telegram_updates))
    if draw(st.integers(0, 49)) == 0:
        body = b"{" * (BODY_LIMITS["telegram"] + 1)
    secret = draw(st.sampled_from([SECRET] * 6 + [None, "", "wrong-secret", SECRET + "x"]))
    return body, secret


@fuzz("telegram")
@given(batch=st.lists(telegram_request(), min_size=BATCH, max_size=BATCH))
async def test_telegram_webhook(stack: Stack, volume: dict[str, int], batch: list[Any]) -> None:
    parked = await last_parked()
    for body, secret in batch:
        response = await sent(stack, stack.telegram_post(body, secret))
        if secret != SECRET:
            assert response.status_code in (403, 413)
    await after_batch(stack, volume, "telegram", parked)


# --- Twilio ----------------------------------------------------------------------------------

senders = st.sampled_from(
    [DEBTOR_PHONE, "whatsapp:" + DEBTOR_PHONE, "whatsapp:", "", "+393470000000", "+1", "abc"]
) | st.text(max_size=20)
FORM_KEYS = ["MessageSid", "SmsMessageSid", "From", "Body", "NumMedia", "MediaUrl0",
             "MediaContentType0", "ButtonPayload", "ButtonText", "To"]  # fmt: skip


@st.composite
def form(draw: st.DrawFn, base: dict[str, str], keys: list[str]) -> dict[str, str]:
    params = dict(base)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            params.pop(key, None)
        else:
            params[key] = draw(texts | st.sampled_from([str(value) for value in NASTY]))
    return params


@st.composite
def twilio_request(
    draw: st.DrawFn, stack: Stack, status: bool
) -> tuple[dict[str, str], bool, bytes]:
    if status:
        sid = draw(st.sampled_from(["SM" + "c" * 32, "SMunknown", ""]) | st.text(max_size=40))
        word = draw(st.sampled_from(["delivered", "failed", "read", "sent", "x"]) | st.text())
        code = draw(st.sampled_from(["", "30005", "21610", "²", "x"]))
        base = stack.twilio.status_params(sid, word, code)
        keys = ["MessageSid", "MessageStatus", "ErrorCode"]
    else:
        base = stack.twilio.inbound_params(draw(senders), SMS_FROM, draw(texts))
        keys = FORM_KEYS
    params = draw(form(base, keys))
    signed = draw(st.integers(0, 5)) > 0
    raw = draw(st.sampled_from([b""] * 12 + [b"\xff\xfe=1", b"a" * (BODY_LIMITS["twilio"] + 1)]))
    return params, signed, raw


async def _twilio(stack: Stack, volume: dict[str, int], data: st.DataObject, status: bool) -> None:
    path, endpoint = (STATUS_PATH, "twilio_status") if status else (INBOUND_PATH, "twilio_inbound")
    parked = await last_parked()
    for _ in range(BATCH):
        params, signed, raw = data.draw(twilio_request(stack, status))
        response = await sent(stack, stack.twilio_post(path, params, signed=signed, body=raw))
        if not signed:
            assert response.status_code in (403, 413)
    await after_batch(stack, volume, endpoint, parked)


@fuzz("twilio_inbound")
@given(data=st.data())
async def test_twilio_inbound(stack: Stack, volume: dict[str, int], data: st.DataObject) -> None:
    await _twilio(stack, volume, data, status=False)


@fuzz("twilio_status")
@given(data=st.data())
async def test_twilio_status(stack: Stack, volume: dict[str, int], data: st.DataObject) -> None:
    await _twilio(stack, volume, data, status=True)


# --- Stripe ----------------------------------------------------------------------------------


@fuzz("stripe")
@given(data=st.data())
async def test_stripe_webhook(stack: Stack, volume: dict[str, int], data: st.DataObject) -> None:
    events = st.builds(
        lambda kind, intent: stack.stripe_event(kind, payment_intent=intent),
        st.sampled_from(KINDS),
        st.sampled_from(["pi_1", "pi_2", None]) | st.text(max_size=8),
    )
    parked = await last_parked()
    for _ in range(BATCH):
        body = data.draw(json_body(events))
        if data.draw(st.integers(0, 49)) == 0:
            body = b" " * (BODY_LIMITS["stripe"] + 1)
        signed = data.draw(st.integers(0, 4)) > 0
        response = await sent(stack, stack.stripe_post(body, signed=signed))
        if not signed:
            assert response.status_code in (400, 413)
    await after_batch(stack, volume, "stripe", parked)


# --- pay pages -------------------------------------------------------------------------------


@fuzz("pay")
@given(data=st.data())
async def test_pay_pages(stack: Stack, volume: dict[str, int], data: st.DataObject) -> None:
    token = urlsplit(stack.pay_url).path.rsplit("/", 1)[1]
    tokens = st.sampled_from([token, token[:-1] + "x", token * 2, "", "%00"]) | st.text(max_size=40)
    for _ in range(BATCH):
        page = data.draw(st.sampled_from(["", "/checkout", "/success", "/cancel"]))
        method = "POST" if page == "/checkout" else data.draw(st.sampled_from(["GET", "POST"]))
        given_token = data.draw(tokens)
        path = "/pay/" + (given_token if given_token == "%00" else quote(given_token, safe=""))
        query = data.draw(st.dictionaries(st.sampled_from(["session_id", "sandbox", "x"]), texts))
        body = data.draw(st.sampled_from([b""] * 8 + [b"a=1", b"z" * (BODY_LIMITS["pay"] + 1)]))
        await sent(stack, stack.client.request(method, path + page, params=query, content=body))
    await after_batch(stack, volume, "pay", 0)
