"""The command line: python -m bot <command>.

Each command (bot/cli/, one module per group) is a small async function that takes the settings
and the parsed arguments and returns an exit code. Start-up problems (a malformed setting, an
unmigrated database, a bad policy) end in one clear line on stderr and a non-zero exit code, never
a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from bot import db
from bot.cli import case, credit, database, operations, registry, reports, serve, setup
from bot.cli import rates as rates_cli
from bot.config import ConfigError, Settings, load_settings
from bot.flows_doc import add_flows_parser
from bot.policy import PolicyError
from bot.processes import run_main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Sollecito")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (database, setup, operations, serve, credit, reports, registry):
        group.add_commands(sub)
    rates_cli.add_commands(sub)
    add_flows_parser(sub)
    case.add_commands(sub)
    return parser


# A command: what runs once the settings are loaded; its int is the exit code.
Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def run_command(command: Command, args: argparse.Namespace) -> int:
    """Settings, logging and the event loop for one command (also `python -m scheduler`'s).

    A malformed setting, a bad policy or an unmigrated database ends in one line on stderr.
    """
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Library chatter (ORM start/stop, HTTP client lines) only when asked for DEBUG.
    if settings.log_level != "DEBUG":
        for noisy in ("tortoise", "httpx", "apscheduler", "aiosqlite", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return run_main(command(settings, args))
    except (ConfigError, PolicyError, db.UnmigratedDatabase) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
