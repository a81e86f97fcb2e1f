"""The shape of the Telegram updates we act on: the few fields the handlers read, validated first.

An update passes here before python-telegram-bot decodes it and before any handler runs. What the
Bot API promises (an integer update_id, a message with a date and a chat whose id is an integer,
text as a string, a button press with its sender) is checked; an update that breaks a promise is
`Malformed` and gets parked. Fields we do not read are left to python-telegram-bot.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from bot.webhooks import validate


def _not_zero(value: int) -> int:
    if value == 0:
        raise ValueError("0 is not a Telegram id")
    return value


# Telegram ids have at most 52 significant bits and are never 0; Unix times end before 10000.
TelegramId = Annotated[StrictInt, Field(ge=-(2**52), le=2**52), AfterValidator(_not_zero)]
Counter = Annotated[StrictInt, Field(ge=0, le=2**52)]
UnixTime = Annotated[StrictInt, Field(ge=0, le=253_402_300_799)]
Short = Annotated[StrictStr, Field(max_length=256)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Chat(_Shape):
    id: TelegramId
    type: Short


class User(_Shape):
    id: TelegramId
    is_bot: StrictBool
    first_name: StrictStr
    language_code: Short | None = None


class Entity(_Shape):
    type: Short
    offset: Counter
    length: Counter


class PhotoSize(_Shape):
    file_id: Short
    file_unique_id: Short
    width: Counter
    height: Counter
    file_size: Counter | None = None


class Document(_Shape):
    file_id: Short
    file_unique_id: Short
    file_name: Short | None = None
    mime_type: Short | None = None
    file_size: Counter | None = None


class Message(_Shape):
    message_id: Counter
    date: UnixTime
    chat: Chat
    sender: User | None = Field(None, alias="from")
    text: StrictStr | None = None
    caption: StrictStr | None = None
    entities: list[Entity] | None = None
    caption_entities: list[Entity] | None = None
    photo: list[PhotoSize] | None = None
    document: Document | None = None


class CallbackQuery(_Shape):
    id: Short
    sender: User = Field(alias="from")
    chat_instance: Short
    data: Annotated[StrictStr, Field(max_length=64)] | None = None
    message: Message | None = None


class UpdateShape(_Shape):
    update_id: Counter
    message: Message | None = None
    callback_query: CallbackQuery | None = None


def update_kind(payload: Any) -> str:
    """What the update carries ("message", "callback_query", ...), for parking and alerts."""
    if isinstance(payload, dict):
        for key in payload:
            if key != "update_id" and isinstance(key, str):
                return key
    return "update"


def check_update(payload: Any) -> UpdateShape:
    """The update's shape, or Malformed naming the first field that does not fit."""
    return validate(UpdateShape, payload, update_kind(payload))
