"""python -m scheduler clock|worker: the clock and the outbox worker as their own processes."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot import db
from bot.__main__ import run_command
from bot.config import Settings
from bot.processes import stop_on_signals
from bot.runtime import build_runtime


async def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from scheduler.clock import run_clock
    from scheduler.dispatch import run_worker

    runtime = build_runtime(settings)
    await db.connect(settings.database_url)
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        if args.process == "clock":
            await run_clock(runtime, stop=stop)
        else:
            await run_worker(runtime, stop=stop)
    finally:
        await runtime.close()
        await db.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler", description="Sollecito scheduler")
    parser.add_argument(
        "process",
        choices=("clock", "worker"),
        help="clock: plans the cadence and runs the checks; worker: sends the outbox",
    )
    return run_command(_serve, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
