"""Replies to an inbound message: their outbox rows, and sending them while the provider waits.

A reply row is written (bot.inbound_apply, bot.inbound_commands, bot.shared_address) in the same
transaction that marks the inbound message handled, as `sending` with a lease; `deliver` then
sends the rows, waiting at most REPLY_WAIT_SECONDS before the rest goes on in the background. A
reply that cannot be sent now is left in the outbox for the dispatcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from bot import sql
from bot.channels.base import OutgoingMessage, SendError
from bot.conversations.replies import Reply
from bot.inbound import InboundEvent, insert_message
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.outbox import attachments_payload, delivery_key, options_payload
from bot.runtime import Runtime
from scheduler.proactive import consent_missing, consent_reason, needs_opt_in, whatsapp_session_open
from scheduler.whatsapp_variables import Facts, variables_for

log = logging.getLogger(__name__)

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
FILES = frozenset({Channel.TELEGRAM, Channel.EMAIL})  # the channels whose senders carry files


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
        # Kept for a resend where the channel carries files (SMS and WhatsApp refuse them).
        "attachments": attachments_payload(reply.attachments) if channel in FILES else [],
        "context": {"reply": True, "address": address},
        "status": MessageStatus.SENDING,
        "scheduled_at": now,
        "lease_until": now + REPLY_LEASE,
        "attempts": 1,
    }


async def new_reply(fields: dict[str, Any]) -> Message:
    row = await insert_message(fields)
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
    "REPLY_WAIT_SECONDS",
    "channel_text",
    "deliver",
    "finish_sending",
    "new_reply",
    "reply_fields",
    "send_reply",
]
