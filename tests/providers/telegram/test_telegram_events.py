"""The webhook's direct path (bot/providers/telegram/events.py): which updates skip
python-telegram-bot's objects, and that those give the same InboundEvent it would."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from bot.inbound import InboundEvent
from bot.providers.telegram.events import button_event, direct_kind, message_event, sent_at
from bot.providers.telegram.shapes import check_update
from bot.webhooks import Malformed
from tests.providers.telegram.telegram_updates import (
    button_update,
    document_update,
    message_update,
    photo_update,
)

CHAT = 500_123
STAFF = -100_500
BOT = Bot("123456:TEST-token")
KEYBOARD = {"inline_keyboard": [[{"text": "Paga ora", "callback_data": "pay_now"}]]}


def _with(update: dict[str, Any], *path: str, **fields: Any) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    node = changed
    for key in path:
        node = node[key]
    node.update(fields)
    return changed


def _event_via_ptb(payload: dict[str, Any]) -> InboundEvent:
    """What on_message / on_button build from python-telegram-bot's Update."""
    update = Update.de_json(copy.deepcopy(payload), BOT)
    if update.callback_query is not None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return button_event(update.update_id, chat_id, query.data)
    message = update.effective_message
    assert message is not None
    return message_event(update.update_id, message, message.date)


def _event_direct(payload: dict[str, Any]) -> InboundEvent:
    shape = check_update(payload)
    if shape.callback_query is not None:
        query = shape.callback_query
        chat_id = query.message.chat.id if query.message is not None else query.sender.id
        return button_event(shape.update_id, chat_id, query.data)
    assert shape.message is not None
    return message_event(shape.update_id, shape.message, sent_at(shape.message.date))


PLAIN = [
    message_update(1, CHAT, "ho pagato ieri"),
    message_update(2, CHAT, "vedi https://example.com", entities=[
        {"type": "url", "offset": 5, "length": 19}
    ]),
    photo_update(3, CHAT, "la ricevuta"),
    photo_update(4, CHAT),
    document_update(5, CHAT, "bonifico.pdf"),
    button_update(6, CHAT, "pay_now"),
    _with(button_update(7, CHAT, "pay_now"), "callback_query", "message",
          reply_markup=KEYBOARD, edit_date=1_795_000_100),
    _with(button_update(8, CHAT, "pay_now", message_id=9), "callback_query", "message", date=0),
    message_update(10, -4_000_000_001, "un gruppo", media_group_id="g1"),
]  # fmt: skip


@pytest.mark.parametrize("payload", PLAIN)
def test_a_plain_update_goes_direct_with_the_event_python_telegram_bot_would_give(
    payload: dict[str, Any],
) -> None:
    kind = direct_kind(payload, check_update(payload), STAFF)
    assert kind == ("button" if "callback_query" in payload else "message")
    assert _event_direct(payload) == _event_via_ptb(payload)


LEFT_TO_THE_APPLICATION = {
    "a /start link": message_update(20, CHAT, "/start abc"),
    "another command": message_update(21, CHAT, "/help"),
    "the staff chat": message_update(22, STAFF, "ciao"),
    "a staff button": button_update(23, STAFF, "plan:approve:1"),
    "a sticker": message_update(24, CHAT, sticker={"file_id": "s", "file_unique_id": "u"}),
    "a location": message_update(25, CHAT, location={"latitude": 45.0, "longitude": 9.0}),
    "a reply": message_update(26, CHAT, "si", reply_to_message={"message_id": 1}),
    "a bad reply": message_update(27, CHAT, "si", reply_to_message="x"),
    "an edit date out of range": _with(button_update(28, CHAT, "x"), "callback_query", "message",
                                       edit_date=10**20),
    "a forward": message_update(29, CHAT, "inoltro", forward_origin={"type": "user"}),
    "an entity's user": message_update(30, CHAT, "Mario", entities=[
        {"type": "text_mention", "offset": 0, "length": 5, "user": {"id": 1}}
    ]),
    "a document thumbnail": _with(document_update(31, CHAT, "a.pdf"), "message", "document",
                                  thumbnail={"file_id": "t", "file_unique_id": "u",
                                             "width": 1, "height": 1}),
    "a keyboard button with a login url": _with(
        button_update(32, CHAT, "x"), "callback_query", "message",
        reply_markup={"inline_keyboard": [[{"text": "a", "login_url": {"url": "u"}}]]},
    ),
    "an edited message": {"update_id": 33,
                          "edited_message": message_update(33, CHAT, "x")["message"]},
    "two kinds at once": {**message_update(34, CHAT, "x"), "edited_message": {}},
}  # fmt: skip


@pytest.mark.parametrize("name", LEFT_TO_THE_APPLICATION)
def test_anything_else_is_left_to_the_application(name: str) -> None:
    payload = LEFT_TO_THE_APPLICATION[name]
    try:
        shape = check_update(payload)
    except Malformed:
        return  # parked before anyone looks
    assert direct_kind(payload, shape, STAFF) is None


# Values python-telegram-bot might choke on, put anywhere in a plain update.
odd_values = st.sampled_from(
    [None, "", "x", 0, -1, 10**20, 1.5, True, [], {}, [1], {"a": 1}, [[{"text": 1}]]]
)


# Fields python-telegram-bot decodes as objects, and fields it keeps as they come.
EXTRA_KEYS = ["edit_date", "reply_markup", "thumbnail", "user", "unix_time", "first_name",
              "username", "media_group_id", "inline_message_id", "is_premium"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    payload = copy.deepcopy(draw(st.sampled_from(PLAIN)))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = payload
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            if not isinstance(node[key], dict | list):
                break
            node = node[key]
        if isinstance(node, dict):
            key = draw(st.sampled_from([*node, *EXTRA_KEYS]))
            node[key] = copy.deepcopy(draw(odd_values))  # the samples stay as they are
    return payload


@settings(max_examples=1000, deadline=None)
@given(payload=mutated())
def test_whatever_goes_direct_python_telegram_bot_decodes_to_the_same_event(
    payload: dict[str, Any],
) -> None:
    try:
        shape = check_update(payload)
    except Malformed:
        return
    if direct_kind(payload, shape, STAFF) is None:
        return
    assert _event_direct(payload) == _event_via_ptb(payload)  # and de_json did not raise
