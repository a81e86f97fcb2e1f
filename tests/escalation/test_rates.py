"""The rate tables: the repository's figures, the refusals with file and line, `rates add`."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from bot.escalation.rates import (
    LEGAL,
    RATES_DIR,
    REFERENCE,
    RateTableError,
    append_rate,
    load_table,
    parse_table,
    stale_warnings,
)
from bot.escalation.rates import default_rates as repository_rates


def test_the_repository_tables_hold_the_official_figures() -> None:
    rates = repository_rates()
    reference = {str(p): v for p, v in rates.reference.entries}
    assert reference["2013-H1"] == Decimal("0.75")
    assert reference["2016-H2"] == Decimal("0.00")
    assert all(reference[f"{y}-H{h}"] == 0 for y in range(2019, 2023) for h in (1, 2))
    assert [reference[k] for k in ("2023-H1", "2023-H2", "2024-H1", "2024-H2")] == [
        Decimal("2.50"),
        Decimal("4.00"),
        Decimal("4.50"),
        Decimal("4.25"),
    ]
    assert [reference[k] for k in ("2025-H1", "2025-H2", "2026-H1")] == [
        Decimal("3.15"),
        Decimal("2.15"),
        Decimal("2.15"),
    ]
    legal = {str(p): v for p, v in rates.legal.entries}
    assert [legal[str(y)] for y in range(2020, 2027)] == [
        Decimal(x) for x in ("0.05", "0.01", "1.25", "5.00", "2.50", "2.00", "1.60")
    ]


def test_a_day_takes_its_half_years_rate() -> None:
    table = repository_rates().reference
    assert table.rate_on(dt.date(2023, 6, 30)) == (Decimal("2.50"), False)
    assert table.rate_on(dt.date(2023, 7, 1)) == (Decimal("4.00"), False)
    assert table.rate_on(dt.date(2099, 1, 1)) == (table.entries[-1][1], True)


HEAD = "# a comment that stays\n[rates]\n"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('"2024-H1" = 1.0\n"2025-H1" = 2.0\n', "line 4: 2025-H1 leaves a gap after 2024-H1"),
        ('"2024-H1" = 1.0\n"2024-H1" = 2.0\n', "line 4: 2024-H1 overlaps line 3"),
        ('"2024-H2" = 1.0\n"2024-H1" = 2.0\n', "line 4: 2024-H1 overlaps or is out of order"),
        ('"2024-H1" = 1.0\n"2024-H2" = -0.5\n', "line 4: a rate cannot be negative"),
        ('"2024-H1" = "one"\n', "line 3: the rate must be a number"),
        ('"2024" = 1.0\n', "line 3: '2024' is not a period"),
    ],
)
def test_a_bad_table_is_refused_with_file_and_line(body: str, why: str) -> None:
    with pytest.raises(RateTableError) as caught:
        parse_table(HEAD + body, REFERENCE, "rates/reference_rate.toml")
    assert str(caught.value).startswith("rates/reference_rate.toml: ")
    assert why in str(caught.value)


def test_a_legal_table_counts_years() -> None:
    with pytest.raises(RateTableError, match="line 4: 2026 leaves a gap after 2024"):
        parse_table(HEAD + '"2024" = 1.0\n"2026" = 1.0\n', LEGAL, "legal_interest.toml")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("reference_rate.toml", "legal_interest.toml"):
        shutil.copy(RATES_DIR / name, tmp_path / name)
    return tmp_path


def test_rates_add_appends_the_next_period_and_keeps_the_comments(copy: Path) -> None:
    before = (copy / "reference_rate.toml").read_text()
    last = load_table(REFERENCE, copy).last
    line = append_rate(REFERENCE, str(last.next()), "2,00", copy)
    after = (copy / "reference_rate.toml").read_text()
    assert line == f'"{last.next()}" = 2.00'
    assert after.startswith(before.rstrip("\n"))  # the comments and every line kept
    assert load_table(REFERENCE, copy).entries[-1] == (last.next(), Decimal("2.00"))
    assert append_rate(LEGAL, "2027", "1.5", copy) == '"2027" = 1.50'


@pytest.mark.parametrize(
    ("period", "percent", "why"),
    [
        ("2025-H2", "2.0", "already in the table"),
        ("2030-H1", "2.0", "leaves a gap"),
        ("2026-H2", "-1", "a rate is a percent from 0 to 100"),
        ("2026", "1", "not a period"),
    ],
)
def test_rates_add_refuses_and_writes_nothing(
    copy: Path, period: str, percent: str, why: str
) -> None:
    before = (copy / "reference_rate.toml").read_text()
    with pytest.raises(ValueError, match=why):
        append_rate(REFERENCE, period, percent, copy)
    assert (copy / "reference_rate.toml").read_text() == before


def test_a_stale_table_is_warned_about() -> None:
    rates = repository_rates()
    assert stale_warnings(rates, dt.date(2026, 6, 30)) == []
    warned = stale_warnings(rates, dt.date(2099, 1, 1))
    assert len(warned) == 2 and "reference_rate.toml: the last rate is for" in warned[0]
