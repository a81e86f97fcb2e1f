"""Benchmark: outbox dispatch throughput through the sandbox channel, 1 and 4 workers.

    python bench/dispatch.py --messages 4000 --database-url postgres://.../bench

Queues one reminder per debtor with the real planner, then runs the real worker (Dispatcher) in
separate processes, as `python -m scheduler worker` does, first 1 and then 4 at once, each time
from the same pending outbox. Checks that every message was sent exactly once. Prints a JSON object
as its last line. Several workers need PostgreSQL (SKIP LOCKED); on SQLite only 1 worker runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db, sql  # noqa: E402
from bot.channels.sandbox import SandboxSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Channel  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from scheduler import cadence  # noqa: E402
from scheduler.dispatch import DispatchConfig, Dispatcher  # noqa: E402
from scheduler.outbox_record import DispatchOutcome  # noqa: E402

# Wednesday 25 November 2026, 10:00 in Rome: inside every debtor's contact window.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)


def runtime_for(url: str) -> Runtime:
    settings = Settings(
        _env_file=None,
        database_url=url,
        timezone="Europe/Rome",
        secret_key="bench",
        public_base_url="https://sollecito.example",
        telegram_staff_chat_id=-1,
    )
    senders = {channel: SandboxSender(channel) for channel in Channel}
    return Runtime(
        settings=settings,
        policy=load_policy(ROOT / "policy.toml"),
        senders=senders,  # type: ignore[arg-type]
        now=lambda: NOW,
    )


async def prepare(url: str, messages: int) -> int:
    await db.recreate(url)
    await db.connect(url)
    try:
        created = sql.db_time(NOW, sql.is_postgres())
        due = sql.db_date(TODAY - dt.timedelta(days=8), sql.is_postgres())
        issued = sql.db_date(TODAY - dt.timedelta(days=38), sql.is_postgres())
        for start in range(1, messages + 1, 1000):
            ids = range(start, min(start + 1000, messages + 1))
            for i in ids:
                await sql.execute(
                    "INSERT INTO debtor (id, external_ref, name, vat_number, tax_code, language, "
                    "timezone, notes, created_at, updated_at) "
                    "VALUES (?, ?, ?, '', '', 'it', 'Europe/Rome', '', ?, ?)",
                    (i, f"B{i:07d}", f"Cliente {i} S.r.l.", created, created),
                )
                await sql.execute(
                    "INSERT INTO contact_point (debtor_id, channel, address, is_pec, priority, "
                    "unreachable_reason, opt_in_source, created_at) "
                    "VALUES (?, 'telegram', ?, false, 0, '', '', ?)",
                    (i, str(100000 + i), created),
                )
                await sql.execute(
                    "INSERT INTO invoice (number, issue_date, due_date, amount_cents, paid_cents, "
                    "discount_cents, currency, status, description, created_at, updated_at, "
                    "debtor_id) VALUES (?, ?, ?, 123456, 0, 0, 'EUR', 'open', '', ?, ?, ?)",
                    (f"FT-{i:07d}", issued, due, created, created, i),
                )
        if sql.is_postgres():
            await sql.execute("SELECT setval('debtor_id_seq', (SELECT MAX(id) FROM debtor))")
        result = await cadence.plan(runtime_for(url), now=NOW, record=False)
    finally:
        await db.close()
    return result.queued_count


async def reset_outbox(url: str) -> None:
    await db.connect(url)
    try:
        await sql.execute(
            "UPDATE message SET status = 'pending', sent_at = NULL, provider_id = NULL, "
            "lease_until = NULL, attempts = 0, channel = NULL WHERE audience = 'debtor'"
        )
        await sql.execute("DELETE FROM message WHERE audience = 'staff'")
    finally:
        await db.close()


async def work(url: str, batch: int) -> int:
    """One worker process: drain the outbox, return how many it sent."""
    await db.connect(url)
    try:
        dispatcher = Dispatcher(runtime_for(url), DispatchConfig(batch_size=batch))
        counts = await dispatcher.drain(max_batches=1_000_000)
    finally:
        await db.close()
    return counts.get(DispatchOutcome.SENT, 0)


async def verify(url: str) -> tuple[int, int]:
    await db.connect(url)
    try:
        rows = await sql.fetch(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM message "
            "WHERE audience = 'debtor' AND status = 'sent'"
        )
    finally:
        await db.close()
    return int(rows[0][0]), int(rows[0][1])


def run_workers(url: str, workers: int, batch: int) -> tuple[float, int]:
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--work", "--database-url", url, "--batch", str(batch)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    sent = 0
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed with exit code {proc.returncode}")
        sent += int(out.strip().splitlines()[-1])
    return time.perf_counter() - started, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--work", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp(prefix='bench-dispatch-')}/b.sqlite3"
    if args.work:
        print(asyncio.run(work(url, args.batch)))
        return

    queued = asyncio.run(prepare(url, args.messages))
    figures: dict[str, object] = {
        "database": "postgres" if db.is_postgres_url(url) else "sqlite",
        "messages": queued,
        "batch": args.batch,
    }
    worker_counts = (1, 4) if db.is_postgres_url(url) else (1,)
    for workers in worker_counts:
        asyncio.run(reset_outbox(url))
        seconds, sent = run_workers(url, workers, args.batch)
        total, distinct = asyncio.run(verify(url))
        if not (sent == total == distinct == queued):
            raise SystemExit(f"{workers} workers: sent {sent}, rows {total}/{distinct} of {queued}")
        figures[f"workers_{workers}_seconds"] = round(seconds, 2)
        figures[f"workers_{workers}_messages_per_second"] = round(queued / seconds, 1)
        print(f"{workers} worker(s): {queued} messages in {seconds:.2f} s", file=sys.stderr)
    figures["sent_once_each"] = True
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
