"""A policy step with `handoff = true`: once its message went out, the clock hands the case off
(the same as /handoff), staff get the package's path, and it happens once."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.models import Channel, Debtor, Direction, Message, MessageStatus
from bot.policy_description import describe_policy
from scheduler.policy_handoff import JOB_ID, add_policy_handoffs, policy_handoffs
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def _with_handoff(runtime):  # type: ignore[no-untyped-def]
    steps = tuple(
        step.model_copy(update={"handoff": True}) if step.name == "final_notice" else step
        for step in runtime.policy.steps
    )
    runtime.policy = runtime.policy.model_copy(update={"steps": steps})
    return runtime


async def test_a_sent_handoff_step_hands_the_case_off_once(db: str, settings: Settings) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=settings.zone)
    assert add_policy_handoffs(scheduler, runtime) is False  # the shipped policy has none
    runtime = _with_handoff(runtime)
    assert add_policy_handoffs(scheduler, runtime) is True
    assert [job.id for job in scheduler.get_jobs()] == [JOB_ID]
    assert "then hands the case off" in describe_policy(runtime.policy)

    sent = await make_debtor("Rossi S.r.l.")
    await make_invoice(sent, NOW.date() - dt.timedelta(days=70), 250_000)
    queued = await make_debtor("Verdi S.r.l.")
    for debtor, status in ((sent, MessageStatus.SENT), (queued, MessageStatus.PENDING)):
        await Message.create(
            debtor=debtor,
            direction=Direction.OUTBOUND,
            channel=Channel.EMAIL,
            template="final_notice",
            step="final_notice",
            status=status,
        )

    assert await policy_handoffs(runtime) == [sent.id]
    assert await policy_handoffs(runtime) == []
    assert (await Debtor.get(id=sent.id)).outsourced_by == "policy: final_notice"
    assert (await Debtor.get(id=queued.id)).outsourced_at is None
    [alert] = await Message.filter(audience="staff")
    body = alert.body.replace("\xa0", " ")
    assert body.startswith("📦 Pratica di Rossi S.r.l.")
    assert "affidata per il recupero da policy: final_notice." in body
    assert "Ancora dovuto: 2.500,00 € su 1 fattura, di cui scaduto 2.500,00 €." in body
    assert str(settings.var_dir / "handoff") in body
