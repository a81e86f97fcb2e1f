"""Tortoise's SQLite engine, with each statement run on the event loop's own thread.

Tortoise's SQLite client talks to the database through aiosqlite, which hands every call to a
thread of its own and wakes the event loop again with the result. On the inbound webhook, a dozen
statements an update, those hand-offs (a queue, a thread woken, the GIL passed back and forth, the
loop's self-pipe) cost more than the statements: about 1.1 of 3 ms of CPU per update
(bench/send.py), and under load the two threads wait on each other for the GIL. Here the same
aiosqlite connection runs each call at once on the calling thread, then yields to the event loop
once, as the hand-off did, so a long run of statements still lets other requests in between.

Everything else is Tortoise's own client: one connection, its lock serialising statements and
holding transactions, WAL and the PRAGMAs from the URL. A statement blocks the loop while SQLite
works: microseconds for the product's statements; a write lock held by another process (a
separate worker on the same file) waits up to sqlite3's 5 s busy timeout, as the aiosqlite
thread did, but with the loop waiting too.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its worker thread: every call runs on the caller's."""

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        result = fn(*args, **kwargs)
        await asyncio.sleep(0)  # other tasks run between two statements, as with the thread
        return result

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class InlineSqliteClient(SqliteClient):
    """Tortoise's SQLite client on an `InlineConnection` (its create_connection, but for that)."""

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        connector = partial(sqlite3.connect, self.filename, isolation_level=None)
        self._connection = await InlineConnection(connector, iter_chunk_size=64)
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        await self._post_connect()


# The name Tortoise looks for in an engine module ("engine": "bot.sqlite_engine").
client_class = InlineSqliteClient
