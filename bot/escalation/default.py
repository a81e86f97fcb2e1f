"""The day a debtor was put in default (costituzione in mora): the formal notice sets it."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q

from bot.models import Debtor


async def put_in_default(debtor_id: int, day: dt.date) -> dt.date:
    """Records that the debtor was put in default on `day`, keeping the earliest such day (one
    UPDATE: two notices at once cannot move it later). Returns the day now stored."""
    await (
        Debtor.filter(id=debtor_id)
        .filter(Q(in_default_since__isnull=True) | Q(in_default_since__gt=day))
        .update(in_default_since=day)
    )
    (stored,) = await Debtor.filter(id=debtor_id).values_list("in_default_since", flat=True)
    return stored  # type: ignore[no-any-return]
