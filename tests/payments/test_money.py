"""Amounts as people write them -> integer cents, and the forms refused as unreadable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.formats import money
from bot.money import parse_amount


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.56", 123456),
        ("1234,56", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1234", 123400),
        ("12,5", 1250),
        ("0,05", 5),
        ("1.234.567", 123456700),
        ("1.234.567,89", 123456789),
        ("1,234,567.89", 123456789),
        ("-12,30", -1230),
        ("+7", 700),
        ("€ 1.234,56", 123456),
        ("1.234,56 €", 123456),
        ("EUR 99,90", 9990),
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        (" 42.00 ", 4200),
    ],
)
def test_accepted_forms(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "an amount is required"),
        ("abc", "is not an amount"),
        ("12a", "is not an amount"),
        (".5", "is not an amount"),
        ("1234.", "is not an amount"),
        ("1.234,", "is not an amount"),
        ("1.234", "is ambiguous"),
        ("12,500", "is ambiguous"),
        ("1234.567", "more than two decimal places"),
        ("0,125", "more than two decimal places"),
        ("1.234,567", "more than two decimal places"),
        ("12.34.56", "misplaced thousands separators"),
        ("1,23,456.00", "misplaced thousands separators"),
        ("1.234.56,00", "misplaced thousands separators"),
        ("1,234,56", "misplaced thousands separators"),
    ],
)
def test_refused_forms_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


def test_result_is_an_int_never_a_float() -> None:
    assert type(parse_amount("0,10")) is int
    # 0.1 + 0.2 in floats is 0.30000000000000004: Decimal keeps it exact.
    assert parse_amount("0,1") + parse_amount("0,2") == parse_amount("0,3")


@given(st.integers(min_value=0, max_value=10**13))
def test_what_the_bot_prints_it_reads_back(cents: int) -> None:
    """Every amount texts.money writes, in either language, parses back to the same cents."""
    for language in ("it", "en"):
        assert parse_amount(money(cents, "EUR", language)) == cents
