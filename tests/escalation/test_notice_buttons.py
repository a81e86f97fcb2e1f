"""The staff chat end to end: the card arrives as a document with its buttons (sendDocument), and
staff press Approve / Edit deadline / Skip in the staff group; the updates go through our webhook
and python-telegram-bot to the real button handler, the answers to the fake Bot API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.models import FormalNotice, Message, NoticeStatus, StaffMember, StaffRole
from bot.providers.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bot.runtime import Runtime
from bot.web import create_app
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.escalation.notice_data import LETTERHEAD, NOW, debtor_at_final_step, pdf_text
from tests.providers.telegram.fake_telegram import BOT_ID, FakeTelegram
from tests.providers.telegram.telegram_app import (
    SECRET,
    STAFF_CHAT,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.providers.telegram.telegram_updates import DATE
from tests.support.live_server import serve

ANNA = 501
_ids = iter(range(50_000, 90_000))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[Runtime]:
    live = telegram_settings(settings, fake, **LETTERHEAD)
    async with live_runtime(live, NOW) as runtime:
        yield runtime


@pytest.fixture
async def app_url(runtime: Runtime) -> AsyncIterator[str]:
    async with serve(create_app(runtime)) as url:
        yield url


def _group() -> dict[str, Any]:
    return {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff"}


def _anna() -> dict[str, Any]:
    return {"id": ANNA, "is_bot": False, "first_name": "Anna", "language_code": "it"}


def press(data: str, card: dict[str, Any]) -> dict[str, Any]:
    update_id = next(_ids)
    message = {
        "message_id": card["message_id"],
        "date": DATE,
        "chat": _group(),
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"},
        "document": card["document"],
        "caption": card["caption"],
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": _anna(),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        },
    }


def reply(text: str, to: int) -> dict[str, Any]:
    update_id = next(_ids)
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": DATE,
            "chat": _group(),
            "from": _anna(),
            "text": text,
            "reply_to_message": {"message_id": to, "date": DATE, "chat": _group(), "from": bot},
        },
    }


async def post(url: str, update: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200


async def the_card(runtime: Runtime, fake: FakeTelegram) -> dict[str, Any]:
    await Dispatcher(runtime).drain()
    call = fake.calls_to("sendDocument")[-1]
    assert int(call.params["chat_id"]) == STAFF_CHAT
    return call.result


async def test_staff_approve_the_card_in_the_chat(runtime, fake, app_url) -> None:
    await StaffMember.create(telegram_user_id=ANNA, name="Anna", role=StaffRole.CONTROLLER)
    await debtor_at_final_step()
    await plan(runtime)
    card = await the_card(runtime, fake)
    notice = await FormalNotice.get()
    call = fake.calls_to("sendDocument")[-1]
    filename, content_type, content = call.files["document"]
    assert (filename, content_type) == ("diffida-2026-0001.pdf", "application/pdf")
    assert "2026/0001" in pdf_text(content)
    keyboard = json.loads(call.params["reply_markup"])["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == [
        f"notice:approve:{notice.id}",
        f"notice:deadline:{notice.id}",
        f"notice:skip:{notice.id}",
    ]
    await post(app_url, press(f"notice:approve:{notice.id}", card))
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.APPROVED
    (edit,) = fake.calls_to("editMessageCaption")
    assert "Approvato da Anna" in edit.params["caption"] and "2026/0001" in edit.params["caption"]
    assert "reply_markup" not in edit.params or edit.params["reply_markup"] in ("", "{}", None)
    assert await Message.filter(audience="debtor", template="notice/email").count() == 1


async def test_staff_edit_the_deadline_by_replying(runtime, fake, app_url) -> None:
    await StaffMember.create(telegram_user_id=ANNA, name="Anna", role=StaffRole.CONTROLLER)
    await debtor_at_final_step()
    await plan(runtime)
    card = await the_card(runtime, fake)
    notice = await FormalNotice.get()
    await post(app_url, press(f"notice:deadline:{notice.id}", card))
    question = fake.calls_to("sendMessage")[-1]
    assert "2026/0001" in question.params["text"]
    await post(app_url, reply("30", question.result["message_id"]))
    await notice.refresh_from_db()
    assert notice.deadline.isoformat() == "2026-12-23"
    said = fake.calls_to("sendMessage")[-1].params["text"].replace("\xa0", " ")
    assert "Nuovo termine: 23 dicembre 2026" in said
    (removed,) = fake.calls_to("editMessageReplyMarkup")
    assert int(removed.params["message_id"]) == card["message_id"]
    fresh = await the_card(runtime, fake)
    assert fresh["message_id"] != card["message_id"]
    assert "23 dicembre 2026" in fresh["caption"].replace("\xa0", " ")
    await post(app_url, press(f"notice:skip:{notice.id}", fresh))
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.SKIPPED
