"""The app under test wired to a fake Telegram Bot API (tests/providers/telegram/fake_telegram.py):
real senders, the real webhook secret, all over 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from bot.config import Settings
from bot.policy import load_policy
from bot.runtime import Runtime, build_senders
from tests.providers.telegram.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret_1"
STAFF_CHAT = -100500
COMPANY = "Forniture Bianchi S.p.A."


def telegram_settings(settings: Settings, fake: FakeTelegram, **extra: object) -> Settings:
    """`settings` with live Telegram credentials pointing at `fake` and a staff group."""
    return settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": fake.base_url,
            "telegram_webhook_secret": SECRET,
            "telegram_staff_chat_id": STAFF_CHAT,
            "company_name": COMPANY,
            **extra,
        }
    )


@contextlib.asynccontextmanager
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram(TOKEN).start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def live_runtime(settings: Settings, now: dt.datetime) -> AsyncIterator[Runtime]:
    """A Runtime with the live senders `settings` configure and a clock stopped at `now`."""
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=build_senders(settings),
        now=lambda: now,
    )
    try:
        yield runtime
    finally:
        await runtime.close()
