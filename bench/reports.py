"""Benchmark: the staff reports over N invoices (N/10 debtors): /cashflow, /aging, /dso.

    python bench/reports.py --invoices 100000                     # SQLite, a temporary file
    python bench/reports.py --invoices 100000 --database-url postgres://.../bench

Generates the books with raw SQL in a child process: each debtor has its own habit (0-60 days
late), 60 % of the invoices were paid (one payment each, on the debtor's lateness give or take a
week), the rest open, partly paid, disputed, cancelled or in an active plan; some pending promises.
Then times, in this process, what each staff command does: read the figures, render the caption,
draw the PNG (matplotlib's import, which a process serving the staff chat does at start-up, is
reported apart, and so is the first chart drawn after it). Also the
ORM read of settled invoices (bot/credit/lateness.load_settled) against the grouped SQL read the
reports use (bot/credit/ledger.fetch_settled). Prints a JSON object as its last line.
Targets (issue 16): /cashflow over 100k invoices under 2 s on SQLite; a chart of 10,000 debtors
drawn in under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.chart_reports import chart_report, load_figures  # noqa: E402
from bot.charts import warm_up  # noqa: E402
from bot.credit.lateness import load_settled  # noqa: E402
from bot.credit.ledger import fetch_settled  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)
ROME = ZoneInfo("Europe/Rome")
INVOICES_PER_DEBTOR = 10
STATUSES = (
    ["paid"] * 60
    + ["open"] * 27
    + ["partially_paid"] * 4
    + ["disputed"] * 2
    + ["cancelled"] * 2
    + ["in_plan"] * 5
)
COLUMNS = {
    "debtor": "id, external_ref, name, vat_number, tax_code, language, timezone, "
    "credit_limit_cents, notes, paused_until, risk_band, risk_scored_at, erased_at, "
    "created_at, updated_at",
    "invoice": "id, number, issue_date, due_date, amount_cents, paid_cents, discount_cents, "
    "currency, status, description, created_at, updated_at, debtor_id",
    "payment": "id, amount_cents, currency, method, provider_ref, received_at, "
    "unallocated_cents, note, created_at, debtor_id, status",
    "payment_allocation": "id, amount_cents, invoice_id, payment_id",
    "payment_plan": "id, status, total_cents, currency, instalment_count, first_due_date, "
    "invoice_ids, requested_at, decided_at, note, debtor_id, decided_by_id",
    "instalment": "id, seq, due_date, amount_cents, paid_cents, status, plan_id",
    "promise_to_pay": "id, promised_date, amount_cents, status, invoice_ids, created_at, debtor_id",
}


def books(debtors: int) -> dict[str, list[tuple[object, ...]]]:
    rng = random.Random(16)
    created = NOW - dt.timedelta(days=400)
    rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in COLUMNS}
    n = 0
    for d in range(1, debtors + 1):
        habit = rng.choice((0, 0, 5, 10, 20, 30, 60))
        rows["debtor"].append(
            (d, f"R{d:08d}", f"Cliente {d} S.r.l.", "", "", "it", "Europe/Rome", None, "", None,
             "", None, None, created, created)
        )  # fmt: skip
        planned: list[int] = []
        for _ in range(INVOICES_PER_DEBTOR):
            n += 1
            status = rng.choice(STATUSES)
            due = TODAY + dt.timedelta(days=rng.randint(-300, 60))
            if status == "paid" and due + dt.timedelta(days=habit + 7) >= TODAY:
                status = "open"
            amount = rng.randint(5_000, 900_000)
            paid = amount if status == "paid" else amount // 3 if status == "partially_paid" else 0
            rows["invoice"].append(
                (n, f"FT-{n:09d}", due - dt.timedelta(days=30), due, amount, paid, 0, "EUR",
                 status, "", created, created, d)
            )  # fmt: skip
            if paid:
                late = max(habit + rng.randint(-7, 7), -5)
                at = min(
                    dt.datetime.combine(due, dt.time(10), dt.UTC) + dt.timedelta(days=late),
                    NOW - dt.timedelta(hours=1),
                )
                rows["payment"].append(
                    (n, paid, "EUR", "bank_transfer", f"b{n}", at, 0, "", at, d, "succeeded")
                )
                rows["payment_allocation"].append((n, paid, n, n))
            if status == "in_plan":
                planned.append(n)
        if planned:
            plan = len(rows["payment_plan"]) + 1
            rows["payment_plan"].append(
                (plan, "active", 300_000, "EUR", 3, TODAY, json.dumps(planned), created, created,
                 "", d, None)
            )  # fmt: skip
            for seq in (1, 2, 3):
                rows["instalment"].append(
                    (len(rows["instalment"]) + 1, seq, TODAY + dt.timedelta(days=30 * seq - 20),
                     100_000, 0, "due", plan)
                )  # fmt: skip
        if d % 25 == 0:
            rows["promise_to_pay"].append(
                (len(rows["promise_to_pay"]) + 1, TODAY + dt.timedelta(days=rng.randint(0, 20)),
                 None if d % 50 else 50_000, "pending", "[]", created, d)
            )  # fmt: skip
    return rows


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def generate_sqlite(path: str, debtors: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    for table, rows in books(debtors).items():
        columns = COLUMNS[table]
        marks = ", ".join("?" * len(columns.split(",")))
        conn.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            (tuple(_sqlite_value(v) for v in row) for row in rows),
        )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def generate_postgres(url: str, debtors: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("asyncpg://", "postgresql://", 1))
    try:
        for table, rows in books(debtors).items():
            names = [c.strip() for c in COLUMNS[table].split(",")]
            await conn.copy_records_to_table(table, records=rows, columns=names)
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def command(kind: str) -> tuple[float, float, float, int]:
    """What the staff command does: figures, caption and PNG. (seconds total, read, draw, bytes)"""
    started = time.perf_counter()
    figures = await load_figures(kind, ROME, TODAY)
    read = time.perf_counter() - started
    report = chart_report(kind, figures, "it")
    total = time.perf_counter() - started
    return total, read, total - read, len(report.png)


async def measure(url: str, invoices: int) -> dict[str, object]:
    await db.connect(url)
    try:
        figures: dict[str, object] = {
            "database": "postgres" if db.is_postgres_url(url) else "sqlite",
            "invoices": invoices,
            "debtors": invoices // INVOICES_PER_DEBTOR,
        }
        started = time.perf_counter()
        warm_up()  # what registering the staff chat's handlers does
        figures["matplotlib_import_seconds"] = round(time.perf_counter() - started, 3)
        first = await command("aging")  # the first chart drawn: fonts found, caches filled
        figures["first_chart_seconds"] = round(first[0], 3)
        for kind in ("cashflow", "aging", "dso"):
            runs = [await command(kind) for _ in range(3)]
            best = min(runs)
            figures[f"{kind}_seconds"] = round(best[0], 3)
            figures[f"{kind}_read_seconds"] = round(best[1], 3)
            figures[f"{kind}_draw_seconds"] = round(best[2], 3)
            figures[f"{kind}_png_bytes"] = best[3]
        started = time.perf_counter()
        settled = await fetch_settled(ROME)
        figures["settled_sql_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        orm = await load_settled(ROME)
        figures["settled_orm_seconds"] = round(time.perf_counter() - started, 3)
        figures["settled_invoices"] = len(settled)
        figures["settled_reads_equal"] = sorted(settled, key=lambda s: s.invoice_id) == sorted(
            orm, key=lambda s: s.invoice_id
        )
    finally:
        await db.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp(prefix='bench-reports-')}/b.sqlite3"
    debtors = args.invoices // INVOICES_PER_DEBTOR
    if args.generate_only:
        if db.is_postgres_url(url):
            asyncio.run(generate_postgres(url, debtors))
        else:
            generate_sqlite(url.removeprefix("sqlite://"), debtors)
        return
    asyncio.run(db.recreate(url))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--generate-only", "--invoices", str(args.invoices),
         "--database-url", url],
        check=True,
    )  # fmt: skip
    generated = time.perf_counter() - started
    figures = asyncio.run(measure(url, debtors * INVOICES_PER_DEBTOR))
    figures["generate_seconds"] = round(generated, 1)
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
