"""Rate commands: `rates add reference 2027-H1 2.00`, `rates add legal 2027 1.50` (appends the
next period to bot/escalation/rates/, checked) and `rates show` (the tables and whether they are
out of date)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    rates = sub.add_parser("rates", help="the interest rate tables (docs/interest.md)")
    actions = rates.add_subparsers(dest="rates_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="append the next period's rate to a table")
    add.add_argument("table", choices=("reference", "legal"), help="which table")
    add.add_argument("period", help="2027-H1 (reference) or 2027 (legal)")
    add.add_argument("percent", help="percent a year, e.g. 2.15 or 2,15")
    add.add_argument("--dir", type=Path, default=None, help="another folder of rate files")
    add.set_defaults(func=cmd_rates_add)
    show = actions.add_parser("show", help="the tables' last periods, and a warning if stale")
    show.set_defaults(func=cmd_rates_show)


async def cmd_rates_add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.escalation.rates import FILES, append_rate

    try:
        line = append_rate(args.table, args.period, args.percent, args.dir)
    except ValueError as exc:
        print(f"error: {FILES[args.table]}: {exc}", file=sys.stderr)
        return 1
    print(f"{FILES[args.table]}: added {line}")
    return 0


async def cmd_rates_show(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.escalation.rates import FILES, default_rates, stale_warnings

    rates = default_rates()
    for table in (rates.reference, rates.legal):
        period, percent = table.entries[-1]
        first = table.entries[0][0]
        print(f"{FILES[table.kind]}: {first} to {period}, last rate {percent}%")
    today = clock.now().astimezone(settings.zone).date()
    for warning in stale_warnings(rates, today):
        print(f"warning: {warning}")
    return 0
