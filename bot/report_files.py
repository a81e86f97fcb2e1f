"""The due-date list (scadenzario), the aging and the cash-flow forecast as tables for the
accountant, written to CSV or XLSX (openpyxl).

Rows are built from the same figures the staff charts draw (bot/chart_reports.py) and the open
invoices (bot/credit/ledger.py); column headers come from templates/<lang>/reports/columns.txt.
A CSV in Italian is written as Italian spreadsheets read it (";" between fields, "1234,56"), in
English with "," and "1234.56"; an XLSX holds real numbers and dates. A file is written whole or
not at all: first to a temporary file beside it, then renamed into place.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.charts import labels
from bot.credit.aging import bucket_of
from bot.credit.cashflow import expected_date
from bot.credit.ledger import OpenInvoice
from bot.texts import render

Cell = str | int | Decimal | dt.date
MONEY_COLUMNS = frozenset({"amount", "balance", "invoices", "promises", "instalments", "total"})


@lru_cache(maxsize=4)
def columns(language: str) -> dict[str, str]:
    lines = render("reports/columns.txt", language).splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


@dataclass(frozen=True)
class Table:
    keys: tuple[str, ...]
    rows: list[tuple[Cell, ...]]

    def headers(self, language: str) -> list[str]:
        names = columns(language)
        return [names[key] for key in self.keys]


def euros(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def scadenzario(
    invoices: Sequence[OpenInvoice],
    days_late: Mapping[int, float | None],
    today: dt.date,
    language: str,
) -> Table:
    """Every open invoice, oldest due first, with when it is expected (the debtor's lateness)."""
    keys = ("number", "debtor", "issued", "due", "amount", "balance", "days_overdue", "bucket")
    rows: list[tuple[Cell, ...]] = []
    for i in invoices:
        overdue = max((today - i.due).days, 0)
        rows.append(
            (
                i.number,
                i.debtor_name,
                i.issued,
                i.due,
                euros(i.amount_cents),
                euros(i.balance_cents),
                overdue,
                bucket_name(bucket_of(overdue), language),
                expected_date(i.due, days_late.get(i.debtor_id)),
                i.status.value,
            )
        )
    return Table((*keys, "expected", "status"), rows)


def bucket_name(key: str, language: str) -> str:
    """An aging bucket as the chart names it ("non scaduto", "1-30", ...)."""
    return labels(language)[f"bucket_{key}"]


def aging_table(figures: Mapping[str, Any], language: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (bucket_name(bucket["key"], language), bucket["count"], euros(bucket["cents"]))
        for bucket in figures["buckets"]
    ]
    rows.append((columns(language)["total"], figures["count"], euros(figures["total_cents"])))
    return Table(("bucket", "count", "total"), rows)


def cashflow_table(figures: Mapping[str, Any]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            dt.date.fromisoformat(week["start"]),
            dt.date.fromisoformat(week["end"]),
            euros(week["invoices_cents"]),
            euros(week["promises_cents"]),
            euros(week["instalments_cents"]),
            euros(week["total_cents"]),
        )
        for week in figures["weeks"]
    ]
    return Table(("week_from", "week_to", "invoices", "promises", "instalments", "total"), rows)


def _csv_cell(value: Cell, language: str) -> str:
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.replace(".", ",") if language == "it" else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _atomic(path: Path, write: Any) -> None:
    """Write through a temporary file beside `path`, renamed into place when complete."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_png(path: Path, png: bytes) -> None:
    _atomic(path, lambda target: target.write_bytes(png))


def write_csv(path: Path, table: Table, language: str) -> None:
    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8-sig") as out:  # BOM: Excel reads UTF-8
            writer = csv.writer(out, delimiter=";" if language == "it" else ",")
            writer.writerow(table.headers(language))
            writer.writerows([_csv_cell(cell, language) for cell in row] for row in table.rows)

    _atomic(path, write)


def write_xlsx(path: Path, table: Table, language: str, title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append(table.headers(language))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    money_at = [index for index, key in enumerate(table.keys) if key in MONEY_COLUMNS]
    date_at = [index for index, row in enumerate(zip(*table.rows, strict=True)) if _all_dates(row)]
    for row in table.rows:
        sheet.append(list(row))
    for index in money_at:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = "#,##0.00 €"
    for index in date_at:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = "DD/MM/YYYY" if language == "it" else "YYYY-MM-DD"
    for index, key in enumerate(table.keys):
        width = max(len(table.headers(language)[index]), 12 if key != "debtor" else 30)
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = width
    sheet.freeze_panes = "A2"
    _atomic(path, lambda target: workbook.save(target))


def _all_dates(values: Sequence[Cell]) -> bool:
    return bool(values) and all(isinstance(value, dt.date) for value in values)


def write_table(path: Path, table: Table, language: str, title: str) -> None:
    """CSV or XLSX by the file's suffix; anything else is a ValueError saying so."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(path, table, language)
    elif suffix == ".xlsx":
        write_xlsx(path, table, language, title)
    else:
        raise ValueError(f"{path}: write a .csv or an .xlsx file, not {suffix or 'no suffix'}")
