"""Reports for the owner and the accountant: cashflow, aging, scadenzario (the due-date list).

Each prints its figures (the staff chart's caption, in DEFAULT_LANGUAGE) and, when asked, writes
them to CSV or XLSX (`--csv FILE`, `--xlsx FILE`) and the chart to a PNG (`--chart FILE`, cashflow
and aging). Read-only: nothing in the database changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import db
from bot.config import Settings
from bot.credit.cashflow import DEFAULT_WEEKS, MAX_WEEKS


def _weeks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"weeks must be a whole number from 1 to {MAX_WEEKS}")
    return int(text)


def _outputs(parser: argparse.ArgumentParser, chart: bool) -> None:
    parser.add_argument("--csv", type=Path, metavar="FILE.csv", help="write the table as CSV")
    parser.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help="write the table as XLSX")
    if chart:
        parser.add_argument("--chart", type=Path, metavar="FILE.png", help="write the chart")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cashflow", help="expected receipts per week, against what is overdue")
    p.add_argument(
        "--weeks", type=_weeks, default=DEFAULT_WEEKS, help=f"1 to {MAX_WEEKS} (default 8)"
    )
    _outputs(p, chart=True)
    p.set_defaults(func=cmd_report, report="cashflow")
    p = sub.add_parser("aging", help="open balances by days past due, amount and count")
    _outputs(p, chart=True)
    p.set_defaults(func=cmd_report, report="aging")
    p = sub.add_parser("scadenzario", help="every open invoice by due date, with its expected day")
    _outputs(p, chart=False)
    p.set_defaults(func=cmd_report, report="scadenzario")


def output_problem(args: argparse.Namespace) -> str | None:
    """Why an output file asked for cannot be written (checked before anything is read)."""
    for option, suffix in (("csv", ".csv"), ("xlsx", ".xlsx"), ("chart", ".png")):
        path: Path | None = getattr(args, option, None)
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            return f"--{option} {path}: the file name must end in {suffix}"
        if not path.parent.is_dir():
            return f"--{option} {path}: the folder {path.parent} does not exist"
    return None


async def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot import clock

    problem = output_problem(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    today = clock.now().astimezone(settings.zone).date()
    await db.connect(settings.database_url)
    try:
        return await _report(settings, args, today)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()


async def _report(settings: Settings, args: argparse.Namespace, today: object) -> int:
    import datetime as dt

    from bot.chart_reports import chart_report, load_figures
    from bot.credit.ledger import load_days_late, load_open_invoices
    from bot.formats import money
    from bot.report_files import (
        Table,
        aging_table,
        cashflow_table,
        scadenzario,
        write_png,
        write_table,
    )

    assert isinstance(today, dt.date)
    language = settings.default_language
    table: Table
    if args.report == "scadenzario":
        invoices = await load_open_invoices()
        days_late = await load_days_late(settings.zone, today)
        table = scadenzario(invoices, days_late, today, language)
        total = sum(invoice.balance_cents for invoice in invoices)
        print(
            f"{len(invoices)} open invoice(s), {money(total, 'EUR', language)} owed, as of {today}"
        )
    else:
        weeks = getattr(args, "weeks", DEFAULT_WEEKS)
        figures = await load_figures(args.report, settings.zone, today, weeks)
        report = chart_report(args.report, figures, language)
        print(report.caption)
        table = (
            cashflow_table(figures) if args.report == "cashflow" else aging_table(figures, language)
        )
        if args.chart is not None:
            write_png(args.chart, report.png)
            print(f"chart: {args.chart}")
    for path in (args.csv, args.xlsx):
        if path is not None:
            write_table(path, table, language, title=args.report)
            print(f"written: {path}")
    return 0
