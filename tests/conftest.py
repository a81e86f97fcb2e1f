"""Shared fixtures.

The database under test comes from TEST_DATABASE_URL (default: a temporary SQLite file). It is
migrated once per session with the real migrations; every test that asks for `db` starts from
empty tables.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from tortoise import Tortoise, connections

from bot import clock
from bot import db as database
from bot.config import Settings, test_settings
from tests.support.postgres import ensure_postgres_database

# Property tests run the same examples on every run: CI must not go red on a draw of luck. To
# hunt for new examples locally: pytest --hypothesis-profile=explore
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", derandomize=False, deadline=None)
hypothesis_settings.load_profile("repeatable")

_TMP = Path(tempfile.mkdtemp(prefix="sollecito-test-"))


def _worker_url(url: str | None) -> str:
    """The database this test process uses. Each pytest-xdist worker gets its own: on SQLite a
    file in its own temporary folder, on PostgreSQL a database named after the one given plus the
    worker's name (test_gw0, test_gw1), created on the same server when missing."""
    if not url:
        return f"sqlite://{_TMP}/test.sqlite3"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or not database.is_postgres_url(url):
        return url
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    ensure_postgres_database(url, f"{name}_{worker}")
    return f"{base}/{name}_{worker}" + (f"?{query}" if query else "")


DATABASE_URL = _worker_url(test_settings().database_url)


def pytest_report_header() -> list[str]:
    # Under libfaketime (.ci/run) this shows the day the whole run believes it is.
    wall = clock.wall()
    return [f"database under test: {DATABASE_URL}", f"wall clock: {wall:%Y-%m-%d %H:%M} UTC"]


@pytest.fixture(autouse=True)
def _wall_clock_after_each_test() -> Iterator[None]:
    """A runtime a test built installs its clock for the process; the next test starts afresh."""
    yield
    clock.install(clock.wall)


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return _TMP


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings as a test sees them: no provider credentials, nothing read from .env."""
    return Settings(
        _env_file=None,
        database_url=DATABASE_URL,
        # Explicit: Tortoise overwrites os.environ["TIMEZONE"] with its own "UTC" at init.
        timezone="Europe/Rome",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key",
        public_base_url="https://sollecito.example",
        policy_file=Path(__file__).resolve().parent.parent / "policy.toml",
    )


@pytest.fixture(scope="session")
async def migrated_database() -> AsyncIterator[str]:
    # From nothing, so the migrations under test run for real.
    await database.recreate(DATABASE_URL)
    await database.connect(DATABASE_URL)
    yield DATABASE_URL
    await database.close()


def _table_names() -> list[str]:
    return [model._meta.db_table for model in Tortoise.apps["models"].values()]


@pytest.fixture
async def db(migrated_database: str) -> AsyncIterator[str]:
    """An empty, migrated database."""
    conn = connections.get("default")
    tables = _table_names()
    if database.is_postgres_url(migrated_database):
        quoted = ", ".join(f'"{name}"' for name in tables)
        await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        statements = ["PRAGMA foreign_keys = OFF"]
        statements += [f'DELETE FROM "{name}"' for name in tables]
        statements += ["DELETE FROM sqlite_sequence", "PRAGMA foreign_keys = ON"]
        await conn.execute_script(";\n".join(statements))
    yield migrated_database
