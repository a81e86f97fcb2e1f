"""The one entry of a debtor's message, whatever the channel.

An address that belongs to one debtor goes straight to the inbound path (bot.inbound.receive_from);
one shared by several debtors (an accountant's phone) is first asked which company the message is
about (bot.shared_address). Living above both, it keeps them free of an import circle.
"""

from __future__ import annotations

from bot.inbound import InboundEvent, Received, find_contact_points, receive_from
from bot.runtime import Runtime
from bot.shared_address import receive_shared


async def receive(runtime: Runtime, event: InboundEvent) -> Received | None:
    """Store, answer, send the answers. None when the event is a retried delivery."""
    points = await find_contact_points(event.channel, event.address)
    if len(points) > 1:
        return await receive_shared(runtime, event, points)
    return await receive_from(runtime, event, points[0] if points else None)
