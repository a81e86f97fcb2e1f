"""The policy's `[payments]` and `[riba]` sections: what a reversed payment, SEPA Direct Debit and
a RiBa insoluto do (docs/payments.md). Read by bot/policy.py into `Policy.payments` and
`Policy.riba`; a `[riba] start_step` that names no step of the cadence is an error with its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.enums import RibaOutcome

OutcomeCode = Annotated[str, Field(pattern=r"^[0-9A-Z]{5}$")]


def _cents(value: Any) -> int:
    """Euros as written in TOML (read with Decimal: 7.5, "7.50", 7) -> integer cents, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("an amount in euros, such as 7.50")
    try:
        cents = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise ValueError("an amount in euros, such as 7.50") from None
    if not cents.is_finite() or cents < 0 or cents != cents.to_integral_value():
        raise ValueError("an amount in euros of zero or more, with at most two decimals")
    return int(cents)


class PaymentsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Days after a payment is reversed (refund, dispute, failed debit) before reminders resume:
    # time for staff to look at it and for the debtor to pay again on their own.
    reopen_grace_days: int = Field(default=3, ge=0, le=60)
    # Offer Stripe's SEPA Direct Debit (a mandate signed in Checkout) to business debtors.
    sepa_debit: bool = False


class RibaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Add the bank's charges for an insoluto to what the debtor owes (a separate item).
    charge_fees: bool = False
    # The charges when the esiti flow gives none (euros, as every amount in the policy).
    fees_cents: Annotated[int, BeforeValidator(_cents)] = Field(default=0, alias="fees")
    # The cadence step an insoluto starts at (a step name of [[steps]]); "" = the cadence as usual.
    start_step: str = ""
    # The outcome codes (record 14, causale) the bank's esiti flow writes for each outcome: a code
    # in none of them is refused with its line, never guessed.
    paid_codes: tuple[OutcomeCode, ...] = ("30000",)
    unpaid_codes: tuple[OutcomeCode, ...] = ("30100",)
    recalled_codes: tuple[OutcomeCode, ...] = ("30200",)

    def outcomes(self) -> dict[str, RibaOutcome]:
        """Code -> outcome, for bot/payments/riba.py."""
        found = {code: RibaOutcome.RECALLED for code in self.recalled_codes}
        found.update({code: RibaOutcome.UNPAID for code in self.unpaid_codes})
        found.update({code: RibaOutcome.PAID for code in self.paid_codes})
        return found


def check_riba_step(riba: RibaPolicy, step_names: Sequence[str]) -> None:
    """Raises a ValidationError located at riba.start_step when it names no step."""
    if not riba.start_step or riba.start_step in step_names:
        return
    message = "names no step of the cadence; one of {names}"
    raise ValidationError.from_exception_data(
        "Policy",
        [
            InitErrorDetails(
                type=PydanticCustomError("value_error", message, {"names": ", ".join(step_names)}),
                loc=("riba", "start_step"),
                input=riba.start_step,
            )
        ],
    )
