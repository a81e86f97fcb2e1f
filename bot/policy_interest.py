"""The policy's `[interest]` section: what a late debtor is asked for beyond the principal.

- `basis`: "statutory" (D.Lgs. 231/2002: the half-year's reference rate + 8 points, from the day
  after the due date), "contractual" (`contractual_rate`, percent a year, the same days) or
  "none". It applies to business debtors;
- `consumer_legal_interest`: consumers are never asked for the statutory or the contractual
  rate; with `true` they are asked for the legal rate (art. 1284 c.c., the year's rate) from the
  day after they were put in default (Debtor.in_default_since), else for no interest;
- `compensation`: the fixed €40 per overdue invoice (art. 6 D.Lgs. 231/2002), business debtors only;
- `collect_on_pay_link`: the pay link's card checkout also collects the interest and the €40,
  as separate line items (else it collects the principal and the page only shows them).

A policy without the section asks for nothing beyond the principal. Plain data: bot/policy.py
holds it as `Policy.interest`; bot/escalation/interest.py reckons with it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

STATUTORY = "statutory"
CONTRACTUAL = "contractual"
NONE = "none"


class Interest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: Literal["statutory", "contractual", "none"] = NONE
    contractual_rate: Decimal | None = Field(default=None, ge=0, le=100)  # percent a year
    consumer_legal_interest: StrictBool = False
    compensation: StrictBool = False
    collect_on_pay_link: StrictBool = False

    @model_validator(mode="after")
    def _rate_with_its_basis(self) -> Interest:
        if self.basis == CONTRACTUAL and self.contractual_rate is None:
            raise ValueError('basis = "contractual" needs contractual_rate (percent a year)')
        if self.basis != CONTRACTUAL and self.contractual_rate is not None:
            raise ValueError('contractual_rate is only read with basis = "contractual"')
        return self

    @property
    def claims_anything(self) -> bool:
        return self.basis != NONE or self.consumer_legal_interest or self.compensation


def describe_interest(interest: Interest) -> list[str]:
    """The section as `policy check` prints it."""
    basis = {
        STATUTORY: "statutory (reference rate + 8 points, D.Lgs. 231/2002)",
        CONTRACTUAL: f"contractual, {interest.contractual_rate}% a year",
        NONE: "none",
    }[interest.basis]
    legal = interest.consumer_legal_interest
    consumer = "legal rate from the day put in default" if legal else "none"
    forty = "yes" if interest.compensation else "no"
    return [
        "Late-payment interest (docs/interest.md):",
        f"  business debtors: {basis}",
        f"  consumers: {consumer}",
        f"  €40 compensation per overdue invoice (business): {forty}",
        f"  collected by the pay link: {'yes' if interest.collect_on_pay_link else 'no'}",
    ]
