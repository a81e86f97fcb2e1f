"""What a provider told us about an address: it is dead (blocked, invalid) or it moved.

The senders only report (`SendError` with `UNREACHABLE`); whoever handles that outcome (the
dispatcher, a conversation reply) calls `mark_unreachable` so the address is skipped from then on
and the next channel is tried. A Telegram group that became a supergroup keeps its debtors through
`move_address`.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from bot.models import Channel, ContactPoint

REASON_MAX_LENGTH = 200


async def mark_unreachable(contact_point: ContactPoint, reason: str, now: dt.datetime) -> None:
    """Flag one contact point: the provider said it cannot be reached (e.g. bot blocked)."""
    contact_point.unreachable_at = now
    contact_point.unreachable_reason = reason[:REASON_MAX_LENGTH]
    await contact_point.save(update_fields=["unreachable_at", "unreachable_reason"])


async def mark_address_unreachable(
    channel: Channel, address: str, reason: str, now: dt.datetime
) -> int:
    """Flag every contact point with this address (several debtors may share one chat)."""
    return await ContactPoint.filter(channel=channel, address=address).update(
        unreachable_at=now, unreachable_reason=reason[:REASON_MAX_LENGTH]
    )


async def move_address(channel: Channel, old_address: str, new_address: str) -> int:
    """Point every contact point at `old_address` to `new_address`; returns how many moved.

    A debtor that already has the new address keeps that one and loses the old duplicate.
    """
    moved = 0
    async with in_transaction():
        for point in await ContactPoint.filter(channel=channel, address=old_address):
            duplicate = await ContactPoint.exists(
                debtor_id=point.debtor_id,  # type: ignore[attr-defined]
                channel=channel,
                address=new_address,
            )
            if duplicate:
                await point.delete()
            else:
                point.address = new_address
                await point.save(update_fields=["address"])
            moved += 1
    return moved
