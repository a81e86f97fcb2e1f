"""Database set-up: Tortoise configuration, migrations, and the start-up check for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor

APP_LABEL = "models"
MIGRATIONS_MODULE = "bot.migrations"
# Tortoise turns SQLite URL query parameters into PRAGMAs; an explicit one in the URL wins.
SQLITE_SYNCHRONOUS = "synchronous=NORMAL"
SQLITE_ENGINE = "tortoise.backends.sqlite"


class UnmigratedDatabase(Exception):
    """The database lacks migrations that the code needs."""


APPS: dict[str, dict[str, Any]] = {
    APP_LABEL: {
        "models": ["bot.models"],
        "migrations": MIGRATIONS_MODULE,
        "default_connection": "default",
    }
}


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": APPS,
        "use_tz": True,
        "timezone": "UTC",
    }


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        # Relative SQLite paths are made on first use: the demo runs on a fresh checkout.
        path, _, query = url.removeprefix("sqlite://").partition("?")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if "synchronous=" not in query:
            # WAL (Tortoise's default) with synchronous=NORMAL: a commit survives a crash of the
            # process; only an OS crash or power loss can lose the last few. FULL fsyncs every
            # commit and costs ~1-3 ms each (docs/ARCHITECTURE.md, "SQLite durability").
            url += ("&" if query else "?") + SQLITE_SYNCHRONOUS
    return url


def _connection(url: str) -> dict[str, Any]:
    """The URL as Tortoise takes it, expanded: SQLite on bot/sqlite_engine.py (statements on the
    event loop's thread); the PostgreSQL pool with `_keep_session`."""
    config = expand_db_url(_normalise_url(url))
    if is_postgres_url(url):
        config["credentials"].setdefault("reset", _keep_session)
    elif config["engine"] == SQLITE_ENGINE:
        config["engine"] = "bot.sqlite_engine"
    return config


async def _keep_session(connection: object) -> None:
    """What the asyncpg pool runs on a connection given back, instead of its default reset.

    The default ("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL") is one more
    round trip after every statement outside a transaction, and undoes what the product never
    does on a pooled connection: no session advisory lock (the clock's lives on a connection of
    its own, scheduler/clock.py), no cursor held open, no LISTEN, no SET. asyncpg still rolls back
    a transaction left open before it runs this.
    """


def is_postgres_url(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


async def connect(database_url: str) -> None:
    """Open the database for the process. Refuses an unmigrated one."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    pending = await pending_migrations()
    if pending:
        await close()
        raise UnmigratedDatabase(
            f"the database is missing {len(pending)} migration(s) ({', '.join(pending)}); "
            "run `python -m bot migrate` first"
        )


async def close() -> None:
    await Tortoise.close_connections()


async def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connections.get("default"), APPS)
    steps = await executor.plan()
    return [step.migration.name for step in steps if not step.backward]


async def migrate(database_url: str) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    applied: list[str] = []

    def progress(event: str, _app: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    await tortoise_migrate(config=tortoise_config(database_url), progress=progress)
    return applied


async def recreate(database_url: str) -> None:
    """Drop everything and migrate from scratch. Destroys data: tests and benchmarks only.

    PostgreSQL loses its whole public schema; SQLite its file. The connection is left closed.
    """
    if is_postgres_url(database_url):
        await Tortoise.init(config=tortoise_config(database_url))
        await connections.get("default").execute_script(
            "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
        )
        await Tortoise.close_connections()
    elif database_url != "sqlite://:memory:":
        Path(database_url.removeprefix("sqlite://").split("?", 1)[0]).unlink(missing_ok=True)
    await migrate(database_url)
    await close()
