"""Credit commands: `credit check REF` (the credit card in the terminal) and
`debtor set-limit REF AMOUNT` (a debtor's credit limit, or `none` to remove it)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot import db
from bot.config import Settings


def _actions(sub: argparse._SubParsersAction, name: str, help_text: str) -> Any:
    """The sub-commands of the group `name`, shared with any other module that adds to it."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text)
        return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
    return next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    credit = _actions(sub, "credit", "credit limits and risk")
    check = credit.add_parser("check", help="a debtor's limit, exposure, risk score and reasons")
    check.add_argument("debtor_ref", metavar="REF", help="the debtor's external reference")
    check.set_defaults(func=cmd_credit_check)

    debtor = _actions(sub, "debtor", "one debtor's settings")
    limit = debtor.add_parser("set-limit", help="set a debtor's credit limit (in euros)")
    limit.add_argument("debtor_ref", metavar="REF", help="the debtor's external reference")
    limit.add_argument("amount", metavar="AMOUNT", help='e.g. 5000, 5.000,00, or "none"')
    limit.set_defaults(func=cmd_set_limit)


def parse_limit(text: str) -> int | None:
    """'5.000,00' -> 500000 cents; 'none' -> None (no limit). ValueError says why not."""
    from bot.money import parse_amount

    if text.strip().lower() in ("none", "nessuno"):
        return None
    cents = parse_amount(text)
    if cents < 0:
        raise ValueError(f"{text!r}: a credit limit cannot be negative")
    return cents


async def cmd_credit_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.credit.card import load_credit_card, render_card
    from bot.escalation.showing import claim_line_text
    from bot.models import Debtor
    from bot.policy import load_policy

    policy = load_policy(settings.policy_file)
    await db.connect(settings.database_url)
    try:
        debtor = await Debtor.get_or_none(external_ref=args.debtor_ref)
        if debtor is None:
            print(f"error: no debtor with reference {args.debtor_ref!r}", file=sys.stderr)
            return 1
        today = clock.now().astimezone(settings.zone).date()
        card = await load_credit_card(today, debtor, zone=settings.zone, credit=policy.credit)
        claim = await claim_line_text(policy, debtor.id, today, settings.default_language)
    finally:
        await db.close()
    print(render_card(card, settings.default_language))
    if claim:  # interest and the €40 to date (docs/interest.md)
        print(claim)
    return 0


async def cmd_set_limit(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock
    from bot.credit.exposure import Exposure, load_exposure
    from bot.formats import money
    from bot.models import AuditEvent, Debtor

    try:
        cents = parse_limit(args.amount)
    except ValueError as exc:
        print(f"error: AMOUNT: {exc}", file=sys.stderr)
        return 2
    await db.connect(settings.database_url)
    try:
        debtor = await Debtor.get_or_none(external_ref=args.debtor_ref)
        if debtor is None:
            print(f"error: no debtor with reference {args.debtor_ref!r}", file=sys.stderr)
            return 1
        before = debtor.credit_limit_cents
        await Debtor.filter(id=debtor.id).update(credit_limit_cents=cents)
        await AuditEvent.create(
            actor="cli",
            action="debtor.credit_limit",
            subject=f"debtor:{debtor.id}",
            data={"before": before, "after": cents},
        )
        today = clock.now().astimezone(settings.zone).date()
        exposure = (await load_exposure(today, [debtor.id])).get(debtor.id, Exposure())
    finally:
        await db.close()
    shown = money(cents, "EUR", "en") if cents is not None else "none"
    print(f"{debtor.name} ({debtor.external_ref}): credit limit {shown}")
    if cents is not None and exposure.total_cents > cents:
        owed = money(exposure.total_cents, "EUR", "en")
        print(f"note: the exposure of {owed} is already over this limit")
    return 0
