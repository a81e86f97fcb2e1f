"""python -m scheduler clock|worker: the clock and the outbox worker as their own processes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot import db
from bot.config import ConfigError, load_settings
from bot.policy import PolicyError
from bot.runtime import build_runtime


async def _serve(process: str) -> int:
    from scheduler.clock import run_clock
    from scheduler.dispatch import run_worker

    settings = load_settings()
    runtime = build_runtime(settings)
    await db.connect(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if process == "clock":
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
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(_serve(args.process))
    except (ConfigError, PolicyError, db.UnmigratedDatabase) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
