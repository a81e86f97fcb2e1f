"""Commands for a case's evidence and its hand-off to a collector or a lawyer.

python -m bot case REF                      the case folder's files, PEC receipts, notices' state
python -m bot case handoff REF [--by NAME]  stop the cadence, mark outsourced, write the package
python -m bot case --unmatched              PEC receipts that matched no message of ours
"""

from __future__ import annotations

import argparse
import sys

from bot import clock, db
from bot.config import Settings
from bot.texts import render


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "case", help="a debtor's case: its evidence (PDFs, PEC receipts) and the hand-off"
    )
    p.add_argument("ref", nargs="?", metavar="REF", help="the debtor's reference, or: handoff REF")
    p.add_argument("target", nargs="?", metavar="REF", help="with `handoff`: the debtor")
    p.add_argument("--by", default="", help="who hands the case off (for the audit trail)")
    p.add_argument(
        "--unmatched", action="store_true", help="list the PEC receipts that matched no message"
    )
    p.set_defaults(func=cmd_case)


def _unknown(ref: str) -> int:
    print(f"error: no debtor with reference {ref!r}", file=sys.stderr)
    return 1


async def cmd_case(settings: Settings, args: argparse.Namespace) -> int:
    from bot.registry.loading import find_debtor

    action, ref = ("show", args.ref) if args.target is None else (args.ref, args.target)
    if args.unmatched:
        action = "receipts"
    elif not ref:
        print("error: a debtor's reference is needed: case REF, case handoff REF", file=sys.stderr)
        return 2
    elif action not in ("show", "handoff"):
        print(f"error: unknown case action {action!r} (expected: handoff)", file=sys.stderr)
        return 2
    await db.connect(settings.database_url)
    try:
        if action == "receipts":
            return await _unmatched(settings)
        debtor = await find_debtor(ref)
        if debtor is None:
            return _unknown(ref)
        if action == "handoff":
            return await _handoff(settings, debtor, args.by)
        print(await case_text(settings, debtor))
        return 0
    finally:
        await db.close()


async def case_text(settings: Settings, debtor: object) -> str:
    from bot.escalation.case import load_case

    case = await load_case(settings.var_dir, debtor)  # type: ignore[arg-type]
    outsourced = case.debtor.outsourced_at
    return render(
        "case/evidence.txt",
        settings.default_language,
        case=case,
        zone=settings.zone,
        outsourced_on=outsourced.astimezone(settings.zone).date() if outsourced else None,
    )


async def _handoff(settings: Settings, debtor: object, by: str) -> int:
    from bot.escalation.outsourcing import AlreadyOutsourced, outsource

    who = by or "cli"
    try:
        done = await outsource(
            settings,
            debtor,  # type: ignore[arg-type]
            actor="cli",
            by=who,
            now=clock.now(),
            language=settings.default_language,
        )
    except AlreadyOutsourced as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: the package could not be written: {exc}", file=sys.stderr)
        return 1
    print(
        render(
            "staff/outsourced.txt",
            settings.default_language,
            debtor=done.debtor,
            by=who,
            cancelled=done.cancelled,
            figures=done.figures,
            folder=done.folder,
            archive=done.archive,
            zip_attached=False,
        )
    )
    return 0


async def _unmatched(settings: Settings) -> int:
    from bot.models import PecReceipt

    rows = await PecReceipt.filter(message_id__isnull=True).order_by("id")
    rows += await PecReceipt.filter(message_id__isnull=False, error="refused").order_by("id")
    for r in rows:
        print(f"{r.id}\t{r.kind}\t{r.referenced_msgid or '-'}\t{r.error_text or '-'}\t{r.eml_path}")
    print(f"{len(rows)} unmatched or refused receipt(s)", file=sys.stderr)
    return 0
