"""Every webhook and the pay pages in one app, wired to the protocol-level fakes, for the tests of
what the edge does with bad input (tests/inbound/test_webhooks.py,
tests/inbound/test_webhook_fuzz.py).

Requests go in-process (httpx's ASGI transport: fast enough for thousands of them); the senders
talk to the fakes over 127.0.0.1. Each request is signed the way its provider signs it, or not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from tortoise import connections

from bot import web
from bot.config import Settings
from bot.models import Channel, ContactPoint, Debtor, Invoice, Message
from bot.payments.links import make_pay_link
from bot.policy import load_policy
from bot.providers.twilio.client import sign
from bot.runtime import Runtime, build_senders
from tests.providers.stripe.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import SECRET, STAFF_CHAT, TOKEN
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM, WHATSAPP_FROM

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LINKED_CHAT = 1001
TELEGRAM_PATH = "/telegram/webhook"
STRIPE_PATH = "/stripe/webhook"
INBOUND_PATH = "/twilio/inbound"
STATUS_PATH = "/twilio/status"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Stack:
    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient
    telegram: FakeTelegram
    twilio: FakeTwilio
    stripe: FakeStripe
    debtor: Debtor
    invoice: Invoice
    pay_url: str

    async def telegram_post(
        self, body: bytes, secret: str | bytes | None = SECRET
    ) -> httpx.Response:
        headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return await self.client.post(TELEGRAM_PATH, content=body, headers=headers)

    async def twilio_post(
        self, path: str, params: Mapping[str, str], *, signed: bool = True, body: bytes = b""
    ) -> httpx.Response:
        """A Twilio form, signed over the public URL (or not); `body` replaces the encoded form."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            token = self.settings.twilio_auth_token
            url = self.settings.public_base_url + path
            headers["X-Twilio-Signature"] = sign(token, url, params)
        content = body or urlencode(dict(params)).encode()
        return await self.client.post(path, content=content, headers=headers)

    async def stripe_post(self, body: bytes, *, signed: bool = True) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["Stripe-Signature"] = stripe_signature(body)
        return await self.client.post(STRIPE_PATH, content=body, headers=headers)

    def stripe_event(self, kind: str, **session: object) -> dict[str, object]:
        """A Checkout event for our debtor's invoice, as Stripe would send it."""
        base: dict[str, object] = {
            "id": "cs_test_" + "a" * 24,
            "object": "checkout.session",
            "amount_total": self.invoice.amount_cents,
            "currency": "eur",
            "payment_status": "paid",
            "payment_intent": "pi_test_1",
            "metadata": {
                "debtor": str(self.debtor.id),
                "pay_link": "",
                "purpose": "balance",
                "invoice_ids": str(self.invoice.id),
                "instalment": "",
                "discount_cents": "",
            },
        }
        base.update(session)
        return FakeStripe.event(kind, base, event_id="evt_test_1")


def stripe_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """Stripe's t=,v1= header: HMAC-SHA256 over "<t>.<body>", here over the raw bytes, so a
    body that is not UTF-8 carries a correct MAC too."""
    stamp = int(time.time())  # Stripe's tolerance is checked against the machine's clock
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def encode(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def stack_settings(
    settings: Settings, telegram: FakeTelegram, twilio: FakeTwilio, stripe: FakeStripe
) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": telegram.base_url,
            "telegram_webhook_secret": SECRET,
            "telegram_staff_chat_id": STAFF_CHAT,
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": twilio.auth_token,
            "twilio_api_base_url": twilio.base_url,
            "twilio_sms_from": SMS_FROM,
            "twilio_whatsapp_from": WHATSAPP_FROM,
            "stripe_api_key": API_KEY,
            "stripe_api_base": stripe.base_url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
        }
    )


async def _debtor(settings: Settings) -> tuple[Debtor, Invoice, str]:
    debtor = await Debtor.create(external_ref="C042", name="Rossi Impianti S.r.l.", language="it")
    invoice = await Invoice.create(
        number="F-2026-0042",
        debtor=debtor,
        issue_date=TODAY - dt.timedelta(days=60),
        due_date=TODAY - dt.timedelta(days=30),
        amount_cents=123_456,
    )
    for channel, address in (
        (Channel.TELEGRAM, str(LINKED_CHAT)),
        (Channel.SMS, DEBTOR_PHONE),
        (Channel.WHATSAPP, DEBTOR_PHONE),
    ):
        await ContactPoint.create(
            debtor=debtor, channel=channel, address=address, verified_at=NOW, opted_in_at=NOW
        )
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    return debtor, invoice, url


@contextlib.asynccontextmanager
async def webhook_stack(settings: Settings) -> AsyncIterator[Stack]:
    """All webhooks and pay pages, live senders against the fakes, the clock stopped at NOW."""
    telegram = await FakeTelegram(TOKEN).start()
    twilio = await FakeTwilio().start()
    stripe = FakeStripe()
    await stripe.start()
    live = stack_settings(settings, telegram, twilio, stripe)
    runtime = Runtime(
        settings=live,
        policy=load_policy(live.policy_file),
        senders=build_senders(live),
        now=lambda: NOW,
    )
    app = web.create_app(runtime)
    debtor, invoice, url = await _debtor(live)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=live.public_base_url) as client,
        ):
            yield Stack(live, runtime, client, telegram, twilio, stripe, debtor, invoice, url)
    finally:
        await runtime.close()
        await stripe.stop()
        await twilio.stop()
        await telegram.stop()


async def row_counts() -> tuple[int, ...]:
    """How many rows each table holds, in one round trip: "nothing stored" is all of them equal."""
    from tortoise import Tortoise

    tables = sorted(model._meta.db_table for model in Tortoise.apps["models"].values())
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{name}") AS c{n}' for n, name in enumerate(tables))
    _, rows = await connections.get("default").execute_query("SELECT " + counts)
    return tuple(int(rows[0][f"c{n}"]) for n in range(len(tables)))


async def inbound_count() -> int:
    return await Message.filter(direction="inbound").count()
