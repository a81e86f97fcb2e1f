"""The policy's hand-off step: a step with `handoff = true` hands the case to a collector or a
lawyer once its message has gone out to the debtor (bot/escalation/outsourcing.py: the cadence
stops, the case is marked, the package is written). The clock looks every 15 minutes, only when
the policy has such a step; staff get the same message as after /handoff, with the package's path.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.escalation.outsourcing import AlreadyOutsourced, outsource
from bot.models import Channel, Debtor, Message, MessageStatus
from bot.outbox import DEBTOR, STAFF, queue_message
from bot.runtime import Runtime
from bot.texts import render

log = logging.getLogger(__name__)
JOB_ID = "policy_handoffs"
TEMPLATE = "staff/outsourced.txt"


async def policy_handoffs(runtime: Runtime) -> list[int]:
    """Hand off every debtor whose hand-off step was sent; the ids handed off."""
    steps = [step.name for step in runtime.policy.steps if step.handoff]
    if not steps:
        return []
    sent = await Message.filter(
        step__in=steps,
        audience=DEBTOR,
        status=MessageStatus.SENT,
        debtor__outsourced_at__isnull=True,
    ).values_list("debtor_id", "step")
    handed: list[int] = []
    for debtor_id, step in dict(sent).items():
        debtor = await Debtor.get(id=debtor_id)
        by = f"policy: {step}"
        language = runtime.settings.default_language
        try:
            done = await outsource(
                runtime.settings,
                debtor,
                actor="policy",
                by=by,
                now=runtime.now(),
                language=language,
            )
        except AlreadyOutsourced:
            continue
        except OSError:
            log.exception("hand-off of debtor %s: the package could not be written", debtor_id)
            continue
        text = render(
            TEMPLATE,
            language,
            debtor=debtor,
            by=by,
            cancelled=done.cancelled,
            figures=done.figures,
            folder=done.folder,
            archive=done.archive,
            zip_attached=False,
        )
        await queue_message(
            debtor=debtor,
            template=TEMPLATE,
            context={"package": str(done.folder)},
            scheduled_at=runtime.now(),
            audience=STAFF,
            channel=Channel.TELEGRAM,
            body=text,
            idempotency_key=f"outsourced:{debtor.id}",
        )
        handed.append(debtor.id)
    return handed


def add_policy_handoffs(scheduler: AsyncIOScheduler, runtime: Runtime) -> bool:
    """Add the job when a policy step says `handoff = true`; whether it was added."""
    if not any(step.handoff for step in runtime.policy.steps):
        return False

    async def run() -> None:
        try:
            await policy_handoffs(runtime)
        except Exception:
            log.exception("clock job %s failed", JOB_ID)

    trigger = IntervalTrigger(minutes=15, timezone=runtime.settings.zone)
    scheduler.add_job(run, trigger, id=JOB_ID, name=JOB_ID)
    return True
