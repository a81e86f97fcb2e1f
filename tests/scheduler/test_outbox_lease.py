"""The outbox sends nothing twice without a crash: per-message leases under a slow provider.

Two workers, each with its own real Telegram sender (python-telegram-bot and its rate limiter),
against the fake Bot API answering every other message with 429 and retry_after 7. The rate
limiter waits each Retry-After out inside the send; here that wait passes on the test's clock
(the limiter's sleep advances the frozen clock) instead of the wall clock, so the test runs in
moments while the outbox lives through minutes. The claim lease is short (30 s), so the first
worker's batch of 50 outlives it and the second worker takes over rows the first has claimed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import types
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram.ext._aioratelimiter as ptb_rate_limiter

from bot.config import Settings
from bot.models import Channel, Message, MessageStatus
from bot.providers.telegram.sender import TelegramSender
from bot.runtime import Runtime
from scheduler import outbox_lease
from scheduler.cadence import plan
from scheduler.dispatch import DispatchConfig, Dispatcher
from scheduler.outbox_record import DispatchOutcome
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
TODAY = dt.date(2026, 11, 25)
TOKEN = "123456:LEASE-token"
MESSAGES = 60

# python-telegram-bot warns about its own use of RetryAfter.retry_after while waiting one out.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram(TOKEN).start()
    yield server
    await server.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The test's clock; the rate limiter's Retry-After waits pass on it."""
    frozen = FrozenClock(NOW)

    async def waited(seconds: float) -> None:
        frozen.advance(seconds=seconds)
        await asyncio.sleep(0)

    shim = types.SimpleNamespace(**{**vars(asyncio), "sleep": waited})
    monkeypatch.setattr(ptb_rate_limiter, "asyncio", shim)
    return frozen


def worker_runtime(settings: Settings, fake: FakeTelegram, clock: FrozenClock) -> Runtime:
    """One worker's runtime: its own bot and rate limiter, as in its own process."""
    live = settings.model_copy(
        update={"telegram_bot_token": TOKEN, "telegram_api_base_url": fake.base_url}
    )
    sender = TelegramSender.from_settings(live)
    return make_runtime(live, clock, {Channel.TELEGRAM: sender})


async def work(
    dispatcher: Dispatcher, done: asyncio.Event, clock: FrozenClock
) -> Counter[DispatchOutcome]:
    total: Counter[DispatchOutcome] = Counter()
    while not done.is_set():
        counts = await dispatcher.run_once()
        total.update(counts)
        if not counts:
            # Nothing due for this worker: time passes while it idles. Without this, a message
            # put back for a retry (a 429 the limiter gave up on) would wait for a moment the
            # frozen clock never reaches once every other message is out.
            clock.advance(seconds=1)
            await asyncio.sleep(0.005)  # let the other worker run
    return total


async def all_sent(done: asyncio.Event) -> None:
    while await Message.filter(audience="debtor").exclude(status=MessageStatus.SENT).exists():
        await asyncio.sleep(0.02)
    done.set()


async def test_two_workers_and_a_slow_provider_send_each_message_once(
    db: str, settings: Settings, fake: FakeTelegram, clock: FrozenClock
) -> None:
    for n in range(MESSAGES):
        debtor = await make_debtor(f"Cliente {n} S.r.l.")
        await make_invoice(debtor, TODAY - dt.timedelta(days=8), 50_000)
    first, second = (worker_runtime(settings, fake, clock) for _ in range(2))
    assert (await plan(first)).queued_count == MESSAGES
    fake.slow_down(retry_after=7)
    config = DispatchConfig(batch_size=50, lease=dt.timedelta(seconds=30))
    workers = [Dispatcher(r, config, rng=random.Random(n)) for n, r in enumerate((first, second))]
    done = asyncio.Event()
    try:
        a = asyncio.create_task(work(workers[0], done, clock))
        b = asyncio.create_task(work(workers[1], done, clock))
        await asyncio.wait_for(all_sent(done), timeout=120)
        outcomes = [await a, await b]
    finally:
        done.set()
        await first.close()
        await second.close()

    chats = Counter(call.params["chat_id"] for call in fake.delivered)
    assert len(chats) == MESSAGES
    assert set(chats.values()) == {1}  # every debtor shown the reminder exactly once
    # The first batch did outlive its claim lease: rows changed hands and were not sent twice.
    assert sum(o[DispatchOutcome.LOST_LEASE] for o in outcomes) > 0
    assert sum(o[DispatchOutcome.SENT] for o in outcomes) == MESSAGES
    provider_ids = {m.provider_id for m in await Message.filter(audience="debtor")}
    assert len(provider_ids) == MESSAGES


async def test_a_lease_is_renewed_before_the_send_when_too_little_is_left(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=8))
    await plan(make_runtime(settings, clock))
    [lease] = await outbox_lease.claim(clock.now, dt.timedelta(minutes=5), 10)
    assert lease.until == NOW + dt.timedelta(minutes=5)

    # Four minutes later one is left, less than a send may take: it is renewed in the database.
    later = clock.advance(minutes=4)
    assert await outbox_lease.hold(lease, later, dt.timedelta(minutes=2))
    assert lease.until == later + dt.timedelta(minutes=2)
    row = await Message.get(id=lease.message_id)
    assert row.lease_until == lease.until and row.status is MessageStatus.SENDING


async def test_a_lease_taken_over_is_not_held_and_the_row_not_sent(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    sent: list[Any] = []

    class Recording:
        channel = Channel.TELEGRAM

        async def send(self, message: Any) -> str:
            sent.append(message.message_id)
            return f"tg-{len(sent)}"

        async def close(self) -> None:
            return None

    runtime = make_runtime(settings, clock, {Channel.TELEGRAM: Recording()})  # type: ignore[dict-item]
    debtor = await make_debtor()
    await make_invoice(debtor, TODAY - dt.timedelta(days=8))
    await plan(runtime)
    slow = Dispatcher(runtime, DispatchConfig())
    [(message_id, lease_until)] = await slow.claim()
    clock.advance(minutes=6)  # the claim lease ran out before the slow worker got to the row
    assert await Dispatcher(runtime, DispatchConfig()).drain() == {DispatchOutcome.SENT: 1}
    # The slow worker checks before it sends: the row is someone else's, nothing goes out.
    assert await slow.process(message_id, lease_until) is DispatchOutcome.LOST_LEASE
    assert sent == [message_id]
    stale = outbox_lease.Lease(message_id, lease_until)
    assert not await outbox_lease.hold(stale, clock.now, dt.timedelta(minutes=2))


def test_the_send_is_cut_off_before_its_lease_can_run_out() -> None:
    with pytest.raises(ValueError, match="send_timeout"):
        DispatchConfig(send_lease=dt.timedelta(seconds=60), send_timeout=dt.timedelta(seconds=60))
