"""A debtor's Telegram message or button press as an `InboundEvent`, and which webhook updates
need no python-telegram-bot objects to become one.

The events are read from either kind of object: python-telegram-bot's (polling, and the updates
the webhook leaves to the Application) or the shape the webhook has already checked
(bot/providers/telegram/shapes.py), whose fields have the same names. Decoding an update into
python-telegram-bot's objects costs 130-170 us of CPU, more than the rest of the webhook's own
work; `direct_kind` tells which updates can go without: a debtor's plain message or button press,
which the Application would give to `on_message` or `on_button` in any case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from bot.inbound import InboundEvent
from bot.models import Channel
from bot.providers.telegram.shapes import UpdateShape


class _Photo(Protocol):
    @property
    def file_id(self) -> str: ...
    @property
    def file_unique_id(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def file_size(self) -> int | None: ...


class _Document(Protocol):
    @property
    def file_id(self) -> str: ...
    @property
    def file_unique_id(self) -> str: ...
    @property
    def file_name(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...
    @property
    def file_size(self) -> int | None: ...


class _Chat(Protocol):
    @property
    def id(self) -> int: ...


class MessageLike(Protocol):
    """What a message event reads: python-telegram-bot's Message or the checked shape's."""

    @property
    def chat(self) -> _Chat: ...
    @property
    def text(self) -> str | None: ...
    @property
    def caption(self) -> str | None: ...
    @property
    def photo(self) -> Sequence[_Photo] | None: ...
    @property
    def document(self) -> _Document | None: ...


def message_event(update_id: int, message: MessageLike, received_at: dt.datetime) -> InboundEvent:
    """A text, a photo (its largest size) or a document, with its caption."""
    attachments: list[dict[str, Any]] = []
    if message.photo:
        largest = message.photo[-1]
        attachments.append(
            {
                "kind": "photo",
                "file_id": largest.file_id,
                "file_unique_id": largest.file_unique_id,
                "width": largest.width,
                "height": largest.height,
                "file_size": largest.file_size,
            }
        )
    if message.document:
        document = message.document
        attachments.append(
            {
                "kind": "document",
                "file_id": document.file_id,
                "file_unique_id": document.file_unique_id,
                "file_name": document.file_name or "",
                "mime_type": document.mime_type or "",
                "file_size": document.file_size,
            }
        )
    return InboundEvent(
        channel=Channel.TELEGRAM,
        address=str(message.chat.id),
        provider_event_id=str(update_id),
        text=message.text or message.caption or "",
        attachments=attachments,
        received_at=received_at,
    )


def button_event(update_id: int, chat_id: int, data: str | None) -> InboundEvent:
    """A button press in `chat_id` (the chat of the message that carried the button)."""
    return InboundEvent(
        channel=Channel.TELEGRAM,
        address=str(chat_id),
        provider_event_id=str(update_id),
        chosen_option=data or "",
    )


def sent_at(unix_time: int) -> dt.datetime:
    """A message's `date` as python-telegram-bot reads it (UTC: the bot sets no Defaults)."""
    return dt.datetime.fromtimestamp(unix_time, tz=dt.UTC)


# Top-level keys of an update that `direct_kind` may take: the update id and one kind.
_MESSAGE_KEYS = frozenset({"update_id", "message"})
_BUTTON_KEYS = frozenset({"update_id", "callback_query"})
# What a direct update may carry, level by level: fields the shape checks, fields checked here,
# and fields python-telegram-bot keeps as they come. Anything else (a reply, a forward, an
# entity's user, a document's thumbnail...) is an object python-telegram-bot decodes, and
# whether it decodes decides whether the update is parked: such updates go through it.
_QUERY_FIELDS = frozenset({"id", "from", "message", "chat_instance", "data", "inline_message_id"})
_MESSAGE_FIELDS = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "text", "entities", "caption"}
    | {"caption_entities", "photo", "document", "media_group_id", "reply_markup"}
)
_ENTITY_FIELDS = frozenset({"type", "offset", "length", "url", "language", "custom_emoji_id"})
_DOCUMENT_FIELDS = frozenset({"file_id", "file_unique_id", "file_name", "mime_type", "file_size"})
_BUTTON_FIELDS = frozenset({"text", "callback_data", "url"})
_LAST_UNIX_TIME = 253_402_300_799  # as shapes.UnixTime


def _entities_plain(entities: Any) -> bool:
    return entities is None or all(entity.keys() <= _ENTITY_FIELDS for entity in entities)


def _keyboard_plain(markup: Any) -> bool:
    """An inline keyboard of buttons with text, callback data or a URL, all strings."""
    if not isinstance(markup, dict) or markup.keys() != {"inline_keyboard"}:
        return False
    rows = markup["inline_keyboard"]
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and all(
            isinstance(button, dict)
            and button.keys() <= _BUTTON_FIELDS
            and all(isinstance(value, str) for value in button.values())
            for button in row
        )
        for row in rows
    )


def _message_plain(message: dict[str, Any]) -> bool:
    """Only fields the shape checked or python-telegram-bot keeps as they come."""
    if not message.keys() <= _MESSAGE_FIELDS:
        return False
    edited = message.get("edit_date")
    if edited is not None and not (
        type(edited) is int and 0 <= edited <= _LAST_UNIX_TIME  # an int, not a bool
    ):
        return False
    if "reply_markup" in message and not _keyboard_plain(message["reply_markup"]):
        return False
    document = message.get("document")
    return (
        (document is None or document.keys() <= _DOCUMENT_FIELDS)
        and _entities_plain(message.get("entities"))
        and _entities_plain(message.get("caption_entities"))
    )


def direct_kind(
    payload: dict[str, Any], shape: UpdateShape, staff_chat: int | None
) -> Literal["message", "button"] | None:
    """ "message" or "button" when the Application would hand the update to `on_message` or
    `on_button` and to nothing else, and python-telegram-bot would decode it without fail (an
    update it cannot decode is parked); None leaves it to the Application.

    Left to it: anything in the staff chat (its own handlers), a text that starts with "/" (a
    command: /start links a chat), a message with neither text, photo nor document, an update
    carrying more than one kind of content, and anything but the plain fields above.
    """
    keys = payload.keys()
    message = shape.message
    if message is not None and keys == _MESSAGE_KEYS:
        if staff_chat is not None and message.chat.id == staff_chat:
            return None
        if message.text is not None and message.text.startswith("/"):
            return None
        if not (message.text or message.photo or message.document):
            return None
        return "message" if _message_plain(payload["message"]) else None
    query = shape.callback_query
    if query is not None and keys == _BUTTON_KEYS:
        if query.message is not None and query.message.chat.id == staff_chat:
            return None
        raw = payload["callback_query"]
        if not raw.keys() <= _QUERY_FIELDS:
            return None
        carrier = raw.get("message")
        return "button" if carrier is None or _message_plain(carrier) else None
    return None
