"""Raw SQL for the hot paths (planning, claiming, inbound messages), for SQLite and PostgreSQL.

The ORM is fine for one row; planning a million invoices and claiming batches need set-based SQL,
and the inbound webhook, hundreds of messages a second, needs each of its few statements cheap: a
Tortoise query costs 0.15-0.45 ms of CPU to build, the same statement written here about 0.06 ms.
Rows read here become model instances again through `instance`, as Tortoise itself builds them;
`insert` writes one new row with the model's own defaults and hands it back as a model.
Queries are written with `?` placeholders and adapted here to the connected database: asyncpg
wants `$1, $2...`, datetimes as datetime objects and JSON as text; SQLite stores datetimes as ISO
text in the same format Tortoise writes ("2026-01-05 09:00:00+00:00"), so text order is time order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.fields import DateField, DatetimeField, Field, JSONField
from tortoise.models import Model

from bot import clock

M = TypeVar("M", bound=Model)

_PLACEHOLDER = re.compile(r"\?")


def connection() -> BaseDBAsyncClient:
    # get_connection, not the `connections` proxy: the proxy's attribute lookup fails over to
    # __getattr__ on every call, three times the cost, and every statement asks.
    return get_connection("default")


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    conn = conn or connection()
    return conn.capabilities.dialect == "postgres"


@lru_cache(maxsize=256)
def _numbered(query: str) -> str:
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", query)


def adapt_query(query: str, postgres: bool) -> str:
    return _numbered(query) if postgres else query


def db_time(value: dt.datetime | None, postgres: bool) -> Any:
    """A UTC datetime as the driver wants it."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    return value if postgres else value.isoformat(sep=" ")


def written_at(postgres: bool) -> Any:
    """Now, as an `updated_at` column wants it: what `bot.models.Stamp` would write."""
    return db_time(clock.now(), postgres)


def db_json(model: type[Model], field: str, value: Any) -> str:
    """A JSON value as the text Tortoise would store (cast `?::jsonb` on PostgreSQL)."""
    encoded: str = model._meta.fields_map[field].to_db_value(value, None)
    return encoded


@lru_cache(maxsize=64)
def columns(model: type[Model]) -> tuple[str, ...]:
    """A model's columns in a fixed order: a SELECT list whose rows `instance` turns into models."""
    return tuple(sorted(model._meta.db_fields))


def select_list(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{column}"' for column in columns(model))


@lru_cache(maxsize=64)
def _time_columns(model: type[Model]) -> tuple[int, ...]:
    """Where `columns(model)` has a datetime column."""
    meta = model._meta
    by_column = {
        column: meta.fields_map[name] for name, column in meta.fields_db_projection.items()
    }
    return tuple(
        index
        for index, column in enumerate(columns(model))
        if isinstance(by_column.get(column), DatetimeField)
    )


def instance(model: type[M], row: Sequence[Any], start: int = 0) -> M:
    """The model behind `row[start:]`, selected with `select_list(model, ...)`."""
    names = columns(model)
    values = list(tuple(row)[start : start + len(names)])
    for index in _time_columns(model):
        # SQLite hands datetimes back as ISO text. Read here with the standard library's parser,
        # the field then only sets the time zone; Tortoise's own parser (iso8601) took most of
        # the time of building a message row.
        text = values[index]
        if isinstance(text, str):
            with contextlib.suppress(ValueError):  # else left to the field's own parser
                values[index] = dt.datetime.fromisoformat(text)
    return model._init_from_db(**dict(zip(names, values, strict=True)))


def json_placeholder(postgres: bool) -> str:
    """Where a query takes JSON text: PostgreSQL casts it to jsonb, SQLite keeps the text."""
    return "?::jsonb" if postgres else "?"


def db_date(value: dt.date, postgres: bool) -> Any:
    return value if postgres else value.isoformat()


def _kind(field: Field[Any]) -> str:
    """How a field's value goes to the driver (see `_to_driver`)."""
    if isinstance(field, JSONField):
        return "json"
    if isinstance(field, DatetimeField):
        return "time"
    if isinstance(field, DateField):
        return "date"
    return "plain"


@lru_cache(maxsize=64)
def _insert_columns(model: type[Model]) -> tuple[tuple[str, str, Field[Any], str], ...]:
    """(field name, column, field, kind) for every column of a new row but a generated key."""
    meta = model._meta
    return tuple(
        (name, column, meta.fields_map[name], _kind(meta.fields_map[name]))
        for name, column in meta.fields_db_projection.items()
        if not (meta.fields_map[name].pk and meta.fields_map[name].generated)
    )


def _default_of(field: Field[Any]) -> Any:
    """The value the ORM would give a new row's field the caller left out."""
    if isinstance(field, DatetimeField) and (field.auto_now or field.auto_now_add):
        return clock.now()
    return field.default() if callable(field.default) else field.default


def _to_driver(value: Any, kind: str, field: Field[Any], postgres: bool) -> Any:
    if kind == "json":
        return field.to_db_value(value, None)
    if kind == "time":
        return db_time(value, postgres)
    if kind == "date":
        return db_date(value, postgres) if value is not None else None
    return value.value if isinstance(value, Enum) else value


Statement = tuple[str, Sequence[Any]]  # a query with `?` marks, and its values


@lru_cache(maxsize=64)
def _insert_query(
    model: type[Model], postgres: bool, unless_taken: str | None, rows: int = 1
) -> str:
    """The INSERT of `insert`: every column of `_insert_columns`, in that order, `rows` rows."""
    names: list[str] = []
    marks: list[str] = []
    for _name, column, _field, kind in _insert_columns(model):
        names.append(f'"{column}"')
        marks.append(json_placeholder(postgres) if kind == "json" else "?")
    conflict = f' ON CONFLICT ("{unless_taken}") DO NOTHING' if unless_taken else ""
    values = ", ".join([f"({', '.join(marks)})"] * rows)
    return (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(names)}) VALUES {values}'
        f'{conflict} RETURNING "{model._meta.db_pk_column}"'
    )


@lru_cache(maxsize=64)
def _together(insert_query: str | None, thens: tuple[str, ...], only_if_inserted: bool) -> str:
    """PostgreSQL: an INSERT ... RETURNING and UPDATEs in one statement (one round trip, one
    commit outside a transaction), answering the INSERT's ids; with `only_if_inserted` the
    UPDATEs change nothing unless a row was inserted. Without an INSERT, the UPDATEs alone."""
    condition = " AND EXISTS (SELECT 1 FROM inserted)" if only_if_inserted else ""
    parts = [f"inserted AS ({insert_query})"] if insert_query else []
    parts += [f"then_{n} AS ({then}{condition})" for n, then in enumerate(thens[:-1])]
    last = f"then_last AS ({thens[-1]}{condition})" if insert_query else thens[-1]
    if insert_query:
        return f"WITH {', '.join([*parts, last])} SELECT * FROM inserted"
    return f"WITH {', '.join(parts)} {last}" if parts else last


def _new_row(
    model: type[M], values: dict[str, Any], postgres: bool
) -> tuple[dict[str, Any], list[Any]]:
    """A new row's field values (defaults filled in) and its values for the driver."""
    row: dict[str, Any] = {}
    driver_values: list[Any] = []
    for name, _column, field, kind in _insert_columns(model):
        value = values[name] if name in values else _default_of(field)
        row[name] = value
        driver_values.append(_to_driver(value, kind, field, postgres))
    return row, driver_values


async def insert(
    model: type[M],
    values: dict[str, Any],
    *,
    unless_taken: str | None = None,
    then: Statement | None = None,
) -> M | None:
    """Write one new row in one statement and return it as a model; what `values` leaves out
    gets the model's default. With `unless_taken` (a unique column), None when the row's value
    there is already in use: a retried delivery, say. `then`, an UPDATE ... WHERE, runs only when
    the row was written; on PostgreSQL in the same statement."""
    conn = connection()
    postgres = is_postgres(conn)
    row, driver_values = _new_row(model, values, postgres)
    query = _insert_query(model, postgres, unless_taken)
    if then is not None and postgres:
        query = _together(query, (then[0],), True)
        driver_values.extend(then[1])
    inserted = await _fetch_on(conn, query, driver_values)
    if not inserted:
        return None
    if then is not None and not postgres:
        await _execute_on(conn, then[0], then[1])
    return model.construct(_saved_in_db=True, **{model._meta.pk_attr: inserted[0][0]}, **row)


async def insert_rows(
    model: type[M], rows: Sequence[dict[str, Any]], *, then: Sequence[Statement] = ()
) -> list[M]:
    """Write new rows as `insert` does, in order, and run `then` (UPDATEs) with them: on
    PostgreSQL all in one statement, one round trip."""
    conn = connection()
    postgres = is_postgres(conn)
    built = [_new_row(model, values, postgres) for values in rows]
    if not postgres:
        ids = []
        for _row, driver_values in built:
            query = _insert_query(model, postgres, None)
            ids.append((await _fetch_on(conn, query, driver_values))[0][0])
        for statement, values in then:
            await _execute_on(conn, statement, values)
    elif built or then:
        insert_query = _insert_query(model, postgres, None, len(built)) if built else None
        query = _together(insert_query, tuple(statement for statement, _ in then), False)
        values = [value for _row, driver_values in built for value in driver_values]
        values += [value for _statement, then_values in then for value in then_values]
        # One statement takes its ids from the sequence in the order of its rows.
        ids = sorted(row[0] for row in await _fetch_on(conn, query, values))
    pk = model._meta.pk_attr
    return [
        model.construct(_saved_in_db=True, **{pk: key}, **row)
        for key, (row, _values) in zip(ids, built, strict=True)
    ]


def parse_time(value: Any) -> dt.datetime | None:
    """A datetime read back from either database, as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


async def fetch(query: str, values: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """Rows as tuples (or asyncpg Records); works for SELECT and for INSERT/UPDATE ... RETURNING."""
    return await _fetch_on(connection(), query, values)


async def _fetch_on(
    conn: BaseDBAsyncClient, query: str, values: Sequence[Any]
) -> list[Sequence[Any]]:
    postgres = is_postgres(conn)
    sql = adapt_query(query, postgres)
    async with conn.acquire_connection() as raw:
        if postgres:
            return list(await raw.fetch(sql, *values))
        return list(await raw.execute_fetchall(sql, list(values)))


async def execute(query: str, values: Sequence[Any] = ()) -> None:
    await _execute_on(connection(), query, values)


async def _execute_on(conn: BaseDBAsyncClient, query: str, values: Sequence[Any]) -> None:
    postgres = is_postgres(conn)
    sql = adapt_query(query, postgres)
    async with conn.acquire_connection() as raw:
        if postgres:
            await raw.execute(sql, *values)
        else:
            await raw.execute(sql, list(values))  # Tortoise opens SQLite in autocommit mode


async def insert_many(
    model: type[Model], rows: Sequence[dict[str, Any]], batch: int = 100
) -> list[int]:
    """Write many new rows as `insert` does (defaults filled in), `batch` rows a statement, and
    return their ids in the order of `rows` (a statement's ids come from the sequence in order)."""
    conn = connection()
    postgres = is_postgres(conn)
    ids: list[int] = []
    for start in range(0, len(rows), batch):
        built = [_new_row(model, values, postgres)[1] for values in rows[start : start + batch]]
        query = _insert_query(model, postgres, None, len(built))
        values = [value for driver_values in built for value in driver_values]
        ids += sorted(row[0] for row in await _fetch_on(conn, query, values))
    return ids
