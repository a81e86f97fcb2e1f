"""A PostgreSQL database for one test process, created on the server the suite was pointed at."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg


def ensure_postgres_database(url: str, name: str) -> None:
    """Create the database `name` on the server of `url` (connecting to `url`'s own database)
    unless it exists. Runs before any event loop of the tests, at collection."""
    asyncio.run(_ensure(url, name))


async def _ensure(url: str, name: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            quoted = '"' + name.replace('"', '""') + '"'
            # Another worker may make it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f"CREATE DATABASE {quoted}")
    finally:
        await connection.close()
