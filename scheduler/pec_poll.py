"""The clock's PEC job: read the certified mailbox for receipts (bot/escalation/pec_receipts.py)
every PEC_POLL_MINUTES, only when the mailbox is set (PEC_IMAP_HOST and PEC_IMAP_USER)."""

from __future__ import annotations

import logging
from collections import Counter

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.escalation.pec_receipts import poll_mailbox
from bot.providers.pec.imap import ImapError
from bot.runtime import Runtime

log = logging.getLogger(__name__)
JOB_ID = "poll_pec_receipts"


async def poll_pec_receipts(runtime: Runtime) -> Counter[str] | None:
    """One poll; a mailbox that cannot be read is logged and tried again at the next run."""
    try:
        counts = await poll_mailbox(runtime.settings, runtime.now)
    except ImapError as exc:
        log.warning("PEC receipts not read: %s", exc)
        return None
    if counts:
        log.info("PEC mailbox read: %s", dict(counts))
    return counts


def add_pec_poll(scheduler: AsyncIOScheduler, runtime: Runtime) -> bool:
    """Add the job when the PEC mailbox is configured; whether it was added."""
    settings = runtime.settings
    if not settings.pec_receipts_enabled:
        return False

    async def run() -> None:
        try:
            await poll_pec_receipts(runtime)
        except Exception:
            log.exception("clock job %s failed", JOB_ID)

    trigger = IntervalTrigger(minutes=settings.pec_poll_minutes, timezone=settings.zone)
    scheduler.add_job(run, trigger, id=JOB_ID, name=JOB_ID)
    return True
