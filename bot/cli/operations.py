"""Commands for running the books: payments import-bank, parked events, the day's preview."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot import db
from bot.cli import manual
from bot.cli.riba import add_riba_command
from bot.config import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("payments", help="payment tools")
    payments_sub = p.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    bank = payments_sub.add_parser(
        "import-bank",
        help="match bank statement credits (CSV, camt.053/054, CBI RH) to invoices and record them",
    )
    bank.add_argument(
        "file", metavar="FILE", help="the bank statement (format told by content, not by name)"
    )
    bank.set_defaults(func=cmd_payments_import_bank)
    manual.add_payment_commands(payments_sub)  # payments add (bot/cli/manual.py)
    manual.add_commands(sub)  # writeoff record|limit
    add_riba_command(payments_sub)  # payments import-riba (bot/cli/riba.py)

    p = sub.add_parser("events", help="webhook events parked because they did not fit")
    events_sub = p.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    listing = events_sub.add_parser("parked", help="list parked events (not yet replayed)")
    listing.add_argument("--all", action="store_true", help="replayed ones too")
    listing.set_defaults(func=cmd_events)
    again = events_sub.add_parser("replay", help="run a parked event through its handler again")
    again.add_argument("event_id", type=int, metavar="ID")
    again.set_defaults(func=cmd_events)

    p = sub.add_parser("preview", help="what the cadence would send on a day, and who is skipped")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day to preview (default: today)")
    p.set_defaults(func=cmd_preview)


async def cmd_payments_import_bank(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.cli.riba import cmd_payments_import_riba
    from bot.payments.bank_csv import BankFileError
    from bot.payments.reconcile import import_bank_file
    from bot.payments.riba import looks_like_riba_esiti

    path = Path(args.file)
    if path.is_file() and looks_like_riba_esiti(path.read_bytes().decode("latin-1")):
        # A RiBa esiti flow given to import-bank: told by its content, applied as import-riba.
        return await cmd_payments_import_riba(settings, args)
    await db.connect(settings.database_url)
    try:
        report = await import_bank_file(settings, clock.now(), Path(args.file))
    except BankFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(report.render(settings.default_language))
    return 0 if report.ok else 1


async def cmd_events(settings: Settings, args: argparse.Namespace) -> int:
    """Parked webhook events: list them, or replay one through its handler after a fix."""
    from bot.runtime import build_runtime

    runtime = build_runtime(settings) if args.events_command == "replay" else None
    await db.connect(settings.database_url)
    try:
        if runtime is not None:
            return await _replay_event(runtime, args.event_id)
        return await _list_parked(include_replayed=args.all)
    finally:
        await db.close()
        if runtime is not None:
            await runtime.close()


async def _replay_event(runtime: Runtime, event_id: int) -> int:
    from bot import parking

    result = await parking.replay(runtime, event_id)
    print(f"#{event_id}: {result.outcome}", file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


async def _list_parked(*, include_replayed: bool) -> int:
    from bot import parking

    events = await parking.parked_events(include_replayed=include_replayed)
    for event in events:
        status = "parked"
        if event.replayed_at is not None:
            status = f"replayed {event.replayed_at:%Y-%m-%d %H:%M} ({event.replay_outcome})"
        print(
            f"#{event.id:<6} {event.received_at:%Y-%m-%d %H:%M} UTC  {event.provider:<8} "
            f"{event.kind:<36} {status}\n        {event.reason}"
        )
    print(f"{len(events)} event(s)" + ("" if include_replayed else " waiting for a replay"))
    return 0


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.runtime import build_runtime
    from scheduler.preview import build_preview, render_preview

    try:
        day = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print(f"error: --date {args.date!r} is not a date like 2026-12-01", file=sys.stderr)
        return 2
    runtime = build_runtime(settings)
    await db.connect(settings.database_url)
    try:
        preview = await build_preview(runtime, day)
    finally:
        await db.close()
        await runtime.close()
    print(render_preview(preview, runtime))
    return 0
