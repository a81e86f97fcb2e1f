"""The live Telegram stack the conversation tests talk to: the fake Bot API, a runtime on it with
the clock at tests.support.telegram_chat.NOW, and the web app serving its webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.web import create_app
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import fake_telegram, live_runtime, telegram_settings
from tests.support.live_server import serve
from tests.support.telegram_chat import NOW


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[Runtime]:
    async with live_runtime(telegram_settings(settings, fake), NOW) as runtime:
        yield runtime


@pytest.fixture
async def app_url(runtime: Runtime) -> AsyncIterator[str]:
    async with serve(create_app(runtime)) as url:
        yield url
