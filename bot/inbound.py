"""Inbound messages: the one event every channel's update becomes, and how it is stored.

The adapters (bot/providers/telegram/webhook.py, bot/providers/twilio/webhook.py) only parse a
provider's payload into an `InboundEvent` and hand it to `bot.receive.receive`. The event is stored
first, under its provider's delivery id (a retried delivery finds the row), with the address it came
from, so an unhandled row can be answered again even after a restart; bot/inbound_apply.py then
applies it and marks it handled in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot import sql
from bot.contacts import channel_address
from bot.conversations.replies import Reply
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus

log = logging.getLogger(__name__)

START_TEXT = "/start"  # what a Telegram /start is stored as (its token only until it is handled)


@dataclass(frozen=True)
class InboundEvent:
    channel: Channel
    address: str  # Telegram chat id, E.164 phone (SMS, WhatsApp)
    provider_event_id: str  # update id, MessageSid, ...: recognises a retried delivery
    text: str = ""
    chosen_option: str = ""  # button data or quick-reply payload
    attachments: list[dict[str, Any]] = field(default_factory=list)
    received_at: dt.datetime | None = None
    start: bool = False  # Telegram's /start: link the chat through its deep-link token
    start_token: str = ""
    language: str = ""  # the sender's language as the provider tells it (Telegram's user)

    def __post_init__(self) -> None:
        # Nothing is stored or answered for a sender that is not a valid address in its
        # canonical form: the handlers refuse such a request with 400 before building an event.
        if channel_address(self.channel.value, self.address) != self.address:
            raise ValueError(f"{self.address[:40]!r} is not a canonical {self.channel} address")


@dataclass(frozen=True)
class Received:
    message: Message
    debtor: Debtor | None
    contact_point: ContactPoint | None
    replies: list[Reply]


@lru_cache(maxsize=1)
def _points_at_address() -> str:
    return (
        f"SELECT {sql.select_list(ContactPoint, 'cp')}, {sql.select_list(Debtor, 'd')} "
        "FROM contact_point cp JOIN debtor d ON d.id = cp.debtor_id "
        # An erased debtor's addresses stand for no one any more (python -m bot privacy erase).
        "WHERE cp.channel = ? AND cp.address = ? AND d.erased_at IS NULL ORDER BY cp.id"
    )


async def find_contact_points(channel: Channel, address: str) -> list[ContactPoint]:
    """Every contact point behind an address, each with its debtor (one hand-written query: every
    inbound message asks it first). More than one: the address is shared by several debtors (one
    bookkeeper for several companies), and bot.shared_address asks which one a message is about."""
    points: list[ContactPoint] = []
    for row in await sql.fetch(_points_at_address(), [channel.value, address]):
        point = sql.instance(ContactPoint, row)
        point.debtor = sql.instance(Debtor, row, start=len(sql.columns(ContactPoint)))
        points.append(point)
    return points


async def find_contact_point(channel: Channel, address: str) -> ContactPoint | None:
    """The contact point behind an address when it belongs to one debtor only; None when it is
    unknown or shared (a shared address never stands for one debtor without being asked)."""
    points = await find_contact_points(channel, address)
    return points[0] if len(points) == 1 else None


async def last_offered_options(points: list[ContactPoint]) -> list[dict[str, str]]:
    """The options of the last message we sent to this address (a bare "2" answers them), on
    whichever of its contact points it went to (an address may serve several debtors)."""
    if not points:
        return []
    last = (
        await Message.filter(
            contact_point_id__in=[p.id for p in points], direction=Direction.OUTBOUND
        )
        .order_by("-id")
        .first()
    )
    return list(last.options) if last is not None and last.options else []


def storable(text: str) -> str:
    """Text as a database keeps it: PostgreSQL refuses NUL in text and JSON, so it goes.

    Anything else a person can type (emoji, right-to-left marks, other control characters) is
    kept as received.
    """
    return text.replace("\x00", "")


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [_storable_json(item) for item in value]
    if isinstance(value, dict):
        return {storable(str(k)): _storable_json(v) for k, v in value.items()}
    return value


def stored_context(event: InboundEvent) -> dict[str, Any]:
    """What the row keeps to answer the event again after a restart: its address and, for a
    /start, the token and language (erased when the message is handled)."""
    context: dict[str, Any] = {"address": event.address}
    if event.start:
        context.update(start=True, token=storable(event.start_token), language=event.language)
    return context


def _inbound_fields(
    event: InboundEvent, contact_point: ContactPoint | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "debtor_id": contact_point.debtor_id if contact_point else None,  # type: ignore[attr-defined]
        "contact_point_id": contact_point.id if contact_point else None,
        "direction": Direction.INBOUND,
        "channel": event.channel,
        "body": START_TEXT if event.start else storable(event.text),
        "chosen_option": storable(event.chosen_option)[:64],
        "attachments": _storable_json(event.attachments),
        "context": stored_context(event),
        "status": MessageStatus.RECEIVED,
        "idempotency_key": idempotency_key(event.channel, event.provider_event_id),
        "sent_at": event.received_at or now,
    }


def idempotency_key(channel: Channel, provider_event_id: str) -> str:
    return f"{channel.value}:in:{provider_event_id}"


async def insert_message(fields: dict[str, Any]) -> Message | None:
    """Every inbound message and every reply is written here, in one hand-written statement (no
    ORM query building or model validation); None when the delivery's key is already stored."""
    return await sql.insert(Message, fields, unless_taken="idempotency_key")


async def store(
    event: InboundEvent, contact_point: ContactPoint | None, now: dt.datetime
) -> Message | None:
    """The inbound row to apply: new, or stored by an earlier attempt that failed before the
    message was handled (the provider delivered again). None when it was handled already.

    With the row, the contact point notes that its debtor wrote (`note_inbound`): on
    PostgreSQL in the same statement, so both are committed before anything is applied."""
    fields = _inbound_fields(event, contact_point, now)
    noted = _noted(contact_point, now) if contact_point is not None else None
    message = await sql.insert(Message, fields, unless_taken="idempotency_key", then=noted)
    if message is not None:
        if contact_point is not None:
            contact_point.last_inbound_at = now
        return message
    stored = await Message.get_or_none(idempotency_key=fields["idempotency_key"])
    if stored is None or stored.status != MessageStatus.RECEIVED:
        log.info("duplicate %s delivery %s ignored", event.channel, event.provider_event_id)
        return None
    log.info("%s delivery %s resumes an unhandled message", event.channel, stored.id)
    if contact_point is not None:
        await note_inbound(contact_point, now)
    return stored


def event_of(row: Message) -> InboundEvent | None:
    """A stored inbound row as the event it was stored from; None for a row that does not say
    where it came from (stored before rows kept their address)."""
    context = row.context if isinstance(row.context, dict) else {}
    address = context.get("address")
    key = row.idempotency_key or ""
    if not isinstance(address, str) or row.channel is None or ":in:" not in key:
        return None
    return InboundEvent(
        channel=row.channel,
        address=address,
        provider_event_id=key.split(":in:", 1)[1],
        text=row.body or "",
        chosen_option=row.chosen_option or "",
        attachments=row.attachments if isinstance(row.attachments, list) else [],
        received_at=row.sent_at,
        start=bool(context.get("start")),
        start_token=str(context.get("token") or ""),
        language=str(context.get("language") or ""),
    )


def _noted(contact_point: ContactPoint, now: dt.datetime) -> sql.Statement:
    return (
        "UPDATE contact_point SET last_inbound_at = ? WHERE id = ?",
        [sql.db_time(now, sql.is_postgres()), contact_point.id],
    )


async def note_inbound(contact_point: ContactPoint, now: dt.datetime) -> None:
    """The contact point's debtor wrote now (WhatsApp's 24-hour window opens)."""
    await sql.execute(*_noted(contact_point, now))
    contact_point.last_inbound_at = now


def _handled(message: Message, point: ContactPoint | None) -> sql.Statement:
    """The UPDATE that marks `message` handled (see `mark_handled`); the model follows it."""
    postgres = sql.is_postgres()
    context = message.context if isinstance(message.context, dict) else {}
    message.status = MessageStatus.HANDLED
    if point is None and "token" not in context:
        return (
            "UPDATE message SET status = ?, updated_at = ? WHERE id = ?",
            [MessageStatus.HANDLED.value, sql.written_at(postgres), message.id],
        )
    kept = {"address": context["address"]} if "address" in context else {}
    debtor_id = point.debtor_id if point else message.debtor_id  # type: ignore[attr-defined]
    point_id = point.id if point else message.contact_point_id  # type: ignore[attr-defined]
    message.context = kept
    return (
        f"UPDATE message SET status = ?, context = {sql.json_placeholder(postgres)}, "
        "debtor_id = ?, contact_point_id = ?, updated_at = ? WHERE id = ?",
        [
            MessageStatus.HANDLED.value,
            sql.db_json(Message, "context", kept),
            debtor_id,
            point_id,
            sql.written_at(postgres),
            message.id,
        ],
    )


async def mark_handled(message: Message, point: ContactPoint | None = None) -> None:
    """Inside the transaction that applies it: the message is handled (a retry does nothing);
    filed under `point` when given (a chat just linked), its deep-link token forgotten."""
    await sql.execute(*_handled(message, point))


async def record_answer(
    message: Message,
    replies: list[dict[str, Any]],
    point: ContactPoint | None = None,
    also: Sequence[sql.Statement] = (),
) -> list[Message]:
    """Inside the transaction that applies it: the reply rows (fields of
    bot.reply_sending.reply_fields), `also` (the conversation's new state) and the message
    marked handled, as `mark_handled`; on PostgreSQL in one statement."""
    return await sql.insert_rows(Message, replies, then=[*also, _handled(message, point)])


__all__ = [
    "InboundEvent",
    "Received",
    "event_of",
    "find_contact_point",
    "find_contact_points",
    "insert_message",
    "last_offered_options",
    "mark_handled",
    "note_inbound",
    "record_answer",
    "store",
]
