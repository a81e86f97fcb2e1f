"""The product's one clock.

Every rule (cadence, promises, plans, quiet hours, timeouts) asks `runtime.now()`, and every row the
database layer stamps (`created_at`, `updated_at`, ...) is stamped with the same clock: a `Runtime`
installs its clock here when it is built, and `bot.models.Stamp` reads it. This module is the only
place in bot/ and scheduler/ that reads the wall clock (docs/ARCHITECTURE.md, "Time").

A process normally has one runtime, whose clock is `wall`; a test or a simulation builds a runtime
with a clock of its own (a frozen or accelerated one) and everything, stamps included, follows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def wall() -> dt.datetime:
    """The machine's time, in UTC."""
    return dt.datetime.now(dt.UTC)


_current: Clock = wall


def now() -> dt.datetime:
    """The process's current time (UTC, aware), from the clock the runtime installed."""
    return _current()


def install(clock: Clock) -> None:
    """Make `clock` the process's clock. `Runtime` calls it; tests reset it to `wall` after each."""
    global _current
    _current = wall if clock is now else clock


def installed() -> Clock:
    return _current
