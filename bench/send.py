"""Channel benchmarks: sending within the providers' limits, and inbound webhook throughput.

    .venv/bin/python bench/send.py [--seconds 60] [--parts telegram_send,telegram_inbound]
                                   [--inbound-rate 300] [--database-url URL]

Parts (each a function in PARTS; a channel adds its own there):
- telegram_send: the Telegram sender (python-telegram-bot with its AIORateLimiter) sends to many
  chats for --seconds against the fake Bot API server (tests/fake_telegram.py), which enforces
  Telegram's 30 messages per second over a sliding one-second window and answers 429 beyond it.
  Goal (issue 3): at least 28.5 messages/s achieved, zero 429s.
- telegram_inbound: updates are POSTed at --inbound-rate per second (open loop: each on its own
  schedule, whatever the previous one's latency) to our ASGI app, in process through
  httpx.ASGITransport, with the real secret header. Each goes through PTB's Application, the
  inbound normalisation, the database (SQLite file, or --database-url, whose public schema is
  DROPPED) and the flow engine. Replies are recorded by the sandbox sender: at 300 updates/s the
  replies are bound by Telegram's 30/s outbound limit and belong to the outbox, not to the
  webhook's latency. Button presses are answered (answerCallbackQuery) on the fake server over
  loopback. Goal: at least 300 updates/s with p95 latency under 20 ms, in one process.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake servers live in tests/

import httpx  # noqa: E402

from bot import db  # noqa: E402
from bot.channels.base import OutgoingMessage, SendError  # noqa: E402
from bot.channels.sandbox import SandboxSender  # noqa: E402
from bot.channels.telegram import TelegramSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.handlers.telegram import SECRET_HEADER, WEBHOOK_PATH  # noqa: E402
from bot.inbound import InboundEvent, receive  # noqa: E402
from bot.models import Channel, ContactPoint, Debtor  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.web import create_app  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.telegram_updates import button_update, message_update  # noqa: E402

TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"
TELEGRAM_LIMIT = 30  # messages per second, as Telegram documents it
SEND_WORKERS = 8  # concurrent senders: enough to keep the limiter busy, few to drain at the end
LINKED_CHATS = 200
CALIBRATION = 200  # updates timed one at a time before the open-loop run


def _settings(fake: FakeTelegram, database_url: str, var_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        var_dir=var_dir,
        secret_key="bench-secret-key",
        policy_file=ROOT / "policy.toml",
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_secret=SECRET,
    )


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def telegram_send(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fake = await FakeTelegram(TOKEN, max_messages_per_second=TELEGRAM_LIMIT).start()
    sender = TelegramSender.from_settings(_settings(fake, "sqlite://:memory:", workdir))
    errors: dict[str, int] = {}
    sent = 0
    deadline = 0.0

    async def worker(number: int) -> None:
        nonlocal sent
        chat = 100_000 + number
        while time.monotonic() < deadline:
            message = OutgoingMessage(
                channel=Channel.TELEGRAM, address=str(chat), text=f"Promemoria {sent}"
            )
            try:
                await sender.send(message)
                sent += 1
            except SendError as exc:
                errors[exc.outcome.value] = errors.get(exc.outcome.value, 0) + 1
            chat += SEND_WORKERS

    await sender.bot.initialize()  # getMe before the clock starts
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(*(worker(n) for n in range(SEND_WORKERS)))
    elapsed = time.monotonic() - started
    await sender.close()
    await fake.stop()
    rate = sent / elapsed
    # As Telegram would see it: messages per second between the first and the last arrival.
    arrivals = [call.at for call in fake.calls_to("sendMessage")]
    steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    print(f"telegram send: {sent} in {elapsed:.1f} s = {rate:.2f}/s, 429s: {fake.rate_limited}")
    return {
        "seconds": round(elapsed, 1),
        "messages": sent,
        "messages_per_second": round(rate, 2),
        "messages_per_second_at_server": round(steady, 2),
        "server_429s": fake.rate_limited,
        "send_errors": errors,
        "goal_met": rate >= 28.5 and fake.rate_limited == 0 and not errors,
    }


async def _fresh_database(url: str) -> None:
    await db.recreate(url)
    await db.connect(url)


async def telegram_inbound(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite://{workdir}/inbound.sqlite3"
    await _fresh_database(url)
    fake = await FakeTelegram(TOKEN).start()
    settings = _settings(fake, url, workdir)
    sandbox = {channel: SandboxSender(channel) for channel in Channel}
    policy = load_policy(settings.policy_file)
    runtime = Runtime(settings=settings, policy=policy, senders=dict(sandbox))
    for number in range(LINKED_CHATS):
        debtor = await Debtor.create(external_ref=f"B{number:04d}", name=f"Cliente {number}")
        await ContactPoint.create(
            debtor=debtor, channel=Channel.TELEGRAM, address=str(500_000 + number)
        )

    def update(number: int) -> dict[str, Any]:
        # Mostly linked debtors writing, some pressing buttons, some strangers.
        kind = number % 10
        if kind == 0:
            return button_update(number, 500_000 + number % LINKED_CHATS, "pay_now")
        if kind == 1:
            return message_update(number, 900_000 + number, "chi siete?")
        return message_update(number, 500_000 + number % LINKED_CHATS, "ho pagato ieri")

    app = create_app(runtime)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {SECRET_HEADER: SECRET}

            async def post(number: int) -> None:
                began = time.perf_counter()
                response = await client.post(WEBHOOK_PATH, json=update(number), headers=headers)
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            await post(1)  # warm-up: getMe, first queries
            # Where the time goes, one update at a time: the whole webhook, then receive() alone.
            began = time.perf_counter()
            for number in range(CALIBRATION):
                await post(2_000_000 + number)
            webhook_ms = (time.perf_counter() - began) / CALIBRATION * 1000
            began = time.perf_counter()
            for number in range(CALIBRATION):
                event = InboundEvent(
                    channel=Channel.TELEGRAM,
                    address=str(500_000 + number % LINKED_CHATS),
                    provider_event_id=str(3_000_000 + number),
                    text="ho pagato ieri",
                )
                await receive(runtime, event)
            receive_ms = (time.perf_counter() - began) / CALIBRATION * 1000
            latencies.clear()
            statuses.clear()
            total = int(args.seconds * args.inbound_rate)
            tasks = []
            cpu_started = time.process_time()
            started = time.monotonic()
            for number in range(total):
                due = started + number / args.inbound_rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(10 + number)))
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - started
            cpu_seconds = time.process_time() - cpu_started
    replies = len(sandbox[Channel.TELEGRAM].sent)
    await fake.stop()
    await db.close()
    handled = statuses.get(200, 0)
    rate = handled / elapsed
    p50 = _percentile(latencies, 0.50) * 1000
    p95 = _percentile(latencies, 0.95) * 1000
    print(
        f"telegram inbound: {handled} updates in {elapsed:.1f} s = {rate:.0f}/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, statuses {statuses}"
    )
    return {
        "transport": "httpx.ASGITransport (in process)",
        "database": "postgres" if db.is_postgres(url) else "sqlite",
        "seconds": round(elapsed, 1),
        "offered_per_second": args.inbound_rate,
        "updates": handled,
        "updates_per_second": round(rate, 1),
        "latency_ms": {
            "p50": round(p50, 2),
            "p95": round(p95, 2),
            "p99": round(_percentile(latencies, 0.99) * 1000, 2),
            "mean": round(statistics.fmean(latencies) * 1000, 2),
        },
        "sequential_ms_per_update": {
            "webhook_total": round(webhook_ms, 2),
            "inbound_receive_only": round(receive_ms, 2),
            "webhook_layer": round(webhook_ms - receive_ms, 2),
        },
        # One process serves at most 1000 / this many updates per second, however they are
        # scheduled. Counts the load generator and the fake Bot API too: they share the process.
        "process_cpu_ms_per_update": round(cpu_seconds / max(handled, 1) * 1000, 2),
        "statuses": {str(code): count for code, count in statuses.items()},
        "replies_recorded": replies,
        "callback_answers": len(fake.calls_to("answerCallbackQuery")),
        "goal_met": rate >= 300 and p95 < 20 and set(statuses) == {200},
    }


Part = Callable[[argparse.Namespace, Path], Awaitable[dict[str, Any]]]
PARTS: dict[str, Part] = {
    "telegram_send": telegram_send,
    "telegram_inbound": telegram_inbound,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each timed part")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}"
    )
    parser.add_argument("--inbound-rate", type=float, default=300.0, help="updates offered per s")
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema is DROPPED)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.parts.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")

    figures: dict[str, Any] = {"bench": "send", "seconds_per_part": args.seconds}
    with tempfile.TemporaryDirectory(prefix="sollecito-bench-") as tmp:
        for name in chosen:
            figures[name] = asyncio.run(PARTS[name](args, Path(tmp)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
