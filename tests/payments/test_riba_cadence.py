"""A RiBa insoluto starts the cadence at `[riba] start_step`: the step's reminder goes out through
the real outbox worker after the grace, and the planner then goes on from that step."""

from __future__ import annotations

import datetime as dt
import random

from bot.config import Settings
from bot.models import Channel, Message, MessageStatus
from bot.payments.riba_cadence import start_at_step
from bot.policy_payments import RibaPolicy
from bot.runtime import Runtime
from scheduler.cadence import plan
from scheduler.dispatch import DispatchConfig, Dispatcher
from tests.support.scheduler_data import (
    FrozenClock,
    make_debtor,
    make_invoice,
    runtime_with,
    senders,
)

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
TODAY = dt.date(2026, 11, 25)


def with_riba_step(runtime: Runtime, step: str) -> Runtime:
    policy = runtime.policy.model_copy(update={"riba": RibaPolicy(start_step=step)})
    return Runtime(
        settings=runtime.settings, policy=policy, senders=runtime.senders, now=runtime.now
    )


async def test_the_riba_step_is_sent_first_then_the_cadence_goes_on(
    db: str, settings: Settings
) -> None:
    clock = FrozenClock(NOW)
    out = senders()
    runtime = with_riba_step(runtime_with(settings, clock, out), "overdue_2")
    debtor = await make_debtor("Bar Sport di Rossi", channels=(Channel.TELEGRAM,))
    await make_invoice(debtor, TODAY - dt.timedelta(days=25), 98_000, number="FT-2026/0101")

    queued = await start_at_step(runtime.policy, debtor, TODAY, NOW)
    assert queued is not None and queued.step == "overdue_2"
    assert await start_at_step(runtime.policy, debtor, TODAY, NOW) is None  # once per cycle

    # After the 3 days' reopen grace: Saturday 28, so the next contact window, Monday 30 at 9.
    assert queued.scheduled_at == dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    clock.advance(days=5)
    await Dispatcher(runtime, DispatchConfig(), rng=random.Random(7)).drain()
    [sent] = out[Channel.TELEGRAM].sent
    assert "FT-2026/0101" in sent.text and "980,00\xa0€" in sent.text
    assert (await Message.get(id=queued.id)).status is MessageStatus.SENT

    clock.advance(days=21)  # 49 days overdue: the step after overdue_2 has come
    await plan(runtime)
    steps = await Message.filter(audience="debtor").order_by("id").values_list("step", flat=True)
    assert steps == ["overdue_2", "overdue_3"]  # never overdue_1 after the RiBa step
