"""Commands that set the product up: policy check, texts review, import, staff, link."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import db
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument(
        "--fatturapa",
        nargs="+",
        metavar="PATH",
        help="FatturaPA invoices: .xml, .xml.p7m, or .zip archives of them (docs/fatturapa.md)",
    )
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


async def cmd_policy_check(settings: Settings, args: argparse.Namespace) -> int:
    import bot.providers.twilio.segments  # noqa: F401  (registers the SMS segment-budget check)
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
    if getattr(args, "fatturapa", None) and (args.debtors or args.invoices):
        print("error: import --fatturapa on its own, the CSV files in another run", file=sys.stderr)
        return 2
    if getattr(args, "fatturapa", None):
        return await cmd_import_fatturapa(settings, args)
    if not args.debtors and not args.invoices:
        print("error: give --debtors FILE.csv, --invoices FILE.csv or both", file=sys.stderr)
        return 2
    from bot import clock
    from bot.credit.alerts import credit_scope
    from bot.policy import load_policy

    # The policy's payment terms date invoices imported without a due date; its risk bands
    # say which debtors the import moves into a worse band (staff are alerted).
    # (A debtors-only import needs no policy file; without one it checks no credit.)
    needed = args.invoices or settings.policy_file.exists()
    policy = load_policy(settings.policy_file) if needed else None
    terms = policy.payment_terms_days if policy is not None and args.invoices else None
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
            credit=credit_scope(settings, policy, clock.now()) if policy is not None else None,
        )
    finally:
        await db.close()
    print(report.render())
    return 0 if report.ok else 1


async def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.formats import money
    from bot.models import StaffRole
    from bot.money import parse_amount
    from bot.staff import active_staff, deactivate_staff, register_staff

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


async def cmd_link(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.channels.base import SendError
    from bot.linking import UnknownDebtor, issue_link

    username = settings.telegram_bot_username
    if not username and settings.telegram_enabled:
        from bot.providers.telegram.sender import fetch_bot_username

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


async def cmd_import_fatturapa(settings: Settings, args: argparse.Namespace) -> int:
    """`import --fatturapa PATH...`; the policy's terms date invoices without DatiPagamento."""
    from bot.importers.fatturapa import run_fatturapa_import
    from bot.policy import load_policy

    policy = load_policy(settings.policy_file)
    await db.connect(settings.database_url)
    try:
        report = await run_fatturapa_import(
            [Path(path) for path in args.fatturapa],
            dry_run=args.dry_run,
            default_language=settings.default_language,
            default_timezone=settings.timezone,
            payment_terms_days=policy.payment_terms_days,
        )
    finally:
        await db.close()
    print(report.render())
    return 0 if report.ok else 1
