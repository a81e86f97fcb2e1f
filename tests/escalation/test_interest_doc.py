"""docs/interest.md's worked example: every row and figure checked against the code."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from bot.escalation.interest import STATUTORY_POINTS, OpenInvoice, Paid, build_claim
from bot.escalation.rates import default_rates
from bot.policy_interest import Interest

DOC = Path(__file__).resolve().parents[2] / "docs" / "interest.md"


def _cents(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 100)


def _example() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("<!-- worked-example -->")[1].split("<!-- /worked-example -->")[0]


def test_the_worked_example_is_what_the_code_reckons() -> None:
    example = _example()
    rows = re.findall(
        r"^\| (\d{4}-\d\d-\d\d) \| (\d{4}-\d\d-\d\d) \|\s+(\d+) \|\s+([\d,.]+) \|\s+([\d.]+) \|"
        r"\s+([\d.]+) \|$",
        example,
        flags=re.M,
    )
    figures = dict(re.findall(r"^- ([a-z ,]+): \*\*([\d,.]+) €\*\*$", example, flags=re.M))
    assert len(rows) == 4 and len(figures) == 4

    invoice = OpenInvoice(1, "F-2025-031", dt.date(2025, 3, 31), "EUR", 1_220_000,
                          (Paid(dt.date(2025, 9, 15), 220_000),))  # fmt: skip
    as_of = dt.date(2026, 2, 15)
    rates = default_rates()
    day = invoice.due_date + dt.timedelta(days=1)
    exact = Fraction(0)
    for start, end, days, principal, rate, interest in rows:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        assert first == day  # the rows cover every day, in order
        assert int(days) == (last - first).days + 1
        assert _cents(principal) == invoice.principal_on(first - dt.timedelta(days=1))
        assert Decimal(rate) == rates.reference.rate_on(first)[0] + STATUTORY_POINTS
        assert rates.reference.rate_on(last)[0] == rates.reference.rate_on(first)[0]
        row = Fraction(_cents(principal)) * Fraction(Decimal(rate)) * int(days) / 36_500
        assert round(Decimal(row.numerator) / row.denominator / 100, 4) == Decimal(interest)
        exact += row
        day = last + dt.timedelta(days=1)
    assert day == as_of + dt.timedelta(days=1)

    claim = build_claim(1, as_of, True, None, [invoice],
                        Interest(basis="statutory", compensation=True), rates)  # fmt: skip
    assert claim.interest_cents == _cents(figures["interest, rounded once"])
    assert claim.interest_cents == int(exact + Fraction(1, 2))  # half up, once
    assert claim.compensation_cents == _cents(figures["compensation"])
    assert claim.principal_cents == _cents(figures["principal still open"])
    assert claim.total_cents == _cents(figures["total claimed"])
