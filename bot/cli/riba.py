"""`python -m bot payments import-riba FILE`: the bank's RiBa esiti flow (bot/payments/riba.py)
applied to the books (bot/payments/riba_apply.py), all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import db
from bot.config import Settings


def add_riba_command(payments_sub: argparse._SubParsersAction) -> None:
    riba = payments_sub.add_parser(
        "import-riba",
        help="apply a RiBa esiti flow (CBI, 120-character records): paid, unpaid, recalled",
    )
    riba.add_argument("file", metavar="FILE", help="the bank's RiBa return flow")
    riba.set_defaults(func=cmd_payments_import_riba)


async def cmd_payments_import_riba(settings: Settings, args: argparse.Namespace) -> int:
    from bot.payments.riba import RibaError
    from bot.payments.riba_apply import import_riba
    from bot.runtime import build_runtime

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 1
    runtime = build_runtime(settings)
    await db.connect(settings.database_url)
    try:
        report = await import_riba(runtime, path)
    except RibaError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    finally:
        await db.close()
        await runtime.close()
    print(
        f"{path.name}: {report.paid} paid, {report.unpaid} unpaid, {report.recalled} recalled, "
        f"{report.already} already imported; reopened: {', '.join(report.reopened) or '-'}; "
        f"reversed {report.reversed_cents / 100:.2f}, charges {report.fees_cents / 100:.2f}"
    )
    return 0
