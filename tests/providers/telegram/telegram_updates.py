"""Telegram Update payloads as the Bot API delivers them (webhook body or getUpdates item)."""

from __future__ import annotations

from typing import Any

from tests.providers.telegram.fake_telegram import BOT_ID

DATE = 1_795_000_000  # a fixed Unix time; handlers use the runtime clock for decisions


def _user(chat_id: int, language: str) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Mario", "language_code": language}


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Mario"}


def message_update(
    update_id: int, chat_id: int, text: str = "", *, language: str = "it", **content: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": DATE,
        "chat": _chat(chat_id),
        "from": _user(chat_id, language),
        **content,
    }
    if text:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def button_update(
    update_id: int, chat_id: int, data: str, *, message_id: int = 1, language: str = "it"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": _user(chat_id, language),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": DATE,
                "chat": _chat(chat_id),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"},
                "text": "Promemoria",
            },
        },
    }


def photo_update(update_id: int, chat_id: int, caption: str = "") -> dict[str, Any]:
    sizes = [
        {"file_id": "small", "file_unique_id": "us", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "ul", "width": 1280, "height": 960},
    ]
    extra = {"caption": caption} if caption else {}
    return message_update(update_id, chat_id, photo=sizes, **extra)


def document_update(update_id: int, chat_id: int, file_name: str) -> dict[str, Any]:
    document = {
        "file_id": "doc-1",
        "file_unique_id": "udoc1",
        "file_name": file_name,
        "mime_type": "application/pdf",
        "file_size": 12345,
    }
    return message_update(update_id, chat_id, document=document)
