"""Reading a CSV file the way spreadsheets write them, into rows keyed by canonical column.

- Encoding: UTF-8 with or without BOM; anything that is not valid UTF-8 is read as Windows-1252
  (what Excel on Windows writes as "CSV"). UTF-16 and .xlsx files are refused with a hint.
- Separator: `;` (Italian Excel) or `,`, whichever the header line uses more. An Excel
  `sep=;` first line is honoured.
- Header: line 1 (line 2 after `sep=`). Headers are matched through the alias table in
  columns.py; an unknown header is an error (typo protection), and so is a missing required one.
- Line numbers are physical lines, so a quoted value spanning lines does not shift later rows.
- Rows whose cells are all empty are skipped (spreadsheets leave them at the end).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from bot.importers.columns import REFUSED_COLUMNS, Column, alias_index, header_key
from bot.importers.report import Problem

SEPARATORS = (";", ",")


@dataclass(frozen=True)
class CsvRow:
    line: int  # physical line where the row starts
    values: dict[str, str]  # canonical column name -> stripped cell text, "" when empty


@dataclass(frozen=True)
class CsvTable:
    file: str
    headers: dict[str, str]  # canonical column name -> the header as the file writes it
    rows: list[CsvRow]

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def problem(self, row: CsvRow, column: str, reason: str) -> Problem:
        return Problem(self.file, row.line, self.header(column), reason)


class UnreadableFile(Exception):
    """The file cannot be read as text at all."""


def decode(data: bytes) -> str:
    """Bytes -> text: UTF-8 (BOM or not), else Windows-1252."""
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFile("this is an Excel workbook, not CSV: save it as CSV first")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile("UTF-16 text is not supported: save it as CSV (UTF-8)")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise UnreadableFile(
                f"marked as UTF-8 but line {line} is not valid UTF-8; save it as CSV (UTF-8) again"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(
            f"neither UTF-8 nor Windows-1252 (line {line}); save it as CSV (UTF-8)"
        ) from None


def sniff_separator(header_line: str) -> str:
    """The separator the header line uses most; `,` for a single-column file."""
    counts = {separator: header_line.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def read_table(path: Path, columns: tuple[Column, ...]) -> tuple[CsvTable | None, list[Problem]]:
    """Read and check the header of one CSV file. Returns the table, or None and the problems."""
    file = str(path)
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        return None, [Problem(file, 0, "", f"cannot be read ({exc.strerror or exc})")]
    except UnreadableFile as exc:
        return None, [Problem(file, 0, "", str(exc))]

    first_line, _, _ = text.partition("\n")
    first_line = first_line.rstrip("\r")
    skipped_lines = 0
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        separator = first_line[4]
        text = text.partition("\n")[2]
        skipped_lines = 1
    else:
        separator = sniff_separator(first_line)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[tuple[int, list[str]]] = []
    line_after_previous = 0
    try:
        for cells in reader:
            records.append((line_after_previous + 1 + skipped_lines, cells))
            line_after_previous = reader.line_num
    except csv.Error as exc:
        line = line_after_previous + 1 + skipped_lines
        return None, [Problem(file, line, "", f"malformed CSV ({exc}); check the quotes")]

    if not records or not any(cell.strip() for cell in records[0][1]):
        return None, [Problem(file, 1 + skipped_lines, "", "the first line must be the header")]

    header_line, header_cells = records[0]
    positions, headers, problems = _match_headers(file, header_line, header_cells, columns)
    if problems:
        return None, problems

    rows = _rows(file, records[1:], header_cells, positions, separator, problems)
    return CsvTable(file, headers, rows), problems


def _rows(
    file: str,
    records: list[tuple[int, list[str]]],
    header_cells: list[str],
    positions: dict[str, int],
    separator: str,
    problems: list[Problem],
) -> list[CsvRow]:
    """The data lines as rows of named values; a line with more values than named columns is a
    problem (usually the wrong separator or a stray quote)."""
    rows: list[CsvRow] = []
    width = len(header_cells)
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        extra = [cell for cell in cells[width:] if cell.strip()]
        unnamed = [
            cells[index]
            for index, cell_header in enumerate(header_cells)
            if not cell_header.strip() and index < len(cells) and cells[index].strip()
        ]
        if extra or unnamed:
            problems.append(
                Problem(
                    file,
                    line,
                    "",
                    f"{len(cells)} values but the header names {len(positions)} columns "
                    f"(check the separator {separator!r} and the quotes)",
                )
            )
            continue
        values = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in positions.items()
        }
        rows.append(CsvRow(line, values))
    return rows


def _match_headers(
    file: str, line: int, cells: list[str], columns: tuple[Column, ...]
) -> tuple[dict[str, int], dict[str, str], list[Problem]]:
    index = alias_index(columns)
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    for position, cell in enumerate(cells):
        written = cell.strip()
        if not written:
            continue  # an unnamed column is allowed while its cells are empty
        column = index.get(header_key(written))
        if header_key(written) in REFUSED_COLUMNS:
            problems.append(Problem(file, line, written, REFUSED_COLUMNS[header_key(written)]))
        elif column is None:
            problems.append(Problem(file, line, written, _unknown_column(written, columns, index)))
        elif column.name in positions:
            problems.append(
                Problem(
                    file,
                    line,
                    written,
                    f"the same column as {headers[column.name]!r}; keep only one of them",
                )
            )
        else:
            positions[column.name] = position
            headers[column.name] = written
    for column in columns:
        if column.required and column.name not in positions:
            also = f" (also accepted as: {', '.join(column.aliases)})" if column.aliases else ""
            problems.append(Problem(file, line, column.name, f"required column is missing{also}"))
    return positions, headers, problems


def _unknown_column(written: str, columns: tuple[Column, ...], index: dict[str, Column]) -> str:
    close = difflib.get_close_matches(header_key(written), list(index), n=1, cutoff=0.75)
    if close:
        return f"unknown column; did you mean {close[0]!r}?"
    return "unknown column; the columns are: " + ", ".join(column.name for column in columns)
