"""Putting messages in the outbox. The dispatcher (scheduler/dispatch.py) sends them.

Everything that must reach someone goes through a row here first, so a provider failure or a crash
never loses it: cadence reminders, receipts, conversation replies that could not be sent at once,
staff alerts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.channels.base import Attachment, Option
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus

STAFF = "staff"
DEBTOR = "debtor"


def delivery_key(secret_key: str, message: Message) -> str:
    """A key that names one outbox row for good, the same on every attempt to send it.

    Built from the row's id and creation time (another database's row 1 is another message)
    under SECRET_KEY, so it tells outsiders nothing about our row ids."""
    created = message.created_at.astimezone(dt.UTC).isoformat() if message.created_at else ""
    digest = hmac.new(secret_key.encode(), f"{message.id}:{created}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def options_payload(options: Sequence[Option]) -> list[dict[str, str]]:
    return [{"key": option.key, "label": option.label} for option in options]


def attachments_payload(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    """Files a reply carries, kept on its row (base64), so a resend by the dispatcher carries
    them too (the statement's PDF: a few kilobytes)."""
    return [
        {
            "filename": item.filename,
            "mime_type": item.mime_type,
            "content_base64": base64.b64encode(item.content).decode("ascii"),
        }
        for item in attachments
    ]


def attachments_of(payload: Any) -> tuple[Attachment, ...]:
    """The files `attachments_payload` kept; anything else on the row (an inbound message's
    media descriptions) is not a file to send."""
    if not isinstance(payload, list):
        return ()
    return tuple(
        Attachment(item["filename"], base64.b64decode(item["content_base64"]), item["mime_type"])
        for item in payload
        if isinstance(item, dict) and {"filename", "mime_type", "content_base64"} <= item.keys()
    )


async def queue_message(
    *,
    debtor: Debtor | None,
    template: str,
    context: dict[str, Any],
    scheduled_at: dt.datetime,
    options: Sequence[Option] = (),
    audience: str = DEBTOR,
    step: str = "",
    channel: Channel | None = None,
    contact_point: ContactPoint | None = None,
    idempotency_key: str | None = None,
    body: str = "",
) -> Message | None:
    """Queue one outbound message (`body`: a text already written, sent as it is). With an
    idempotency key, a second call is a no-op (None)."""
    # Checked first, not only caught below: callers queue inside their own transactions, and on
    # PostgreSQL a unique violation aborts the whole enclosing transaction.
    if idempotency_key is not None and await Message.exists(idempotency_key=idempotency_key):
        return None
    try:
        return await Message.create(
            debtor=debtor,
            contact_point=contact_point,
            direction=Direction.OUTBOUND,
            audience=audience,
            channel=channel,
            template=template,
            step=step,
            context=context,
            body=body,
            options=options_payload(options),
            status=MessageStatus.PENDING,
            idempotency_key=idempotency_key,
            scheduled_at=scheduled_at,
        )
    except IntegrityError:
        # A concurrent writer queued the same key between our check and insert: that is fine.
        if idempotency_key is None:
            raise
        return None


async def queue_staff_alert(
    template: str,
    context: dict[str, Any],
    *,
    now: dt.datetime,
    debtor: Debtor | None = None,
    options: Sequence[Option] = (),
    idempotency_key: str | None = None,
) -> Message | None:
    """An alert for the staff chat (Telegram). Not subject to quiet hours or contact caps."""
    return await queue_message(
        debtor=debtor,
        template=template,
        context=context,
        scheduled_at=now,
        options=options,
        audience=STAFF,
        channel=Channel.TELEGRAM,
        idempotency_key=idempotency_key,
    )
