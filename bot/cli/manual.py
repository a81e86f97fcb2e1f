"""Commands for what staff record by hand: `payments add` (cash, cheque, offsetting...) and
`writeoff record|limit` (bot/payments/manual.py, bot/writeoffs.py; docs/payments.md).

The audit's actor is the OS user who ran the command ("cli:<user>").
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid

from bot import db
from bot.config import Settings
from bot.models import PaymentMethod

METHOD_CHOICES = ("cash", "cheque", "offset", "transfer", "other")


def add_payment_commands(payments_sub: argparse._SubParsersAction) -> None:
    """`payments add`, beside `payments import-bank`."""
    add = payments_sub.add_parser(
        "add", help="record a payment that arrived by other ways (cash, cheque, offsetting)"
    )
    _ref_arguments(add)
    add.add_argument("--amount", required=True, help="e.g. 1.234,56 or 1234.56")
    add.add_argument("--date", default="", help="dd/mm/yyyy or yyyy-mm-dd (default: today)")
    add.add_argument("--method", choices=METHOD_CHOICES, default="other")
    add.add_argument("--note", default="")
    add.set_defaults(func=cmd_payments_add)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("writeoff", help="write off what cannot be collected; write-off limits")
    write_sub = p.add_subparsers(dest="writeoff_command", required=True, metavar="ACTION")
    record = write_sub.add_parser("record", help="write off a debtor, an invoice or an amount")
    _ref_arguments(record)
    record.add_argument("--amount", default="", help="default: everything open")
    record.add_argument("--reason", required=True, help="why it cannot be collected")
    record.set_defaults(func=cmd_writeoff)
    limit = write_sub.add_parser("limit", help="set how much a staff member may write off")
    limit.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")
    limit.add_argument("amount", metavar="AMOUNT", help="e.g. 500 or 1.000,00; 0: none")
    limit.set_defaults(func=cmd_writeoff_limit)


def _ref_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--debtor", metavar="REF", help="the customer code")
    which.add_argument("--invoice", metavar="NUMBER", help="the invoice number")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


async def cmd_payments_add(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.payments.manual import ManualError, PaidRequest, parse_cents, parse_day, record_manual
    from bot.texts import render

    now = clock.now()
    today = now.astimezone(settings.zone).date()
    language = settings.default_language
    await db.connect(settings.database_url)
    try:
        request = PaidRequest(
            ref=args.debtor or args.invoice,
            amount_cents=parse_cents(args.amount),
            day=parse_day(args.date, today) if args.date else today,
            method=PaymentMethod(args.method),
            note=args.note,
        )
        outcome = await record_manual(
            settings, now, request, actor=_actor(), provider_ref=f"cli:{uuid.uuid4().hex}"
        )
    except ManualError as error:
        text = render("staff/manual/error.txt", language, key=error.key, **error.context)
        print(f"error: {text}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(render("staff/manual/paid.txt", language, by=_actor(), **outcome.context()))
    return 0


async def cmd_writeoff(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock, writeoffs
    from bot.payments.manual import ManualError, find_ref, parse_cents
    from bot.texts import render

    language = settings.default_language
    await db.connect(settings.database_url)
    try:
        amount = parse_cents(args.amount) if args.amount else None
        debtor, invoice = await find_ref(args.debtor or args.invoice)
        if args.debtor and invoice is not None:  # --debtor names a customer code, not a number
            raise ManualError("unknown_ref", ref=args.debtor)
        outcome = await writeoffs.write_off(
            clock.now(),
            debtor=debtor,
            invoice=invoice,
            amount_cents=amount,
            reason=args.reason.strip()[: writeoffs.MAX_REASON],
            actor=_actor(),
        )
    except ManualError as error:
        text = render("staff/manual/error.txt", language, key=error.key, **error.context)
        print(f"error: {text}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(render("staff/manual/written_off.txt", language, by=_actor(), **outcome.context()))
    return 0


async def cmd_writeoff_limit(settings: Settings, args: argparse.Namespace) -> int:
    from bot.formats import money
    from bot.models import AuditEvent, StaffMember
    from bot.money import parse_amount

    try:
        cents = parse_amount(args.amount)
    except ValueError as exc:
        print(f"error: AMOUNT: {exc}", file=sys.stderr)
        return 2
    if cents < 0:
        print("error: AMOUNT: a limit cannot be negative", file=sys.stderr)
        return 2
    await db.connect(settings.database_url)
    try:
        member = await StaffMember.get_or_none(telegram_user_id=args.telegram_user_id)
        if member is None:
            print(
                f"error: no staff member with Telegram id {args.telegram_user_id}", file=sys.stderr
            )
            return 1
        member.writeoff_limit_cents = cents
        await member.save(update_fields=["writeoff_limit_cents"])
        await AuditEvent.create(
            actor=_actor(),
            action="staff.writeoff_limit",
            subject=f"staff:{member.id}",
            data={"writeoff_limit_cents": cents},
        )
    finally:
        await db.close()
    print(f"{member.name}: write-off limit {money(cents, 'EUR', 'en')}")
    return 0
