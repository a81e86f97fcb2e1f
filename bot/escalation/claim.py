"""What is claimed from a debtor on a day: per invoice the principal still open, the late-payment
interest to that day and the fixed compensation, all in integer cents.

A `Claim` is data: the interest module computes it, the formal notice, `/debtor` and the pay page
show it. Nothing here reads the database or the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimLine:
    """One invoice's part of a claim."""

    invoice_id: int
    number: str
    due_date: dt.date
    currency: str
    principal_cents: int  # still open on the claim's day
    interest_cents: int  # accrued to the claim's day (0 when the policy claims none)
    compensation_cents: int  # the fixed €40 (art. 6 D.Lgs. 231/2002) for business debtors, else 0

    @property
    def total_cents(self) -> int:
        return self.principal_cents + self.interest_cents + self.compensation_cents


@dataclass(frozen=True)
class Claim:
    """Everything claimed from one debtor on `as_of`."""

    debtor_id: int
    as_of: dt.date
    is_business: bool
    basis: str  # how interest is reckoned, e.g. "statutory", "contractual", "legal", "none"
    lines: tuple[ClaimLine, ...]
    # A rate came from beyond its table (the last known rate applied): say so where shown.
    rates_stale: bool = False

    @property
    def principal_cents(self) -> int:
        return sum(line.principal_cents for line in self.lines)

    @property
    def interest_cents(self) -> int:
        return sum(line.interest_cents for line in self.lines)

    @property
    def compensation_cents(self) -> int:
        return sum(line.compensation_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)
