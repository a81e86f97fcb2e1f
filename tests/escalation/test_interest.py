"""Interest and the €40 against an independent day-by-day reckoning (bot/escalation/interest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from bot.escalation.interest import (
    OpenInvoice,
    Paid,
    accrued,
    build_claim,
    choose_basis,
    round_half_up,
)
from bot.escalation.rates import LEGAL, REFERENCE, Period, Rates, RateTable
from bot.policy_interest import Interest

DAY = dt.timedelta(days=1)


def _table(kind: str, first: Period, percents: list[Decimal]) -> RateTable:
    entries, period = [], first
    for percent in percents:
        entries.append((period, percent))
        period = period.next()
    return RateTable(kind, tuple(entries))


def _naive_rate(table: RateTable, day: dt.date) -> Decimal:
    """Looked up by walking the table: the entry whose days hold `day`, else the nearest end."""
    for period, percent in table.entries:
        if period.start <= day <= period.end:
            return percent
    return table.entries[0][1] if day < table.entries[0][0].start else table.entries[-1][1]


def day_by_day(
    invoice: OpenInvoice,
    kind: str,
    rates: Rates,
    as_of: dt.date,
    percent: Decimal = Decimal(0),
    from_day: dt.date | None = None,
) -> int:
    """One day at a time: the balance unpaid at the day's start times the day's rate / 365."""
    total = Fraction(0)
    day = invoice.due_date + DAY
    while day <= as_of:
        if from_day is None or day > from_day:
            paid = sum(p.cents for p in invoice.payments if p.day < day)
            balance = max(invoice.owed_cents - paid, 0)
            if kind == "statutory":
                rate = _naive_rate(rates.reference, day) + 8
            elif kind == "legal":
                rate = _naive_rate(rates.legal, day)
            else:
                rate = percent
            total += Fraction(balance) * Fraction(rate) / 36500
        day += DAY
    cents = int(total)
    return cents + (1 if total - cents >= Fraction(1, 2) else 0)


percents = st.decimals(min_value=0, max_value=15, places=2)
days = st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2020, 12, 31))


@st.composite
def cases(draw: st.DrawFn) -> tuple[OpenInvoice, Rates, dt.date]:
    first_half = Period(draw(st.integers(2014, 2016)), draw(st.integers(1, 2)))
    reference = _table(REFERENCE, first_half, draw(st.lists(percents, min_size=1, max_size=12)))
    legal = _table(
        LEGAL,
        Period(draw(st.integers(2014, 2017)), 0),
        draw(st.lists(percents, min_size=1, max_size=5)),
    )
    due = draw(days)
    owed = draw(st.integers(1, 10_000_000))
    paid = draw(st.lists(st.tuples(st.integers(-40, 900), st.integers(1, 5_000_000)), max_size=6))
    payments = tuple(Paid(due + dt.timedelta(days=offset), cents) for offset, cents in paid)
    as_of = due + dt.timedelta(days=draw(st.integers(-5, 1200)))
    invoice = OpenInvoice(1, "F-1", due, "EUR", owed, payments)
    return invoice, Rates(reference, legal), as_of


@given(cases())
def test_statutory_matches_the_day_by_day_reckoning(case: tuple) -> None:
    invoice, rates, as_of = case
    basis = choose_basis(Interest(basis="statutory"), True, None)
    exact, _ = accrued(invoice, basis, rates, as_of)
    assert round_half_up(exact) == day_by_day(invoice, "statutory", rates, as_of)


@given(cases(), percents)
def test_contractual_matches_the_day_by_day_reckoning(case: tuple, percent: Decimal) -> None:
    invoice, rates, as_of = case
    basis = choose_basis(Interest(basis="contractual", contractual_rate=percent), True, None)
    exact, stale = accrued(invoice, basis, rates, as_of)
    assert not stale
    assert round_half_up(exact) == day_by_day(invoice, "contractual", rates, as_of, percent)


@given(cases(), st.integers(-60, 400))
def test_legal_interest_from_the_day_in_default(case: tuple, offset: int) -> None:
    invoice, rates, as_of = case
    in_default = invoice.due_date + dt.timedelta(days=offset)
    basis = choose_basis(Interest(consumer_legal_interest=True), False, in_default)
    assert basis.kind == "legal"
    exact, _ = accrued(invoice, basis, rates, as_of)
    expected = day_by_day(invoice, "legal", rates, as_of, from_day=in_default)
    assert round_half_up(exact) == expected


@given(cases())
def test_the_claim_rounds_once_per_invoice_and_adds_40_for_business(case: tuple) -> None:
    invoice, rates, as_of = case
    policy = Interest(basis="statutory", compensation=True)
    claim = build_claim(7, as_of, True, None, [invoice], policy, rates)
    open_now = invoice.principal_on(as_of)
    if open_now == 0:
        assert claim.lines == ()
        return
    (line,) = claim.lines
    assert line.principal_cents == open_now
    assert line.interest_cents == day_by_day(invoice, "statutory", rates, as_of)
    assert line.compensation_cents == (4000 if invoice.due_date < as_of else 0)
    assert claim.total_cents == open_now + line.interest_cents + line.compensation_cents


@given(cases())
def test_a_consumer_is_never_asked_for_statutory_interest_or_the_40(case: tuple) -> None:
    invoice, rates, as_of = case
    policy = Interest(basis="statutory", compensation=True, consumer_legal_interest=False)
    claim = build_claim(7, as_of, False, invoice.due_date, [invoice], policy, rates)
    assert claim.basis == "none"
    assert claim.interest_cents == 0 and claim.compensation_cents == 0


def test_beyond_the_table_the_last_rate_holds_and_the_claim_says_so() -> None:
    reference = _table(REFERENCE, Period(2025, 1), [Decimal("3.15"), Decimal("2.15")])
    rates = Rates(reference, _table(LEGAL, Period(2025, 0), [Decimal(2)]))
    invoice = OpenInvoice(1, "F-1", dt.date(2025, 12, 31), "EUR", 100_000)
    claim = build_claim(
        1, dt.date(2026, 1, 31), True, None, [invoice], Interest(basis="statutory"), rates
    )
    # 31 days at 2.15 + 8 = 10.15 % on 1,000.00: 8.620... -> 862 cents
    assert claim.lines[0].interest_cents == 862
    assert claim.rates_stale is True
    earlier = OpenInvoice(2, "F-2", dt.date(2025, 11, 30), "EUR", 100_000)
    policy = Interest(basis="statutory")
    inside = build_claim(1, dt.date(2025, 12, 31), True, None, [earlier], policy, rates)
    assert inside.rates_stale is False


def test_a_payment_stops_interest_on_what_it_paid_after_its_day() -> None:
    rates = Rates(
        _table(REFERENCE, Period(2024, 2), [Decimal(2)] * 2),
        _table(LEGAL, Period(2024, 0), [Decimal(1)]),
    )
    # 10 % a year on 365.00 is 0.10 a day; 100.00 of it paid on day 10.
    invoice = OpenInvoice(
        1, "F-1", dt.date(2024, 9, 30), "EUR", 36_500, (Paid(dt.date(2024, 10, 10), 10_000),)
    )
    exact, _ = accrued(
        invoice, choose_basis(Interest(basis="statutory"), True, None), rates, dt.date(2024, 10, 20)
    )
    # 10 days on 365.00 (10.0 cents a day) + 10 days on 265.00 (~7.26 cents a day)
    assert exact == Fraction(36_500 * 10 * 10, 36_500) + Fraction(26_500 * 10 * 10, 36_500)
    assert round_half_up(exact) == 173


def test_half_up_rounding() -> None:
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(149, 100)) == 1
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(0)) == 0
