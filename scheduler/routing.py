"""Which contact point a message goes to, and in which order the others are tried.

The policy's channel order is the order used: the step's first channel first, then the next. Within
one channel the debtor's preferred contact point (lowest priority number) comes first. A formal step
(diffida) goes first to a PEC address when the debtor has one, because only certified e-mail gives
the notice its legal weight (the policy's `formal = true` says so). Opted-out and unreachable
addresses, and channels the step does not allow, are never chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from bot.models import Channel

# Channels tried for messages that no policy step describes (promise reminders, receipts).
DEFAULT_CHANNEL_ORDER: tuple[Channel, ...] = (
    Channel.TELEGRAM,
    Channel.WHATSAPP,
    Channel.SMS,
    Channel.EMAIL,
)


class Contact(NamedTuple):
    """What routing needs to know about one contact point (a tuple: planning makes many)."""

    id: int
    channel: Channel
    address: str
    is_pec: bool = False
    priority: int = 0
    opted_out: bool = False
    unreachable: bool = False

    @property
    def reachable(self) -> bool:
        return not self.opted_out and not self.unreachable


def route(
    contacts: Sequence[Contact], channels: Sequence[Channel], *, formal: bool = False
) -> list[Contact]:
    """The reachable contact points allowed by `channels`, in the order they should be tried."""
    order = _order(tuple(channels))
    usable = [c for c in contacts if c.reachable and c.channel in order]
    if not usable:
        return []

    def step_order(contact: Contact) -> tuple[int, int, int, int]:
        pec_first = 0 if (formal and contact.channel is Channel.EMAIL and contact.is_pec) else 1
        return (pec_first, order[contact.channel], contact.priority, contact.id)

    return sorted(usable, key=step_order)


@lru_cache(maxsize=64)
def _order(channels: tuple[Channel, ...]) -> dict[Channel, int]:
    return {channel: index for index, channel in enumerate(channels)}


def contact_state(contacts: Sequence[Contact]) -> str:
    """Why nothing is reachable: "none" (no contact point), "opted_out" or "unreachable"."""
    if not contacts:
        return "none"
    if all(c.opted_out for c in contacts):
        return "opted_out"
    if any(c.reachable for c in contacts):
        return "reachable"
    return "unreachable"
