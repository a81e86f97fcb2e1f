"""A debtor's exposure: what they owe us now, overdue and not yet due.

Exposure counts every invoice that still carries a balance, whatever the cadence does with it
(open, partly paid, in a plan, disputed): the credit limit is about money at risk, not about what
is being chased. The balance is the invoice amount less what was paid, any discount granted and
any amount written off (bot/writeoffs.py: written off, never paid).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.enums import InvoiceStatus
from bot.models import Invoice

# Invoices with a balance that counts towards exposure.
EXPOSED_STATUSES = (
    InvoiceStatus.OPEN,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.IN_PLAN,
    InvoiceStatus.DISPUTED,
)


@dataclass(frozen=True)
class Exposure:
    overdue_cents: int = 0
    not_due_cents: int = 0
    open_invoices: int = 0

    @property
    def total_cents(self) -> int:
        return self.overdue_cents + self.not_due_cents

    def add(self, balance_cents: int, due: dt.date, today: dt.date) -> Exposure:
        """This exposure with one more invoice's balance (overdue when due before today)."""
        overdue = due < today
        return Exposure(
            overdue_cents=self.overdue_cents + (balance_cents if overdue else 0),
            not_due_cents=self.not_due_cents + (0 if overdue else balance_cents),
            open_invoices=self.open_invoices + 1,
        )


async def load_exposure(
    today: dt.date, debtor_ids: Sequence[int] | None = None
) -> dict[int, Exposure]:
    """Each debtor's exposure today, in one query (debtors with nothing open are absent)."""
    query = Invoice.filter(status__in=EXPOSED_STATUSES)
    if debtor_ids is not None:
        query = query.filter(debtor_id__in=list(debtor_ids))
    rows = await query.values(
        "debtor_id", "due_date", "amount_cents", "paid_cents", "discount_cents", "written_off_cents"
    )
    exposures: dict[int, Exposure] = {}
    for row in rows:
        owed = row["amount_cents"] - row["discount_cents"] - row["written_off_cents"]
        balance = max(owed - row["paid_cents"], 0)
        if balance:
            seen = exposures.get(row["debtor_id"], Exposure())
            exposures[row["debtor_id"]] = seen.add(balance, row["due_date"], today)
    return exposures
