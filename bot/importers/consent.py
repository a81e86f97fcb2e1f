"""Opt-ins in an import: a contact record's day and source, as a contact point stores them.

A day has no hour: it is stored at noon company time, as a bank credit's booking day is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.importers.rows import ContactRecord


def opt_in_stamp(contact: ContactRecord, timezone: str) -> tuple[dt.datetime, str] | None:
    """The opt-in as stored: its day at noon company time (a day without an hour), its source."""
    if contact.opted_in_on is None:
        return None
    noon = dt.datetime.combine(contact.opted_in_on, dt.time(12), ZoneInfo(timezone))
    return noon.astimezone(dt.UTC), contact.opt_in_source


def same_opt_in(new: tuple[dt.datetime, str], stored: tuple[Any, str]) -> bool:
    at, source = stored
    return isinstance(at, dt.datetime) and at == new[0] and source == new[1]


def opt_in_fields(contact: ContactRecord, timezone: str) -> dict[str, Any]:
    stamp = opt_in_stamp(contact, timezone)
    if stamp is None:
        return {}
    return {"opted_in_at": stamp[0], "opt_in_source": stamp[1]}
