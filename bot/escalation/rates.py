"""The interest rate tables: data files in bot/escalation/rates/, read and checked here.

`reference_rate.toml` holds the D.Lgs. 231/2002 reference rate per half-year ("2026-H1"),
`legal_interest.toml` the art. 1284 c.c. legal rate per calendar year ("2026"). Each is a
`[rates]` table, one `"period" = percent` line a period, in order. A gap, a period given twice
or out of order, or a negative rate is refused with the file and the line (`RateTableError`, a
ConfigError: start-up ends in that one line). `append_rate` adds the period that follows the
last one, keeping the file's comments. Past the last period the last rate holds and the table
says it was stale (`RateTable.rate_on`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.config import ConfigError

log = logging.getLogger(__name__)

RATES_DIR = Path(__file__).with_name("rates")
REFERENCE = "reference"
LEGAL = "legal"
FILES = {REFERENCE: "reference_rate.toml", LEGAL: "legal_interest.toml"}
MAX_PERCENT = Decimal(100)

_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_LINE = re.compile(r'^\s*"?([0-9A-Za-z-]+)"?\s*=\s*(.*?)\s*(#.*)?$')
_TABLE = re.compile(r"^\s*\[([^\]]*)\]\s*(#.*)?$")


class RateTableError(ConfigError):
    """A rate file is malformed: the message names the file, the line and why."""


@dataclass(frozen=True)
class Period:
    """A half-year (half = 1 or 2) or, with half = 0, a calendar year."""

    year: int
    half: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    def next(self) -> Period:
        if self.half == 0:
            return Period(self.year + 1, 0)
        return Period(self.year, 2) if self.half == 1 else Period(self.year + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-H{self.half}" if self.half else str(self.year)


def parse_period(text: str, kind: str) -> Period:
    """'2026-H1' for the reference rate, '2026' for the legal rate; ValueError says why not."""
    found = (_HALF if kind == REFERENCE else _YEAR).match(text.strip())
    if found is None:
        shape = "YYYY-H1 or YYYY-H2" if kind == REFERENCE else "YYYY"
        raise ValueError(f"{text!r} is not a period ({shape})")
    return Period(int(found.group(1)), int(found.group(2)) if kind == REFERENCE else 0)


def period_of(day: dt.date, kind: str) -> Period:
    if kind == LEGAL:
        return Period(day.year, 0)
    return Period(day.year, 1 if day.month <= 6 else 2)


@dataclass(frozen=True)
class RateTable:
    """Consecutive periods and their percent a year, oldest first (at least one)."""

    kind: str
    entries: tuple[tuple[Period, Decimal], ...]

    @property
    def last(self) -> Period:
        return self.entries[-1][0]

    def rate_on(self, day: dt.date) -> tuple[Decimal, bool]:
        """The percent a year for `day`, and whether it was taken from beyond the table (the
        last rate for a later day, the first for an earlier one)."""
        index = _ordinal(period_of(day, self.kind)) - _ordinal(self.entries[0][0])
        if index < 0:
            return self.entries[0][1], True
        if index >= len(self.entries):
            return self.entries[-1][1], True
        return self.entries[index][1], False

    def stale_on(self, day: dt.date) -> bool:
        return day > self.last.end


def _ordinal(period: Period) -> int:
    """Consecutive periods have consecutive ordinals (years, or half-years)."""
    return period.year if period.half == 0 else period.year * 2 + period.half - 1


def parse_table(text: str, kind: str, source: str) -> RateTable:
    """The table in `text`; RateTableError names `source`, the line and why."""
    lines = _key_lines(text, source)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RateTableError(f"{source}: not valid TOML: {exc}") from None
    rates = data.get("rates")
    if not isinstance(rates, dict) or not rates:
        raise RateTableError(f"{source}: no [rates] table with at least one period")
    entries: list[tuple[Period, Decimal]] = []
    for key, value in rates.items():
        where = f"{source}: line {lines.get(key, '?')}"
        try:
            period = parse_period(key, kind)
        except ValueError as exc:
            raise RateTableError(f"{where}: {exc}") from None
        percent = _percent(value, where)
        if entries and period != entries[-1][0].next():
            before = entries[-1][0]
            why = "overlaps or is out of order" if period.start <= before.start else "leaves a gap"
            expected = before.next()
            raise RateTableError(f"{where}: {period} {why} after {before} (expected {expected})")
        entries.append((period, percent))
    return RateTable(kind, tuple(entries))


def _percent(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise RateTableError(f"{where}: the rate must be a number (percent a year)")
    try:
        percent = Decimal(value)
    except InvalidOperation:
        raise RateTableError(f"{where}: the rate must be a number") from None
    if percent < 0:
        raise RateTableError(f"{where}: a rate cannot be negative ({percent})")
    if percent > MAX_PERCENT:
        raise RateTableError(f"{where}: {percent} is not a percent a year")
    return percent


def _key_lines(text: str, source: str = "") -> dict[str, int]:
    """Where each key of the [rates] table is written; with `source`, a key written twice is a
    RateTableError naming both lines."""
    found: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        if head := _TABLE.match(line):
            table = head.group(1).strip()
        elif table == "rates" and (entry := _LINE.match(line)):
            key = entry.group(1)
            if key in found and source:
                first = found[key]
                raise RateTableError(
                    f"{source}: line {number}: {key} overlaps line {first} (given twice)"
                )
            found.setdefault(key, number)
    return found


def load_table(kind: str, directory: Path | None = None) -> RateTable:
    path = (directory or RATES_DIR) / FILES[kind]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RateTableError(f"{path}: cannot read it: {exc}") from None
    return parse_table(text, kind, str(path))


@dataclass(frozen=True)
class Rates:
    reference: RateTable
    legal: RateTable


@functools.cache
def default_rates() -> Rates:
    """The repository's tables, read once per process."""
    return Rates(load_table(REFERENCE), load_table(LEGAL))


def stale_warnings(rates: Rates, today: dt.date) -> list[str]:
    """One line for each table whose last period ended before `today`."""
    warnings = []
    for table in (rates.reference, rates.legal):
        if table.stale_on(today):
            warnings.append(
                f"{FILES[table.kind]}: the last rate is for {table.last}; interest after it "
                f"uses that rate until `python -m bot rates add {table.kind} ...` adds the next"
            )
    return warnings


def check_rate_tables(today: dt.date) -> Rates:
    """At start-up: the tables read and checked (RateTableError ends the start), a warning
    logged for a stale one."""
    rates = default_rates()
    for warning in stale_warnings(rates, today):
        log.warning("%s", warning)
    return rates


def append_rate(
    kind: str, period_text: str, percent_text: str, directory: Path | None = None
) -> str:
    """Adds `period = percent` after the file's last period; ValueError says why not. Returns
    the line written. The file is replaced whole (written aside, then renamed)."""
    path = (directory or RATES_DIR) / FILES[kind]
    table = load_table(kind, directory)
    period = parse_period(period_text, kind)
    expected = table.last.next()
    if period != expected:
        why = "is already in the table" if period.start <= table.last.start else "leaves a gap"
        raise ValueError(f"{period} {why}: the next period is {expected}")
    try:
        percent = Decimal(percent_text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{percent_text!r} is not a percent") from None
    if not percent.is_finite() or percent < 0 or percent > MAX_PERCENT:
        raise ValueError(f"{percent_text!r}: a rate is a percent from 0 to 100")
    shown = f"{percent:.2f}" if percent == round(percent, 2) else format(percent, "f")
    line = f'"{period}" = {shown}'
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    last_line = _key_lines(text)[str(table.last)]
    lines.insert(last_line, line)
    new_text = "\n".join(lines) + "\n"
    parse_table(new_text, kind, str(path))
    spare = path.with_suffix(".toml.new")
    spare.write_text(new_text, encoding="utf-8")
    os.replace(spare, path)
    default_rates.cache_clear()
    return line
