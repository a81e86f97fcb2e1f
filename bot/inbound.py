"""Inbound normalisation: every channel's event becomes one stored message, then the flow engine.

The handlers (Telegram, Twilio) turn a provider's update into an `InboundEvent` and call
`receive`. It stores the message first (so nothing is lost even if answering fails), recognises a
retried delivery by its provider id, finds the debtor behind the address, asks the flow engine for
replies and sends them back on the channel the debtor used. A reply that cannot be sent now is left
in the outbox for the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.channels.base import Option, OutgoingMessage, SendError
from bot.flows.engine import Reply, handle_message
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Message,
    MessageStatus,
)
from bot.outbox import options_payload
from bot.runtime import Runtime

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


@dataclass(frozen=True)
class Received:
    message: Message
    debtor: Debtor | None
    contact_point: ContactPoint | None
    replies: list[Reply]


async def find_contact_point(channel: Channel, address: str) -> ContactPoint | None:
    """The contact point behind an address; when two debtors share it, the one last written to."""
    points = await ContactPoint.filter(channel=channel, address=address).prefetch_related("debtor")
    if len(points) <= 1:
        return points[0] if points else None
    last = (
        await Message.filter(
            direction=Direction.OUTBOUND, contact_point_id__in=[p.id for p in points]
        )
        .order_by("-id")
        .first()
    )
    if last is not None:
        return next(p for p in points if p.id == last.contact_point_id)  # type: ignore[attr-defined]
    return points[0]


async def store(
    event: InboundEvent, contact_point: ContactPoint | None, now: dt.datetime
) -> Message | None:
    """Store the inbound message; None when this provider delivery was already stored."""
    try:
        return await Message.create(
            debtor_id=contact_point.debtor_id if contact_point else None,  # type: ignore[attr-defined]
            contact_point=contact_point,
            direction=Direction.INBOUND,
            channel=event.channel,
            body=event.text,
            chosen_option=event.chosen_option[:64],
            attachments=event.attachments,
            status=MessageStatus.RECEIVED,
            idempotency_key=f"{event.channel.value}:in:{event.provider_event_id}",
            sent_at=event.received_at or now,
        )
    except IntegrityError:
        return None


async def receive(runtime: Runtime, event: InboundEvent) -> Received | None:
    """Store, answer, send the answers. None when the event is a retried delivery."""
    now = runtime.now()
    contact_point = await find_contact_point(event.channel, event.address)
    message = await store(event, contact_point, now)
    if message is None:
        log.info("duplicate %s delivery %s ignored", event.channel, event.provider_event_id)
        return None
    debtor = contact_point.debtor if contact_point else None
    if contact_point is not None:
        contact_point.last_inbound_at = now
        await contact_point.save(update_fields=["last_inbound_at"])

    replies = await handle_message(runtime, debtor, message)
    for reply in replies:
        await send_reply(runtime, event.channel, event.address, contact_point, reply)
    message.status = MessageStatus.HANDLED
    await message.save(update_fields=["status", "updated_at"])
    return Received(message=message, debtor=debtor, contact_point=contact_point, replies=replies)


async def send_reply(
    runtime: Runtime,
    channel: Channel,
    address: str,
    contact_point: ContactPoint | None,
    reply: Reply,
) -> Message:
    """Send a conversation reply now; if the provider fails, the outbox row waits for a worker."""
    now = runtime.now()
    row = await Message.create(
        debtor_id=contact_point.debtor_id if contact_point else None,  # type: ignore[attr-defined]
        contact_point=contact_point,
        direction=Direction.OUTBOUND,
        channel=channel,
        template=reply.template,
        body=reply.text,
        options=options_payload(reply.options),
        context={"reply": True, "address": address},
        status=MessageStatus.SENDING,
        scheduled_at=now,
        attempts=1,
    )
    # find_contact_point prefetches the debtor; a channel's own words (SMS "reply 1, 2") follow it.
    debtor = contact_point.debtor if contact_point else None
    outgoing = OutgoingMessage(
        channel=channel,
        address=address,
        language=debtor.language if isinstance(debtor, Debtor) else "",
        text=reply.text,
        options=tuple(reply.options),
        attachments=tuple(reply.attachments),
        template=reply.template,
        message_id=row.id,
        session_open=True,  # the debtor just wrote to us
    )
    try:
        row.provider_id = await runtime.sender(channel).send(outgoing)
        row.status = MessageStatus.SENT
        row.sent_at = runtime.now()
    except SendError as exc:
        log.warning("reply on %s not sent now (%s); left to the dispatcher", channel, exc.reason)
        row.status = MessageStatus.PENDING
        row.last_error = exc.reason
    await row.save()
    return row


__all__ = ["InboundEvent", "Option", "Received", "find_contact_point", "receive", "send_reply"]
