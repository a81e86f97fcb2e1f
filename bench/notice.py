"""Benchmark: formal notices opened by the cadence and approved, per notice.

    python bench/notice.py [--debtors 200] [--database-url URL]

Seeds `--debtors` business debtors whose cycles have reached the final (formal) step (two overdue
invoices each, the three reminders in the log), then times on a fixed clock: one planning run
(each notice: the claim, the protocol number, the PDF rendered and written, the staff card with
the PDF queued), and approving every notice (the outbox row with the PDF). Sends nothing. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.decisions.notices import approve_notice  # noqa: E402
from bot.models import (  # noqa: E402
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    FormalNotice,
    Invoice,
    Message,
    MessageStatus,
    StaffMember,
)
from bot.policy import load_policy  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from scheduler.cadence import plan  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Rome
TODAY = NOW.date()


async def seed(count: int) -> None:
    for n in range(count):
        debtor = await Debtor.create(
            external_ref=f"N{n:05d}", name=f"Cliente {n} S.r.l.", vat_number=f"IT{n:011d}"
        )
        await ContactPoint.create(
            debtor=debtor, channel=Channel.EMAIL, address=f"c{n}@pec.example.it", is_pec=True
        )
        first = await Invoice.create(
            number=f"A-{n:05d}",
            debtor=debtor,
            issue_date=TODAY - dt.timedelta(days=100),
            due_date=TODAY - dt.timedelta(days=70),
            amount_cents=123_456 + n,
        )
        await Invoice.create(
            number=f"B-{n:05d}",
            debtor=debtor,
            issue_date=TODAY - dt.timedelta(days=95),
            due_date=TODAY - dt.timedelta(days=65),
            amount_cents=50_000,
        )
        for back, step in enumerate(("overdue_3", "overdue_2", "overdue_1")):
            await Message.create(
                debtor=debtor, direction=Direction.OUTBOUND, channel=Channel.EMAIL, step=step,
                template=step, status=MessageStatus.SENT,
                idempotency_key=f"cadence:{debtor.id}:{step}:{first.id}",
                sent_at=NOW - dt.timedelta(days=8 + 7 * back),
            )  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-notice-"))
    url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
    settings = Settings(
        _env_file=None, database_url=url, var_dir=tmp / "var", secret_key="bench",
        bank_iban="IT60X0542811101000000123456", telegram_staff_chat_id=-100,
        policy_file=ROOT / "policy.toml",
    )  # fmt: skip
    runtime = Runtime(settings=settings, policy=load_policy(settings.policy_file), now=lambda: NOW)
    await db.recreate(url)
    await db.connect(url)
    try:
        await seed(args.debtors)
        started = time.perf_counter()
        result = await plan(runtime)
        plan_s = time.perf_counter() - started
        staff = await StaffMember.create(telegram_user_id=1, name="Bench")
        started = time.perf_counter()
        for notice in await FormalNotice.all():
            await approve_notice(runtime, notice, staff)
        approve_s = time.perf_counter() - started
        opened = await FormalNotice.all().count()
        pdf_bytes = sum(Path(n.pdf_path).stat().st_size for n in await FormalNotice.all())
    finally:
        await db.close()
    assert opened == args.debtors == result.queued_count
    print(
        json.dumps(
            {
                "database": "postgres" if db.is_postgres_url(url) else "sqlite",
                "notices": opened,
                "plan_seconds": round(plan_s, 3),
                "ms_per_notice_opened": round(1000 * plan_s / opened, 2),
                "ms_per_notice_approved": round(1000 * approve_s / opened, 2),
                "average_pdf_bytes": pdf_bytes // opened,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
