"""The one entry of a debtor's message, whatever the channel.

Every adapter (bot/providers/telegram/webhook.py, bot/providers/twilio/webhook.py) turns its
provider's payload into an `InboundEvent` and calls `receive`. It finds the contact points behind
the address, reads the message once with the one vocabulary (bot/flows/vocabulary.py: a keyword, a
button, a bare number answering the last numbered list, or words for the conversation), then an
address that belongs to one debtor goes to bot.inbound_apply.receive_from (store, apply, reply); one
shared by several debtors (an accountant's phone) is first asked which company the message is about
(bot.shared_address). Living above both, it keeps them free of an import circle.

`answer_unhandled_inbound` runs when a process that receives starts: a message stored by an
attempt that died before handling it, and that the provider will not deliver again, is answered.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from bot.flows.vocabulary import bare_number, meaning
from bot.inbound import (
    InboundEvent,
    Received,
    event_of,
    find_contact_points,
    last_offered_options,
)
from bot.inbound_apply import receive_from
from bot.models import Direction, Message, MessageStatus
from bot.runtime import Runtime
from bot.shared_address import receive_shared

log = logging.getLogger(__name__)

# An unhandled message younger than this may still be in the hands of the request that stored it.
UNHANDLED_GRACE = dt.timedelta(minutes=2)


async def receive(runtime: Runtime, event: InboundEvent) -> Received | None:
    """Store, apply, send the answers. None when the event is a delivery already handled."""
    points = await find_contact_points(event.channel, event.address)
    offered: list[dict[str, str]] = []
    if not event.chosen_option and bare_number(event.text) is not None:
        offered = await last_offered_options(points)
    read = meaning(
        event.text,
        button=event.chosen_option,
        has_media=bool(event.attachments),
        opted_out=bool(points) and all(p.opted_out_at is not None for p in points),
        offered=offered,
    )
    if read.chosen_option != event.chosen_option:
        event = replace(event, chosen_option=read.chosen_option)
    if len(points) > 1:
        return await receive_shared(runtime, event, points, read.keyword)
    return await receive_from(runtime, event, points[0] if points else None, read.keyword)


async def answer_unhandled_inbound(
    runtime: Runtime, grace: dt.timedelta = UNHANDLED_GRACE
) -> list[int]:
    """At start-up: apply every inbound message stored more than `grace` ago and never handled
    (the process stopped between storing and applying it). Returns their ids."""
    cutoff = runtime.now() - grace
    rows = await Message.filter(
        direction=Direction.INBOUND, status=MessageStatus.RECEIVED, created_at__lt=cutoff
    ).order_by("id")
    answered: list[int] = []
    for row in rows:
        event = event_of(row)
        if event is None:
            log.warning("unhandled inbound message %s does not say its address; left", row.id)
            continue
        try:
            await receive(runtime, event)
        except Exception:  # one bad message must not keep the others, or the start-up, waiting
            log.exception("unhandled inbound message %s could not be applied", row.id)
            continue
        answered.append(row.id)
    if answered:
        log.info("answered %d inbound messages left unhandled", len(answered))
    return answered
