"""SMS (Twilio) benchmark: outbound SMS sends and the inbound SMS webhook, against the fake Twilio.

    .venv/bin/python bench/sms.py [--messages 1000] [--concurrency 10] [--database-url URL]

- send: the SMS sender (real twilio client, async HTTP) creates --messages messages on the fake
  Messages API (tests/providers/twilio/fake_twilio.py) with --concurrency requests in flight.
- inbound: --messages signed inbound SMS are POSTed over HTTP to our app (uvicorn on 127.0.0.1),
  --concurrency at a time. Each is verified (X-Twilio-Signature), stored, answered by the flow
  engine and the reply sent through the real twilio client to the fake API before the webhook
  returns, so the latency includes one REST round trip.

Runs on a fresh SQLite file; with --database-url on that PostgreSQL database, whose public schema
is DROPPED. The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake servers live in tests/

import httpx  # noqa: E402

from bot import db  # noqa: E402
from bot.channels.base import OutgoingMessage  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Channel, ContactPoint, Debtor  # noqa: E402
from tests.providers.twilio.twilio_app import SMS_FROM, twilio_stack  # noqa: E402


async def reset(url: str) -> None:
    await db.recreate(url)
    await db.connect(url)


def phone(index: int) -> str:
    return f"+39333{index:07d}"


async def seed(count: int) -> None:
    debtors = [
        Debtor(external_ref=f"B{index:05d}", name=f"Debitore {index} S.r.l.")
        for index in range(count)
    ]
    await Debtor.bulk_create(debtors)
    saved = await Debtor.all().order_by("id")
    await ContactPoint.bulk_create(
        [
            ContactPoint(debtor=debtor, channel=Channel.SMS, address=phone(index))
            for index, debtor in enumerate(saved)
        ]
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(messages: int, concurrency: int, url: str) -> dict[str, object]:
    await reset(url)
    await seed(200)
    settings = Settings(
        _env_file=None,
        database_url=url,
        public_base_url="https://sollecito.example",
        policy_file=ROOT / "policy.toml",
    )
    figures: dict[str, object] = {"database": "postgres" if db.is_postgres_url(url) else "sqlite"}
    async with twilio_stack(settings) as stack:
        sender = stack.runtime.sender(Channel.SMS)
        gate = asyncio.Semaphore(concurrency)

        async def send(index: int) -> None:
            async with gate:
                await sender.send(OutgoingMessage(Channel.SMS, phone(index % 200), "Promemoria"))

        started = time.perf_counter()
        await asyncio.gather(*(send(index) for index in range(messages)))
        elapsed = time.perf_counter() - started
        figures["send_per_second"] = round(messages / elapsed, 1)

        latencies: list[float] = []
        statuses: dict[int, int] = {}
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
            path = "/twilio/inbound"
            public_url = settings.public_base_url + path

            async def post(index: int) -> None:
                params = stack.fake.inbound_params(phone(index % 200), SMS_FROM, "Ciao")
                headers = {"X-Twilio-Signature": stack.fake.signature(public_url, params)}
                async with gate:
                    began = time.perf_counter()
                    response = await client.post(stack.app_url + path, data=params, headers=headers)
                    latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(post(index) for index in range(messages)))
            elapsed = time.perf_counter() - started
        figures.update(
            inbound_per_second=round(messages / elapsed, 1),
            inbound_p50_ms=round(statistics.median(latencies) * 1000, 1),
            inbound_p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
            inbound_statuses=statuses,
            replies_recorded_by_fake=len(stack.fake.requests) - messages,
        )
    await db.close()
    figures.update(messages=messages, concurrency=concurrency)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
        figures = asyncio.run(run(args.messages, args.concurrency, url))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
