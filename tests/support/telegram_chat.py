"""A debtor in a Telegram chat with the bot, through the real webhook and the fake Bot API."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import httpx

from bot.providers.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import SECRET
from tests.providers.telegram.telegram_updates import button_update, message_update

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
CHAT = 3003
OTHER_CHAT = 3004


class TelegramDebtor:
    """A debtor writing to the bot in a Telegram chat; each update gets a new id."""

    ids = itertools.count(10_000)

    def __init__(self, app_url: str, fake: FakeTelegram, chat: int = CHAT) -> None:
        self.app_url, self.fake, self.chat = app_url, fake, chat

    async def _post(self, update: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.app_url) as client:
            response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200

    async def press(self, data: str) -> list[str]:
        before = len(self.fake.texts_to(self.chat))
        await self._post(button_update(next(self.ids), self.chat, data))
        return self.fake.texts_to(self.chat)[before:]

    async def say(self, text: str) -> list[str]:
        before = len(self.fake.texts_to(self.chat))
        await self._post(message_update(next(self.ids), self.chat, text))
        return self.fake.texts_to(self.chat)[before:]

    def last_buttons(self) -> list[str]:
        sent = [
            c for c in self.fake.calls_to("sendMessage") if c.params["chat_id"] == str(self.chat)
        ]
        markup = sent[-1].params.get("reply_markup")
        if not markup:
            return []
        keyboard = json.loads(markup) if isinstance(markup, str) else markup
        return [b["callback_data"] for row in keyboard["inline_keyboard"] for b in row]
