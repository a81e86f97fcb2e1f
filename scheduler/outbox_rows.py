"""Outbox rows in bulk: the multi-row insert cadence planning writes its reminders and alerts with.

``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING`` on SQLite and PostgreSQL alike,
so a key that exists (planned before, or by a planner racing this one) is skipped, never doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import sql

_INSERT_ROWS = 2_000  # 8 parameters a row: well under both databases' parameter limits

_MESSAGE_COLUMNS = (
    "debtor_id, direction, audience, channel, template, step, context, body, options, "
    "chosen_option, attachments, status, idempotency_key, scheduled_at, attempts, last_error, "
    "created_at, updated_at"
)
# Constants are written into the SQL; the eight per-row values are parameters.
_ROW_SQL = "(?, 'out', ?, ?, ?, ?, ?, '', ?, '', '[]', 'pending', ?, ?, 0, '', ?, ?)"


# PostgreSQL takes each column as one array parameter: one small statement per batch, however
# many rows, instead of thousands of parameters to parse and type. Only what differs from row to
# row goes in per row (debtor, context, key); the values rows share (step, template, options,
# send time...) go in once per batch as a small table the rows point into by number, so neither
# the driver nor the server handles the same options text a hundred thousand times.
_PG_INSERT_SQL = (
    "WITH shared AS MATERIALIZED ("
    "SELECT g, a, c, t, s, o::jsonb AS o, w, n "
    "FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
    "$10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS v(a, c, t, s, o, w, n, g)) "
    f"INSERT INTO message ({_MESSAGE_COLUMNS}) "
    "SELECT r.d, 'out', v.a, v.c, v.t, v.s, r.x::jsonb, '', v.o, '', '[]', 'pending', r.k, v.w, "
    "0, '', v.n, v.n "
    "FROM unnest($1::int[], $2::int[], $3::text[], $4::text[]) AS r(d, g, x, k) "
    "JOIN shared v ON v.g = r.g "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
)


async def _insert_postgres(batch: Sequence[tuple[Any, ...]]) -> list[str]:
    debtors: list[int | None] = []
    groups: list[int] = []
    contexts: list[str] = []
    keys: list[str] = []
    shared: dict[tuple[Any, ...], int] = {}
    for debtor_id, audience, channel, template, step, context, options, key, at, created in batch:
        values = (audience, channel, template, step, options, at, created)
        group = shared.get(values)
        if group is None:
            group = shared[values] = len(shared) + 1  # WITH ORDINALITY counts from 1
        debtors.append(debtor_id)
        groups.append(group)
        contexts.append(context)
        keys.append(key)
    columns = [list(column) for column in zip(*shared, strict=True)]
    rows = await sql.fetch(_PG_INSERT_SQL, [debtors, groups, contexts, keys, *columns])
    return [r[0] for r in rows]


async def insert_outbox_rows(rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert outbox rows, ignoring keys that exist; returns the keys actually inserted.

    Each row: (debtor_id, audience, channel, template, step, context_json, options_json,
    idempotency_key, scheduled_at, created_at) with datetimes already adapted (sql.db_time).
    """
    inserted: set[str] = set()
    postgres = sql.is_postgres()
    for start in range(0, len(rows), _INSERT_ROWS):
        batch = rows[start : start + _INSERT_ROWS]
        if postgres:
            inserted.update(await _insert_postgres(batch))
            continue
        values = ", ".join([_ROW_SQL] * len(batch))
        params: list[Any] = []
        for row in batch:
            params.extend(row)
            params.append(row[-1])  # updated_at = created_at
        query = (
            f"INSERT INTO message ({_MESSAGE_COLUMNS}) VALUES {values} "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
        )
        inserted.update(r[0] for r in await sql.fetch(query, params))
    return inserted
