"""The clock's PEC job: there only when the mailbox is set, reading it every PEC_POLL_MINUTES,
and a mailbox that cannot be read is a logged miss, not a crashed clock."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.models import PecReceipt
from scheduler.pec_poll import JOB_ID, add_pec_poll, poll_pec_receipts
from tests.providers.pec.fake_imap import receipt, settings_for, start_server
from tests.support.scheduler_data import FrozenClock, make_runtime

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def test_the_job_is_added_only_when_the_mailbox_is_set(settings: Settings) -> None:
    clock = FrozenClock(NOW)
    scheduler = AsyncIOScheduler(timezone=settings.zone)
    assert add_pec_poll(scheduler, make_runtime(settings, clock)) is False
    assert scheduler.get_jobs() == []
    configured = settings.model_copy(
        update={"pec_imap_host": "pec.example.it", "pec_imap_user": "u", "pec_poll_minutes": 3}
    )
    assert add_pec_poll(scheduler, make_runtime(configured, clock)) is True
    [job] = scheduler.get_jobs()
    assert job.id == JOB_ID and isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == dt.timedelta(minutes=3)


async def test_the_job_reads_the_mailbox_and_survives_a_dead_one(
    db: str, settings: Settings
) -> None:
    server = start_server()
    try:
        server.mailbox.add(receipt("accettazione", "<x@y>", NOW))
        runtime = make_runtime(settings_for(settings, server), FrozenClock(NOW))
        assert await poll_pec_receipts(runtime) == {"unmatched": 1}
        port = server.port
    finally:
        server.stop()
    assert await PecReceipt.all().count() == 1
    dead = settings.model_copy(
        update={
            "pec_imap_host": "127.0.0.1",
            "pec_imap_port": port,
            "pec_imap_user": "u",
            "pec_imap_security": "none",
        }
    )
    assert await poll_pec_receipts(make_runtime(dead, FrozenClock(NOW))) is None
