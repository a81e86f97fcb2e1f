"""The command line: python -m bot <command>.

Each command is a small async function that takes the settings and the parsed arguments and
returns an exit code. Start-up problems (a malformed setting, an unmigrated database, a bad policy)
end in one clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import db
from bot.config import ConfigError, Settings, load_settings
from bot.policy import PolicyError
from bot.processes import run_main

if TYPE_CHECKING:
    from bot.runtime import Runtime


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = await db.migrate(settings.database_url)
    await db.close()
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


async def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    """Write a migration for model changes; with --check, only say whether one is needed."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    # The autodetector compares the models with the migration files, not with a database.
    config = db.tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as context:
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    if not writers:
        print("no model changes")
        return 0
    if args.check:
        print("models changed without a migration: run `python -m bot makemigrations --name ...`")
        return 1
    for writer in writers:
        if args.name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{args.name}"
        print(f"created {writer.write()}")
    return 0


async def cmd_policy_check(settings: Settings, args: argparse.Namespace) -> int:
    import bot.channels.segments  # noqa: F401  (registers the SMS segment-budget check)
    from bot.policy import load_policy
    from bot.policy_description import describe_policy

    path = Path(args.file) if args.file else settings.policy_file
    policy = load_policy(path)
    print(describe_policy(policy, settings))
    return 0


async def cmd_texts_review(settings: Settings, args: argparse.Namespace) -> int:
    """Render every template into docs/messages.md; with --check, only say whether it is current."""
    from bot.review import REVIEW_FILE, render_review, write_review

    if args.check:
        current = (
            REVIEW_FILE.exists() and REVIEW_FILE.read_text(encoding="utf-8") == render_review()
        )
        if not current:
            print(f"{REVIEW_FILE} is not current: run `python -m bot texts review`")
            return 1
        print(f"{REVIEW_FILE} is current")
        return 0
    changed = write_review()
    print(f"{'wrote' if changed else 'unchanged:'} {REVIEW_FILE}")
    return 0


async def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    if not args.debtors and not args.invoices:
        print("error: give --debtors FILE.csv, --invoices FILE.csv or both", file=sys.stderr)
        return 2
    from bot.policy import load_policy

    # The policy's payment terms date invoices imported without a due date.
    terms = load_policy(settings.policy_file).payment_terms_days if args.invoices else None
    await db.connect(settings.database_url)
    try:
        from bot.importers import run_import

        report = await run_import(
            debtors=Path(args.debtors) if args.debtors else None,
            invoices=Path(args.invoices) if args.invoices else None,
            dry_run=args.dry_run,
            default_language=settings.default_language,
            default_timezone=settings.timezone,
            payment_terms_days=terms,
        )
    finally:
        await db.close()
    print(report.render())
    return 0 if report.ok else 1


async def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.models import StaffRole
    from bot.money import parse_amount
    from bot.staff import active_staff, deactivate_staff, register_staff
    from bot.texts import money

    await db.connect(settings.database_url)
    try:
        if args.staff_command == "add":
            try:
                limit = parse_amount(args.limit)
            except ValueError as exc:
                print(f"error: --limit: {exc}", file=sys.stderr)
                return 2
            member, created = await register_staff(
                args.telegram_user_id, args.name, StaffRole(args.role), limit, actor="cli"
            )
            verb = "registered" if created else "updated"
            print(f"{verb} {member.name} ({member.role.value}, limit {money(limit, 'EUR', 'en')})")
        elif args.staff_command == "remove":
            if not await deactivate_staff(args.telegram_user_id, actor="cli"):
                print(
                    f"error: no staff member with Telegram id {args.telegram_user_id}",
                    file=sys.stderr,
                )
                return 1
            print(f"deactivated {args.telegram_user_id}")
        else:
            for member in await active_staff():
                limit = money(member.approval_limit_cents, "EUR", "en")
                role = member.role.value
                print(f"{member.telegram_user_id:>12}  {member.name:<30} {role:<10} {limit}")
    finally:
        await db.close()
    return 0


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.processes import run_all, serve_web
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)  # logs which channels are live and which sandboxed
    await db.connect(settings.database_url)
    try:
        if args.command == "run":
            await run_all(runtime)
        else:
            await serve_web(runtime)
    finally:
        await runtime.close()
        await db.close()
    return 0


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(settings)


async def cmd_link(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.channels.base import SendError
    from bot.linking import UnknownDebtor, issue_link

    username = settings.telegram_bot_username
    if not username and settings.telegram_enabled:
        from bot.channels.telegram import fetch_bot_username

        try:
            username = await fetch_bot_username(settings)
        except SendError as exc:
            print(
                f"error: cannot ask Telegram for the bot's username: {exc.reason}", file=sys.stderr
            )
            return 1
    await db.connect(settings.database_url)
    try:
        link = await issue_link(args.debtor_ref, settings, username, clock.now())
    except UnknownDebtor as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(
        f"Telegram link for {link.debtor.name} (valid until {link.expires_at:%Y-%m-%d %H:%M} UTC):"
    )
    print(link.url)
    print(f"QR code: {link.qr_path}")
    if link.placeholder_username:
        print(
            "note: no TELEGRAM_BOT_USERNAME or TELEGRAM_BOT_TOKEN is set (sandbox), so the link "
            "shows a placeholder username; the token in it is real.",
            file=sys.stderr,
        )
    return 0


async def cmd_payments_import_bank(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.payments.reconcile import BankFileError, import_bank_file

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Sollecito")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("makemigrations", help="write a migration for model changes (developers)")
    p.add_argument("--name", default=None, help="a name for the migration file")
    p.add_argument("--check", action="store_true", help="exit 1 if a migration is missing")
    p.set_defaults(func=cmd_makemigrations)

    p = sub.add_parser("policy", help="credit policy tools")
    policy_sub = p.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    check = policy_sub.add_parser("check", help="validate a policy file and print its cadence")
    check.add_argument("file", nargs="?", help="policy file (default: POLICY_FILE)")
    check.set_defaults(func=cmd_policy_check)

    p = sub.add_parser("texts", help="the texts debtors and staff read")
    texts_sub = p.add_subparsers(dest="texts_command", required=True, metavar="ACTION")
    review = texts_sub.add_parser(
        "review", help="render every template, both languages, into docs/messages.md"
    )
    review.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    review.set_defaults(func=cmd_texts_review)

    p = sub.add_parser("import", help="import debtors and invoices from CSV")
    p.add_argument("--debtors", metavar="FILE.csv")
    p.add_argument("--invoices", metavar="FILE.csv")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("staff", help="register the staff who decide in the staff chat")
    staff_sub = p.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = staff_sub.add_parser("add", help="add or update a staff member")
    add.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["admin", "controller", "viewer"], default="controller")
    add.add_argument("--limit", default="0", help="approval limit in euros, e.g. 5000 or 5.000,00")
    add.set_defaults(func=cmd_staff)
    remove = staff_sub.add_parser("remove", help="deactivate a staff member")
    remove.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")
    remove.set_defaults(func=cmd_staff)
    staff_sub.add_parser("list", help="list active staff").set_defaults(func=cmd_staff)

    p = sub.add_parser("link", help="print a debtor's Telegram deep link and write its QR code")
    p.add_argument("debtor_ref", metavar="DEBTOR_REF", help="the debtor's external reference")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("payments", help="payment tools")
    payments_sub = p.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    bank = payments_sub.add_parser(
        "import-bank", help="match bank statement credits (CSV) to invoices and record them"
    )
    bank.add_argument("file", metavar="FILE.csv", help="the bank statement export")
    bank.set_defaults(func=cmd_payments_import_bank)

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

    p = sub.add_parser("serve", help="the web process: webhooks, pay pages, health")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="all in one process: web, clock, worker, Telegram polling")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="run the demo on a fresh SQLite database, sandbox channels")
    p.set_defaults(func=cmd_demo)

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
