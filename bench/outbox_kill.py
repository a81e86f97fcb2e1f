"""Benchmark: the outbox's at-least-once window under kill -9.

    python bench/outbox_kill.py --database-url postgres://.../bench_kill --messages 3000 --kills 20

Queues one reminder per debtor (bench/dispatch.py's data), starts a fake Telegram Bot API on
127.0.0.1 and 4 worker processes (the real Dispatcher and the real Telegram sender, each process
with its own bot token so the fake knows who sent what), then kills a random worker with SIGKILL
every 0.3-1.2 s and starts a new one in its place, `--kills` times or for `--seconds`, whichever
comes first. Then the workers drain the outbox in peace and are stopped.

A kill "landed in the window" when the killed process had a message accepted by the provider that
its row does not record as that delivery: the provider took it, the row was never written. Only
such a kill may cause a duplicate, so the bench checks duplicates <= kills in the window, and that
every message went out. The leases are short here (claim 6 s, send 5 s) so the killed workers'
rows come back within the run. PostgreSQL only (several workers). The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake servers live in tests/

from bench.dispatch import NOW, prepare, runtime_for  # noqa: E402
from bot import db, sql  # noqa: E402
from bot.models import Channel  # noqa: E402
from bot.providers.telegram.sender import TelegramSender, make_bot  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from scheduler.dispatch import DispatchConfig, Dispatcher  # noqa: E402
from tests.providers.telegram.fake_telegram import FakeTelegram  # noqa: E402

WORKERS = 4
CONFIG = DispatchConfig(
    batch_size=20,
    lease=dt.timedelta(seconds=6),
    send_lease=dt.timedelta(seconds=5),
    send_timeout=dt.timedelta(seconds=4),
    idle_sleep=0.2,
)


def shifted_clock(offset: float) -> Callable[[], dt.datetime]:
    """Every process reads the same clock: the wall clock moved to the bench's Wednesday."""

    def now() -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time() + offset, dt.UTC)

    return now


async def work(url: str, token: str, api: str, offset: float) -> None:
    """One worker process: dispatch until killed."""
    await db.connect(url)
    base = runtime_for(url)
    settings = base.settings.model_copy(
        update={"telegram_bot_token": token, "telegram_api_base_url": api}
    )
    senders = dict(base.senders)
    senders[Channel.TELEGRAM] = TelegramSender(make_bot(settings))
    runtime = Runtime(settings, base.policy, senders, now=shifted_clock(offset))
    await Dispatcher(runtime, CONFIG).run()


class Pool:
    """The worker processes, each known to the fake by its own token."""

    def __init__(self, url: str, fake: FakeTelegram, offset: float) -> None:
        self.url, self.fake, self.offset = url, fake, offset
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.born = 0

    async def start_one(self) -> None:
        self.born += 1
        token = f"{700000 + self.born}:KILLBENCH-{self.born}"
        self.fake.allow_token(token)
        args = ["--work", "--database-url", self.url, "--token", token]
        args += ["--api", self.fake.base_url, "--offset", repr(self.offset)]
        self.procs[token] = await asyncio.create_subprocess_exec(sys.executable, __file__, *args)

    async def kill_one(self, rng: random.Random) -> str:
        token = rng.choice(sorted(self.procs))
        proc = self.procs.pop(token)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        return token

    async def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        self.procs.clear()


async def landed_in_window(fake: FakeTelegram, token: str) -> bool:
    """Whether the killed process had a message accepted that its row does not record."""
    await asyncio.sleep(0.05)  # a request already on the wire is answered after the kill
    accepted = {
        call.params["chat_id"]: f"{call.params['chat_id']}:{call.result['message_id']}"
        for call in fake.delivered
        if call.token == token
    }
    if not accepted:
        return False
    rows = await sql.fetch(
        "SELECT cp.address, m.provider_id FROM message m "
        "JOIN contact_point cp ON cp.id = m.contact_point_id "
        "WHERE m.audience = 'debtor' AND m.status = 'sent'"
    )
    recorded = {str(address): provider_id for address, provider_id in rows}
    return any(recorded.get(chat) != provider_id for chat, provider_id in accepted.items())


async def wait_until_sent(seconds: float) -> int:
    """Wait for the outbox to empty; the rows still not sent when the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        rows = await sql.fetch(
            "SELECT COUNT(*) FROM message WHERE audience = 'debtor' AND status <> 'sent'"
        )
        left = int(rows[0][0])
        if left == 0 or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.2)


async def run(url: str, kills: int, seconds: float, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    fake = await FakeTelegram("1:KILLBENCH-parent").start()
    offset = NOW.timestamp() - time.time()
    pool = Pool(url, fake, offset)
    await db.connect(url)
    started = time.monotonic()
    done, in_window = 0, 0
    try:
        for _ in range(WORKERS):
            await pool.start_one()
        while done < kills and time.monotonic() - started < seconds:
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            token = await pool.kill_one(rng)
            done += 1
            in_window += await landed_in_window(fake, token)
            await pool.start_one()
        left = await wait_until_sent(300)
    finally:
        await pool.stop()
        await db.close()
        await fake.stop()
    chats = Counter(call.params["chat_id"] for call in fake.delivered)
    duplicates = sum(n - 1 for n in chats.values())
    return {
        "kills": done,
        "kills_in_window": in_window,
        "duplicates": duplicates,
        "delivered": len(fake.delivered),
        "messages_reached": len(chats),
        "not_sent": left,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--work", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    parser.add_argument("--api", default="", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not db.is_postgres_url(args.database_url):
        raise SystemExit("--database-url must be PostgreSQL: several workers share the outbox")
    if args.work:
        asyncio.run(work(args.database_url, args.token, args.api, args.offset))
        return
    queued = asyncio.run(prepare(args.database_url, args.messages))
    figures: dict[str, object] = {"database": "postgres", "workers": WORKERS, "messages": queued}
    figures.update(asyncio.run(run(args.database_url, args.kills, args.seconds, args.seed)))
    figures["lease_seconds"] = {
        "claim": CONFIG.lease.total_seconds(),
        "send": CONFIG.send_lease.total_seconds(),
        "send_timeout": CONFIG.send_timeout.total_seconds(),
    }
    ok = figures["duplicates"] <= figures["kills_in_window"] and figures["not_sent"] == 0  # type: ignore[operator]
    figures["duplicates_within_kills_in_window"] = ok
    print(json.dumps(figures))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
