"""Benchmark: cadence planning over N invoices (N/3 debtors).

    python bench/cadence.py --invoices 100000                     # SQLite, a temporary file
    python bench/cadence.py --invoices 1000000 --database-url postgres://.../bench

Generates the data with raw SQL in a child process (so its memory does not count), then, in this
process: times planning (cadence.plan, writes included), a second run (everything already queued),
and the same selection written as one hand-written SQL query. Prints a JSON object as its last
line: seconds, invoices per second, peak RSS, and the ratio to the hand-written query.
Targets (issue 4): 100k invoices <= 10 s on SQLite; 1M <= 60 s on PostgreSQL; RSS <= 400 MB;
within 3x of the hand-written query.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db, sql  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.policy import Policy, load_policy  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from scheduler import cadence  # noqa: E402

# Wednesday 25 November 2026, 10:00 in Rome: planning runs "now".
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)
INVOICES_PER_DEBTOR = 3
STATUSES = (
    ["open"] * 80 + ["partially_paid"] * 5 + ["paid"] * 10 + ["disputed"] * 2 + ["in_plan"] * 3
)


def debtor_rows(debtors: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    created = NOW - dt.timedelta(days=400)
    for i in range(1, debtors + 1):
        paused = NOW + dt.timedelta(days=5) if rng.random() < 0.01 else None
        language = "en" if i % 10 == 0 else "it"
        zone = "America/New_York" if i % 50 == 0 else "Europe/Rome"
        yield (
            i,
            f"B{i:08d}",
            f"Cliente {i} S.r.l.",
            "",
            "",
            language,
            zone,
            None,
            "",
            paused,
            created,
            created,
            "D" if i % 20 == 0 else "C" if i % 10 == 0 else "",  # risk bands: policy_credit.py
        )


def contact_rows(debtors: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    created = NOW - dt.timedelta(days=400)
    n = 0
    for i in range(1, debtors + 1):
        n += 1
        opted = created if rng.random() < 0.02 else None
        channel = ("telegram", "whatsapp", "sms", "email")[i % 4]
        address = f"c{i}@example.it" if channel == "email" else f"+39333{i:07d}"
        yield (n, i, channel, address, False, 0, None, None, opted, None, None, "", "", created)
        if i % 5 == 0:  # a second address for some debtors
            n += 1
            yield (
                n,
                i,
                "email",
                f"d{i}@example.it",
                i % 25 == 0,
                1,
                None,
                None,
                None,
                None,
                None,
                "",
                "",
                created,
            )


def invoice_rows(debtors: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    created = NOW - dt.timedelta(days=400)
    n = 0
    for i in range(1, debtors + 1):
        for _ in range(INVOICES_PER_DEBTOR):
            n += 1
            due = TODAY + dt.timedelta(days=rng.randint(-90, 40))
            status = rng.choice(STATUSES)
            amount = rng.randint(5_000, 500_000)
            paid = (
                amount if status == "paid" else (amount // 3 if status == "partially_paid" else 0)
            )
            yield (
                n,
                f"FT-{n:09d}",
                due - dt.timedelta(days=30),
                due,
                amount,
                paid,
                0,
                "EUR",
                status,
                "",
                created,
                created,
                i,
            )


DEBTOR_COLUMNS = (
    "id, external_ref, name, vat_number, tax_code, language, timezone, credit_limit_cents, notes, "
    "paused_until, created_at, updated_at, risk_band"
)
CONTACT_COLUMNS = (
    "id, debtor_id, channel, address, is_pec, priority, verified_at, opted_in_at, opted_out_at, "
    "last_inbound_at, unreachable_at, unreachable_reason, opt_in_source, created_at"
)
INVOICE_COLUMNS = (
    "id, number, issue_date, due_date, amount_cents, paid_cents, discount_cents, currency, status, "
    "description, created_at, updated_at, debtor_id"
)


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def generate_sqlite(path: str, debtors: int) -> None:
    rng = random.Random(42)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    for table, columns, rows in (
        ("debtor", DEBTOR_COLUMNS, debtor_rows(debtors, rng)),
        ("contact_point", CONTACT_COLUMNS, contact_rows(debtors, rng)),
        ("invoice", INVOICE_COLUMNS, invoice_rows(debtors, rng)),
    ):
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

    rng = random.Random(42)
    conn = await asyncpg.connect(url.replace("asyncpg://", "postgresql://", 1))
    try:
        for table, columns, rows in (
            ("debtor", DEBTOR_COLUMNS, debtor_rows(debtors, rng)),
            ("contact_point", CONTACT_COLUMNS, contact_rows(debtors, rng)),
            ("invoice", INVOICE_COLUMNS, invoice_rows(debtors, rng)),
        ):
            names = [c.strip() for c in columns.split(",")]
            batch: list[tuple[object, ...]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    await conn.copy_records_to_table(table, records=batch, columns=names)
                    batch = []
            if batch:
                await conn.copy_records_to_table(table, records=batch, columns=names)
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def reset(url: str) -> None:
    await db.recreate(url)


def handwritten_query(postgres: bool, first_step_days: int) -> tuple[str, list[object]]:
    """The planner's selection in one statement, returning what a reminder needs: per debtor
    with a reachable contact and no pause, the open (not disputed, not in plan) invoices as a
    JSON list (id, number, due date, balance, currency; by due date), the anchor (most overdue
    invoice), total and count, and the preferred reachable contact point, for debtors whose
    oldest invoice has reached the first step."""
    if postgres:
        item = (
            "json_build_object('id', i.id, 'number', i.number, 'due_date', i.due_date, "
            "'balance_cents', i.amount_cents - i.paid_cents, 'currency', i.currency)"
        )
        listing = f"json_agg({item} ORDER BY i.due_date, i.id)"
        anchor = "(array_agg(i.id ORDER BY i.due_date, i.id))[1]"
        source = "invoice i"
    else:
        item = (
            "json_object('id', i.id, 'number', i.number, 'due_date', i.due_date, "
            "'balance_cents', i.amount_cents - i.paid_cents, 'currency', i.currency)"
        )
        listing = f"json_group_array({item})"
        anchor = "MIN(i.due_date || ':' || i.id)"
        source = "(SELECT * FROM invoice ORDER BY debtor_id, due_date, id) i"
    query = (
        f"SELECT i.debtor_id, d.name, d.language, d.timezone, MIN(i.due_date), {anchor}, "
        f"COUNT(*), SUM(i.amount_cents - i.paid_cents), {listing}, "
        "(SELECT c.channel || ' ' || c.address FROM contact_point c WHERE c.debtor_id = d.id "
        "AND c.opted_out_at IS NULL AND c.unreachable_at IS NULL ORDER BY c.priority, c.id "
        "LIMIT 1) "
        f"FROM {source} JOIN debtor d ON d.id = i.debtor_id "
        "WHERE i.status IN ('open', 'partially_paid') "
        "AND (d.paused_until IS NULL OR d.paused_until <= ?) "
        "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.debtor_id = d.id "
        "AND c.opted_out_at IS NULL AND c.unreachable_at IS NULL) "
        "GROUP BY i.debtor_id, d.id, d.name, d.language, d.timezone "
        "HAVING MIN(i.due_date) <= ?"
    )
    limit = TODAY - dt.timedelta(days=first_step_days)
    return query, [sql.db_time(NOW, postgres), sql.db_date(limit, postgres)]


def handwritten_insert(postgres: bool, policy: Policy) -> tuple[list[str], str, list[object]]:
    """The whole job in one hand-written statement: the same selection, the step by a CASE-like
    join on the policy's steps, the consolidated JSON context, inserted with ON CONFLICT DO
    NOTHING into a scratch copy of the outbox (same columns and indexes, no foreign keys).
    Returns (set-up statements, the insert, its parameters)."""
    steps = list(policy.steps)
    bounds = [
        (step.name, step.template, step.days, steps[i + 1].days if i + 1 < len(steps) else 100_000)
        for i, step in enumerate(steps)
    ]
    values = ", ".join(f"('{n}', '{t}', {lo}, {hi})" for n, t, lo, hi in bounds)
    if postgres:
        setup = [
            "DROP TABLE IF EXISTS message_copy",
            "CREATE TABLE message_copy (LIKE message INCLUDING ALL)",
        ]
        item = (
            "jsonb_build_object('id', i.id, 'number', i.number, 'due_date', i.due_date, "
            "'balance_cents', i.amount_cents - i.paid_cents, 'currency', i.currency)"
        )
        grouped = (
            "SELECT i.debtor_id, MIN(i.due_date) AS oldest, "
            "(array_agg(i.id ORDER BY i.due_date, i.id))[1] AS anchor, "
            f"jsonb_build_object('invoices', jsonb_agg({item} ORDER BY i.due_date, i.id), "
            "'total', SUM(i.amount_cents - i.paid_cents)) AS ctx "
        )
        age = "(?::date - g.oldest)"
        key = "'cadence:' || g.debtor_id || ':' || s.name || ':' || g.anchor"
    else:
        setup = [
            "DROP TABLE IF EXISTS message_copy",
            "CREATE TABLE message_copy AS SELECT * FROM message WHERE 0",
            "CREATE UNIQUE INDEX message_copy_key ON message_copy (idempotency_key)",
            "CREATE INDEX message_copy_status ON message_copy (status, scheduled_at)",
            "CREATE INDEX message_copy_debtor ON message_copy (debtor_id, direction, sent_at)",
            "CREATE INDEX message_copy_provider ON message_copy (provider_id)",
        ]
        item = (
            "json_object('id', i.id, 'number', i.number, 'due_date', i.due_date, "
            "'balance_cents', i.amount_cents - i.paid_cents, 'currency', i.currency)"
        )
        # SQLite: a bare column next to MIN() comes from the row holding the minimum.
        grouped = (
            "SELECT i.debtor_id, MIN(i.due_date) AS oldest, i.id AS anchor, "
            f"json_object('invoices', json_group_array(json({item})), "
            "'total', SUM(i.amount_cents - i.paid_cents)) AS ctx "
        )
        age = "CAST(julianday(?) - julianday(g.oldest) AS INTEGER)"
        key = "'cadence:' || g.debtor_id || ':' || s.name || ':' || g.anchor"
    insert = (
        f"WITH s(name, template, lo, hi) AS (VALUES {values}) "
        "INSERT INTO message_copy (debtor_id, direction, audience, template, step, context, "
        "body, options, chosen_option, attachments, status, idempotency_key, scheduled_at, "
        "attempts, last_error, created_at, updated_at) "
        f"SELECT g.debtor_id, 'out', 'debtor', s.template, s.name, g.ctx, '', '[]', '', '[]', "
        f"'pending', {key}, ?, 0, '', ?, ? FROM ({grouped}"
        "FROM invoice i JOIN debtor d ON d.id = i.debtor_id "
        "WHERE i.status IN ('open', 'partially_paid') "
        "AND (d.paused_until IS NULL OR d.paused_until <= ?) "
        "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.debtor_id = d.id "
        "AND c.opted_out_at IS NULL AND c.unreachable_at IS NULL) "
        f"GROUP BY i.debtor_id) AS g JOIN s ON {age} >= s.lo AND {age} < s.hi "
        # "WHERE true": SQLite needs it to read ON CONFLICT as the upsert clause.
        "WHERE true ON CONFLICT (idempotency_key) DO NOTHING"
    )
    now = sql.db_time(NOW, postgres)
    today = sql.db_date(TODAY, postgres)
    return setup, insert, [now, now, now, now, today, today]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, invoices: int, chunk: int) -> dict[str, object]:
    settings = Settings(_env_file=None, database_url=url, timezone="Europe/Rome")
    policy = load_policy(ROOT / "policy.toml")
    runtime = Runtime(settings=settings, policy=policy, now=lambda: NOW)
    await db.connect(url)
    try:
        postgres = sql.is_postgres()
        started = time.perf_counter()
        result = await cadence.plan(runtime, record=False, chunk_debtors=chunk)
        planning = time.perf_counter() - started
        rss = peak_rss_mb()  # before the hand-written query holds its whole answer in memory

        query, params = handwritten_query(postgres, policy.steps[0].days)
        started = time.perf_counter()
        selected = await sql.fetch(query, params)
        handwritten = time.perf_counter() - started
        selected_count = len(selected)
        del selected

        started = time.perf_counter()
        again = await cadence.plan(runtime, record=False, chunk_debtors=chunk)
        replanning = time.perf_counter() - started

        # The selection alone, as the preview runs it: read and decide, write nothing.
        started = time.perf_counter()
        await cadence.plan(runtime, record=False, dry_run=True, chunk_debtors=chunk)
        selecting = time.perf_counter() - started

        setup, insert, params = handwritten_insert(postgres, policy)
        for statement in setup:
            await sql.execute(statement)
        started = time.perf_counter()
        await sql.execute(insert, params)
        handwritten_insert_seconds = time.perf_counter() - started
        copied = (await sql.fetch("SELECT COUNT(*) FROM message_copy"))[0][0]
        await sql.execute("DROP TABLE message_copy")
    finally:
        await db.close()
    return {
        "database": "postgres" if postgres else "sqlite",
        "invoices": invoices,
        "debtors": invoices // INVOICES_PER_DEBTOR,
        "plan_seconds": round(planning, 3),
        "invoices_per_second": round(invoices / planning),
        "reminders_queued": result.queued_count,
        "staff_alerts_queued": result.alerts_queued,
        "skipped": {k.value: v for k, v in sorted(result.skip_counts.items())},
        "phase_seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "replan_seconds": round(replanning, 3),
        "replan_queued": again.queued_count,
        "handwritten_sql_seconds": round(handwritten, 3),
        "handwritten_sql_debtors": selected_count,
        "selection_seconds": round(selecting, 3),
        "selection_ratio_to_handwritten_select": round(selecting / handwritten, 2),
        "handwritten_insert_seconds": round(handwritten_insert_seconds, 3),
        "handwritten_insert_rows": int(copied),
        "plan_ratio_to_handwritten_insert": round(planning / handwritten_insert_seconds, 2),
        "peak_rss_mb": round(rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--chunk", type=int, default=cadence.DEFAULT_CHUNK_DEBTORS)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or f"sqlite://{tempfile.mkdtemp(prefix='bench-cadence-')}/bench.sqlite3"
    debtors = args.invoices // INVOICES_PER_DEBTOR

    if args.generate_only:
        if db.is_postgres_url(url):
            asyncio.run(generate_postgres(url, debtors))
        else:
            generate_sqlite(url.removeprefix("sqlite://"), debtors)
        return

    asyncio.run(reset(url))
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--generate-only",
            "--invoices",
            str(args.invoices),
            "--database-url",
            url,
        ],
        check=True,
    )
    generated = time.perf_counter() - started
    figures = asyncio.run(measure(url, debtors * INVOICES_PER_DEBTOR, args.chunk))
    figures["generate_seconds"] = round(generated, 1)
    for key, value in figures.items():
        if key != "skipped":
            print(f"{key:>28}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
