"""Staff pausing the cadence for one debtor (/pause, /resume in the staff chat); audited."""

from __future__ import annotations

import datetime as dt

from bot.decisions.common import audit
from bot.models import Debtor, StaffMember
from bot.runtime import Runtime


async def pause_debtor(
    runtime: Runtime, debtor: Debtor, staff: StaffMember, days: int
) -> dt.datetime:
    """No reminders for `days` days (the dispatcher skips a paused debtor); audited."""
    until = runtime.now() + dt.timedelta(days=days)
    await Debtor.filter(id=debtor.id).update(paused_until=until)
    debtor.paused_until = until
    await audit(staff, "debtor.paused", f"debtor:{debtor.id}", days=days, until=until.isoformat())
    return until


async def resume_debtor(runtime: Runtime, debtor: Debtor, staff: StaffMember) -> None:
    await Debtor.filter(id=debtor.id).update(paused_until=None)
    debtor.paused_until = None
    await audit(staff, "debtor.resumed", f"debtor:{debtor.id}")
