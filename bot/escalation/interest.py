"""Late-payment interest and the fixed compensation, exactly (docs/interest.md). Pure: data in,
a `Claim` out; no database, no clock.

Interest is simple, per invoice, per day: a day D counts when due_date < D <= the claim's day
(for the legal rate also D > the day the debtor was put in default), on the principal still
unpaid at the start of D, at the rate of D's period (the half-year's reference rate + 8 points,
the year's legal rate, or the contractual rate), a day being 1/365 of a year in every year. A
payment stops interest on what it paid after the day it was paid: days = payment day - due
date, as the usual calculators and the courts count them. The sum is an exact fraction of cents,
rounded once, half up, to integer cents per invoice.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from bot.escalation.claim import Claim, ClaimLine
from bot.escalation.rates import Period, Rates, RateTable, period_of
from bot.policy_interest import CONTRACTUAL, NONE, STATUTORY, Interest

STATUTORY_POINTS = Decimal(8)  # art. 5 D.Lgs. 231/2002, transactions from 1 January 2013
COMPENSATION_CENTS = 4000  # art. 6: 40 euros per invoice paid late
COMPENSATION_CURRENCY = "EUR"
LEGAL_BASIS = "legal"
DAYS_A_YEAR = 365


@dataclass(frozen=True)
class Paid:
    """Part of an invoice paid on a day."""

    day: dt.date
    cents: int


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    number: str
    due_date: dt.date
    currency: str
    owed_cents: int  # owed on the due date (amount less discount and undated payments)
    payments: tuple[Paid, ...] = ()

    def principal_on(self, day: dt.date) -> int:
        """What is still unpaid at the end of `day`."""
        return max(self.owed_cents - sum(p.cents for p in self.payments if p.day <= day), 0)


@dataclass(frozen=True)
class Basis:
    """How one debtor's interest is reckoned: `kind` is statutory, contractual, legal or none."""

    kind: str
    percent: Decimal | None = None  # the contractual rate
    from_day: dt.date | None = None  # legal: the day the debtor was put in default

    def table(self, rates: Rates) -> RateTable | None:
        return {STATUTORY: rates.reference, LEGAL_BASIS: rates.legal}.get(self.kind)


def choose_basis(policy: Interest, is_business: bool, in_default_since: dt.date | None) -> Basis:
    """Business debtors: the policy's basis. Consumers: never the statutory nor a contractual
    rate; the legal rate from the day put in default when the policy says so, else none."""
    if is_business:
        if policy.basis == CONTRACTUAL:
            return Basis(CONTRACTUAL, percent=policy.contractual_rate)
        return Basis(policy.basis)
    if policy.consumer_legal_interest and in_default_since is not None:
        return Basis(LEGAL_BASIS, from_day=in_default_since)
    return Basis(NONE)


def _first_day(invoice: OpenInvoice, basis: Basis) -> dt.date:
    start = invoice.due_date + dt.timedelta(days=1)
    if basis.from_day is not None:
        start = max(start, basis.from_day + dt.timedelta(days=1))
    return start


def _period_starts(table: RateTable, start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the periods that begin after `start`, up to `end`."""
    starts = []
    period: Period = period_of(start, table.kind)
    while (period := period.next()).start <= end:
        starts.append(period.start)
    return starts


def _percent_on(basis: Basis, table: RateTable | None, day: dt.date) -> tuple[Decimal, bool]:
    if table is None:
        return (basis.percent or Decimal(0)), False
    rate, beyond = table.rate_on(day)
    return (rate + STATUTORY_POINTS if basis.kind == STATUTORY else rate), beyond


def accrued(
    invoice: OpenInvoice, basis: Basis, rates: Rates, as_of: dt.date
) -> tuple[Fraction, bool]:
    """The exact interest in cents from the first day to `as_of`, and whether a rate came from
    beyond its table."""
    if basis.kind == NONE:
        return Fraction(0), False
    start = _first_day(invoice, basis)
    if start > as_of:
        return Fraction(0), False
    table = basis.table(rates)
    cuts = {start}
    cuts.update(p.day + dt.timedelta(days=1) for p in invoice.payments)
    if table is not None:
        cuts.update(_period_starts(table, start, as_of))
    bounds = sorted(day for day in cuts if start <= day <= as_of)
    bounds.append(as_of + dt.timedelta(days=1))
    # Cent-days per rate: exact integers, turned into a fraction once per rate.
    weighted: dict[Decimal, int] = {}
    stale = False
    for first, after in itertools.pairwise(bounds):
        balance = invoice.principal_on(first - dt.timedelta(days=1))
        percent, beyond = _percent_on(basis, table, first)
        stale = stale or beyond
        weighted[percent] = weighted.get(percent, 0) + balance * (after - first).days
    total = sum(
        (Fraction(percent) * cent_days for percent, cent_days in weighted.items()), Fraction(0)
    )
    return total / (100 * DAYS_A_YEAR), stale


def round_half_up(value: Fraction) -> int:
    """Cents, rounded half up (away from zero for the halves; interest is never negative)."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


def compensation_cents(
    invoice: OpenInvoice, is_business: bool, policy: Interest, as_of: dt.date
) -> int:
    overdue = invoice.due_date < as_of and invoice.principal_on(as_of) > 0
    eligible = is_business and policy.compensation and invoice.currency == COMPENSATION_CURRENCY
    return COMPENSATION_CENTS if overdue and eligible else 0


def claim_line(
    invoice: OpenInvoice,
    basis: Basis,
    rates: Rates,
    as_of: dt.date,
    compensation: int,
) -> tuple[ClaimLine, bool]:
    interest, stale = accrued(invoice, basis, rates, as_of)
    line = ClaimLine(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        due_date=invoice.due_date,
        currency=invoice.currency,
        principal_cents=invoice.principal_on(as_of),
        interest_cents=round_half_up(interest),
        compensation_cents=compensation,
    )
    return line, stale


def build_claim(
    debtor_id: int,
    as_of: dt.date,
    is_business: bool,
    in_default_since: dt.date | None,
    invoices: Iterable[OpenInvoice],
    policy: Interest,
    rates: Rates,
) -> Claim:
    """The claim on `as_of` over the debtor's open invoices (oldest due first)."""
    basis = choose_basis(policy, is_business, in_default_since)
    lines: list[ClaimLine] = []
    stale = False
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.number)):
        if invoice.principal_on(as_of) <= 0:
            continue
        compensation = compensation_cents(invoice, is_business, policy, as_of)
        line, beyond = claim_line(invoice, basis, rates, as_of, compensation)
        lines.append(line)
        stale = stale or beyond
    return Claim(
        debtor_id=debtor_id,
        as_of=as_of,
        is_business=is_business,
        basis=basis.kind,
        lines=tuple(lines),
        rates_stale=stale,
    )


def statutory_percent(rates: Rates, day: dt.date) -> Decimal:
    """The statutory late-payment rate on `day` (reference + 8 points), for the texts."""
    return rates.reference.rate_on(day)[0] + STATUTORY_POINTS
