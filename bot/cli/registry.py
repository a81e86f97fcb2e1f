"""Commands for the registry: a debtor's history, and the privacy export and erasure.

python -m bot history REF [--csv FILE]
python -m bot privacy export REF [--out FILE]
python -m bot privacy erase REF --yes
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import clock, db
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="a debtor's whole timeline: messages, answers, decisions")
    p.add_argument("ref", metavar="REF", help="the debtor's reference")
    p.add_argument("--csv", metavar="FILE", help="write the timeline as CSV to FILE")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("privacy", help="export or erase what is held about a person")
    privacy = p.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    export = privacy.add_parser("export", help="everything held about a debtor, as JSON")
    export.add_argument("ref", metavar="REF", help="the debtor's reference")
    export.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    export.set_defaults(func=cmd_privacy)
    erase = privacy.add_parser(
        "erase", help="anonymise a debtor's personal data (invoices and payments are kept)"
    )
    erase.add_argument("ref", metavar="REF", help="the debtor's reference")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.set_defaults(func=cmd_privacy)


def _unknown(ref: str) -> int:
    print(f"error: no debtor with reference {ref!r}", file=sys.stderr)
    return 1


def _write(path: str, text: str) -> int:
    """Write `text` to `path` whole (a temporary file renamed), or say why not."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        print(f"error: {path}: {exc.strerror or exc}", file=sys.stderr)
        partial.unlink(missing_ok=True)
        return 1
    return 0


async def cmd_history(settings: Settings, args: argparse.Namespace) -> int:
    from bot.credit.card import load_credit_card, score_line
    from bot.escalation.showing import claim_line_text, with_claim_line
    from bot.policy import load_policy
    from bot.registry.history import load_history
    from bot.registry.loading import find_debtor
    from bot.registry.texts import csv_text

    policy = load_policy(settings.policy_file)

    await db.connect(settings.database_url)
    try:
        debtor = await find_debtor(args.ref)
        if debtor is None:
            return _unknown(args.ref)
        today = clock.now().astimezone(settings.zone).date()
        history = await load_history(debtor, today)
        card = await load_credit_card(today, debtor, zone=settings.zone, credit=policy.credit)
        language = settings.default_language
        claim = await claim_line_text(policy, debtor.id, today, language)
    finally:
        await db.close()
    if args.csv:
        written = _write(args.csv, csv_text(history.entries))
        if written:
            return written
        print(f"{len(history.entries)} entries written to {args.csv}", file=sys.stderr)
        return 0
    print(history.terminal_text(language, with_claim_line(score_line(card, language), claim)))
    return 0


async def cmd_privacy(settings: Settings, args: argparse.Namespace) -> int:
    from bot.registry.loading import find_debtor
    from bot.registry.privacy import as_json, erase_debtor, export_debtor

    if args.privacy_command == "erase" and not args.yes:
        print(
            f"error: erasing {args.ref}'s personal data cannot be undone; "
            "run again with --yes to confirm",
            file=sys.stderr,
        )
        return 2
    await db.connect(settings.database_url)
    try:
        debtor = await find_debtor(args.ref)
        if debtor is None:
            return _unknown(args.ref)
        if args.privacy_command == "export":
            text = as_json(await export_debtor(debtor))
        else:
            changed = await erase_debtor(debtor, clock.now())
    finally:
        await db.close()
    if args.privacy_command == "export":
        if args.out:
            return _write(args.out, text + "\n")
        print(text)
        return 0
    summary = ", ".join(f"{name} {count}" for name, count in changed.items())
    print(f"{args.ref}: personal data erased ({summary}); invoices and payments kept")
    return 0
