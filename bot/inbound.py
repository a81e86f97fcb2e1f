"""Inbound normalisation: every channel's event becomes one stored message, then the flow engine.

The handlers (Telegram, Twilio) turn a provider's update into an `InboundEvent` and call
`receive`. It stores the message first (so nothing is lost even if answering fails), recognises a
retried delivery by its provider id, finds the debtor behind the address, asks the flow engine for
replies and sends them back on the channel the debtor used. A reply that cannot be sent now is left
in the outbox for the dispatcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot import sql
from bot.channels.base import OutgoingMessage, SendError
from bot.contacts import channel_address
from bot.conversations.engine import handle_message
from bot.conversations.replies import Reply
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Message,
    MessageStatus,
)
from bot.outbox import delivery_key, options_payload
from bot.runtime import Runtime
from scheduler.proactive import (
    consent_missing,
    consent_reason,
    needs_opt_in,
    whatsapp_session_open,
)
from scheduler.whatsapp_variables import Facts, variables_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundEvent:
    channel: Channel
    address: str  # Telegram chat id, E.164 phone (SMS, WhatsApp)
    provider_event_id: str  # update id, MessageSid, ...: recognises a retried delivery
    text: str = ""
    chosen_option: str = ""  # button data or quick-reply payload
    attachments: list[dict[str, Any]] = field(default_factory=list)
    received_at: dt.datetime | None = None

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
        "WHERE cp.channel = ? AND cp.address = ? ORDER BY cp.id"
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


# A reply row is written as "sending" before the provider is called. Should the process die in
# between, the dispatcher takes the row back once this lease has run out: at-least-once, never lost.
REPLY_LEASE = dt.timedelta(minutes=2)
# The send is cut off before that lease can run out, so no worker takes the row while it is on the
# wire (a reply not answered in time is left to the dispatcher, as for a failed send).
REPLY_SEND_TIMEOUT_SECONDS = 100.0

# How long an inbound request waits for its replies to go out. Normally they are out well within
# it, and the provider's request returns with the debtor answered. A provider that is slow, or
# holds us to its rate limit (Telegram's 30 messages/s), must not hold the webhook as well: Twilio
# gives up on a webhook after 15 s and Telegram delivers the update again. Past this wait the sends
# go on in the background; their rows are leased, so if the process stops first the dispatcher
# sends them.
REPLY_WAIT_SECONDS = 3.0
_sending: set[asyncio.Task[None]] = set()  # referenced until done, as asyncio asks


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


def _inbound_fields(
    event: InboundEvent, contact_point: ContactPoint | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "debtor_id": contact_point.debtor_id if contact_point else None,  # type: ignore[attr-defined]
        "contact_point_id": contact_point.id if contact_point else None,
        "direction": Direction.INBOUND,
        "channel": event.channel,
        "body": storable(event.text),
        "chosen_option": storable(event.chosen_option)[:64],
        "attachments": _storable_json(event.attachments),
        "status": MessageStatus.RECEIVED,
        "idempotency_key": f"{event.channel.value}:in:{event.provider_event_id}",
        "sent_at": event.received_at or now,
    }


async def _insert_message(fields: dict[str, Any]) -> Message | None:
    """Every inbound message and every reply is written here, in one hand-written statement (no
    ORM query building or model validation); None when the delivery's key is already stored."""
    return await sql.insert(Message, fields, unless_taken="idempotency_key")


async def store(
    event: InboundEvent, contact_point: ContactPoint | None, now: dt.datetime
) -> Message | None:
    """Store the inbound message; None when this provider delivery was already stored."""
    return await _insert_message(_inbound_fields(event, contact_point, now))


async def receive_from(
    runtime: Runtime, event: InboundEvent, contact_point: ContactPoint | None
) -> Received | None:
    """`receive` for a handler that already looked up the contact point (find_contact_points).

    The inbound row is stored on its own, before anything can go wrong, and the contact point
    notes when its debtor last wrote (WhatsApp's 24-hour window opens whether or not answering
    works). Then, in the conversation's transaction, the new state, the effects, the reply rows and
    the message marked handled, so a message is answered once or not at all; then each reply's
    send result.
    """
    now = runtime.now()
    fields = _inbound_fields(event, contact_point, now)
    message = await _insert_message(fields)
    if message is None:
        stored = await Message.get_or_none(idempotency_key=fields["idempotency_key"])
        if stored is None or stored.status != MessageStatus.RECEIVED:
            log.info("duplicate %s delivery %s ignored", event.channel, event.provider_event_id)
            return None
        # Stored, but the attempt that stored it failed before handling it (the provider got an
        # error and delivered again): this delivery answers it, or it would never be answered.
        log.info("%s delivery %s resumes an unhandled message", event.channel, stored.id)
        message = stored
    if contact_point is not None:
        await note_inbound(contact_point, now)
    return await answer(runtime, event, message, contact_point)


async def note_inbound(contact_point: ContactPoint, now: dt.datetime) -> None:
    """The contact point's debtor wrote now (WhatsApp's 24-hour window opens)."""
    await sql.execute(
        "UPDATE contact_point SET last_inbound_at = ? WHERE id = ?",
        [sql.db_time(now, sql.is_postgres()), contact_point.id],
    )
    contact_point.last_inbound_at = now


async def answer(
    runtime: Runtime, event: InboundEvent, message: Message, contact_point: ContactPoint | None
) -> Received:
    """Answer a stored inbound message as its contact point's debtor's, on the event's channel
    and address: the conversation steps, the replies are recorded, then sent."""
    debtor = contact_point.debtor if contact_point else None
    rows: list[Message] = []

    async def record(replies: list[Reply]) -> None:
        await _record_answer(runtime, event, message, replies, rows, contact_point)

    replies = await handle_message(runtime, debtor, message, record=record)
    await deliver(runtime, rows, replies, event, contact_point)
    return Received(message=message, debtor=debtor, contact_point=contact_point, replies=replies)


async def deliver(
    runtime: Runtime,
    rows: list[Message],
    replies: list[Reply],
    event: InboundEvent,
    contact_point: ContactPoint | None,
) -> None:
    """Send recorded reply rows, waiting at most REPLY_WAIT_SECONDS (the rest goes on behind)."""
    sending = asyncio.ensure_future(
        _deliver_all(runtime, rows, replies, event.address, contact_point)
    )
    _sending.add(sending)
    sending.add_done_callback(_sent)
    try:
        await asyncio.wait_for(asyncio.shield(sending), REPLY_WAIT_SECONDS)
    except TimeoutError:
        log.warning(
            "replies to %s message %s still sending after %.0f s; they go on in the background",
            event.channel,
            rows[0].id if rows else "-",
            REPLY_WAIT_SECONDS,
        )


async def _deliver_all(
    runtime: Runtime,
    rows: list[Message],
    replies: list[Reply],
    address: str,
    contact_point: ContactPoint | None,
) -> None:
    for row, reply in zip(rows, replies, strict=True):
        await _deliver(runtime, row, address, contact_point, reply)


def _sent(task: asyncio.Task[None]) -> None:
    _sending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "sending replies failed; the dispatcher takes their rows back when the lease ends",
            exc_info=task.exception(),
        )


async def finish_sending(timeout: float = REPLY_WAIT_SECONDS) -> None:
    """At shutdown: give replies still being sent the time to go out (the leases cover the rest)."""
    if _sending:
        await asyncio.wait(set(_sending), timeout=timeout)


async def _record_answer(
    runtime: Runtime,
    event: InboundEvent,
    message: Message,
    replies: list[Reply],
    rows: list[Message],
    contact_point: ContactPoint | None,
) -> None:
    """Inside the conversation's transaction: the replies to send (into `rows`), and the message
    answered."""
    rows.clear()
    for reply in replies:
        fields = reply_fields(runtime, event.channel, event.address, contact_point, reply)
        rows.append(await new_reply(fields))
    await sql.execute(
        "UPDATE message SET status = ?, updated_at = ? WHERE id = ?",
        [MessageStatus.HANDLED.value, sql.written_at(sql.is_postgres()), message.id],
    )
    message.status = MessageStatus.HANDLED


def reply_fields(
    runtime: Runtime,
    channel: Channel,
    address: str,
    contact_point: ContactPoint | None,
    reply: Reply,
) -> dict[str, Any]:
    now = runtime.now()
    return {
        "debtor_id": contact_point.debtor_id if contact_point else None,  # type: ignore[attr-defined]
        "contact_point_id": contact_point.id if contact_point else None,
        "direction": Direction.OUTBOUND,
        "channel": channel,
        "template": reply.template,
        "body": channel_text(reply, channel),
        "options": options_payload(reply.options),
        "context": {"reply": True, "address": address},
        "status": MessageStatus.SENDING,
        "scheduled_at": now,
        "lease_until": now + REPLY_LEASE,
        "attempts": 1,
    }


async def new_reply(fields: dict[str, Any]) -> Message:
    row = await _insert_message(fields)
    assert row is not None  # a reply has no idempotency key to collide on
    return row


def channel_text(reply: Reply, channel: Channel) -> str:
    """The reply as `channel` carries it: its SMS form by SMS, where it has one."""
    return reply.short_text if channel is Channel.SMS and reply.short_text else reply.text


async def send_reply(
    runtime: Runtime,
    channel: Channel,
    address: str,
    contact_point: ContactPoint | None,
    reply: Reply,
) -> Message:
    """Send a conversation reply now; if the provider fails, the outbox row waits for a worker."""
    row = await new_reply(reply_fields(runtime, channel, address, contact_point, reply))
    return await _deliver(runtime, row, address, contact_point, reply)


def _reply_variables(runtime: Runtime, channel: Channel, debtor: object) -> dict[str, str]:
    """Should WhatsApp find the session closed after all (error 63016), the approved template
    for a waiting answer goes instead, with a reply's own variables."""
    if channel is not Channel.WHATSAPP or not isinstance(debtor, Debtor):
        return {}
    facts = Facts(debtor.name, debtor.language, runtime.settings.company_name)
    return variables_for("reply", {}, facts)


def _lacks_consent(runtime: Runtime, channel: Channel, point: ContactPoint | None) -> bool:
    """A channel that needs an opt-in (scheduler/proactive.py) and an address without one; an
    address we hold no contact point for has none."""
    if point is None:
        return needs_opt_in(channel, runtime.policy)
    return consent_missing(point, runtime.policy)


async def _deliver(
    runtime: Runtime,
    row: Message,
    address: str,
    contact_point: ContactPoint | None,
    reply: Reply,
) -> Message:
    channel = row.channel
    assert channel is not None  # reply rows are always written with their channel
    # find_contact_point prefetches the debtor; a channel's own words (SMS "reply 1, 2") follow it.
    debtor = contact_point.debtor if contact_point else None
    outgoing = OutgoingMessage(
        channel=channel,
        address=address,
        language=debtor.language if isinstance(debtor, Debtor) else "",
        text=channel_text(reply, channel),
        options=tuple(reply.options),
        attachments=tuple(reply.attachments),
        template=reply.template,
        template_variables=_reply_variables(runtime, channel, debtor),
        message_id=row.id,
        delivery_key=delivery_key(runtime.settings.secret_key, row),
        # Computed, not assumed: receive_from has just noted that the debtor wrote.
        session_open=whatsapp_session_open(
            contact_point.last_inbound_at if contact_point else None, runtime.now()
        ),
    )
    try:
        if _lacks_consent(runtime, channel, contact_point):
            # No recorded opt-in where the channel needs one: not sent, and the row says why.
            row.status = MessageStatus.CANCELLED
            row.last_error = consent_reason(channel)
            log.info("reply %s not sent: %s", row.id, row.last_error)
        else:
            async with asyncio.timeout(REPLY_SEND_TIMEOUT_SECONDS):
                row.provider_id = await runtime.sender(channel).send(outgoing)
            row.status = MessageStatus.SENT
            row.sent_at = runtime.now()
    except (SendError, TimeoutError) as exc:
        reason = exc.reason if isinstance(exc, SendError) else f"{channel.value}: no answer in time"
        log.warning("reply on %s not sent now (%s); left to the dispatcher", channel, reason)
        row.status = MessageStatus.PENDING
        row.last_error = reason
    row.lease_until = None
    row.updated_at = runtime.now()
    postgres = sql.is_postgres()
    await sql.execute(
        "UPDATE message SET provider_id = ?, status = ?, sent_at = ?, lease_until = NULL, "
        "last_error = ?, updated_at = ? WHERE id = ?",
        [
            row.provider_id,
            row.status.value,
            sql.db_time(row.sent_at, postgres),
            row.last_error,
            sql.db_time(row.updated_at, postgres),
            row.id,
        ],
    )
    return row


__all__ = [
    "InboundEvent",
    "Received",
    "answer",
    "deliver",
    "find_contact_point",
    "find_contact_points",
    "finish_sending",
    "note_inbound",
    "receive_from",
    "send_reply",
    "store",
]
