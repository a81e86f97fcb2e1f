"""Opting out and back in by keyword, recorded on the contact points.

The words ("STOP", "basta", "START", "AIUTO") are read by bot/flows/vocabulary.py, the same on
every channel. An opt-out is recorded on every contact point with that channel and address (the
number or chat is the person's, not one debtor's) and honoured: the contact point is no longer
`reachable`, so the dispatcher skips it. bot/inbound_keywords.py applies them.
"""

from __future__ import annotations

import datetime as dt

from bot.flows.vocabulary import Keyword
from bot.models import Channel, ContactPoint


def confirmation_template(keyword: Keyword) -> str:
    return f"optout/{keyword.value}.txt"


KEYWORD_OPT_IN_SOURCE = "keyword"  # ContactPoint.opt_in_source after START / ISCRIVI


async def record_opt_out(channel: Channel, address: str, now: dt.datetime) -> int:
    """Mark every contact point with this address opted out; returns how many."""
    return await ContactPoint.filter(channel=channel, address=address).update(opted_out_at=now)


async def record_opt_in(channel: Channel, address: str, now: dt.datetime) -> int:
    """The owner of this address wrote the opt-in keyword (START): consent, and its source."""
    return await ContactPoint.filter(channel=channel, address=address).update(
        opted_out_at=None, opted_in_at=now, opt_in_source=KEYWORD_OPT_IN_SOURCE
    )
