"""How late a debtor pays: the settled invoices and their days late, weighted to recent ones.

One meaning everywhere (the risk score, the early warning, the cash-flow forecast): an invoice is
settled on the company-local date of the payment that brought its balance to zero, and its days
late are that date minus the due date (negative when paid early). A recent invoice weighs more
than an old one: the weight halves every `HALF_LIFE_DAYS` of age, counted from its due date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.enums import InvoiceStatus, PaymentStatus
from bot.models import PaymentAllocation

HALF_LIFE_DAYS = 180


@dataclass(frozen=True)
class Settled:
    """One invoice paid in full: when it was due and when the money that closed it arrived."""

    debtor_id: int
    invoice_id: int
    due: dt.date
    paid: dt.date
    amount_cents: int

    @property
    def days_late(self) -> int:
        """Days after the due date (negative: paid early)."""
        return (self.paid - self.due).days


def weight(due: dt.date, today: dt.date, half_life_days: int = HALF_LIFE_DAYS) -> float:
    """An invoice's weight: 1 when due today (or later), halving every `half_life_days` of age."""
    age = max((today - due).days, 0)
    return float(0.5 ** (age / half_life_days))


def weighted_days_late(
    settled: Sequence[Settled], today: dt.date, half_life_days: int = HALF_LIFE_DAYS
) -> float | None:
    """The recency-weighted mean of days late (early payments count as 0); None without history."""
    if not settled:
        return None
    weights = [weight(s.due, today, half_life_days) for s in settled]
    total = sum(weights)
    late = sum(w * max(s.days_late, 0) for w, s in zip(weights, settled, strict=True))
    return late / total if total else None


def by_debtor(settled: Iterable[Settled]) -> dict[int, list[Settled]]:
    """Settled invoices grouped per debtor, oldest due date first."""
    grouped: dict[int, list[Settled]] = defaultdict(list)
    for s in settled:
        grouped[s.debtor_id].append(s)
    for rows in grouped.values():
        rows.sort(key=lambda s: (s.due, s.invoice_id))
    return dict(grouped)


async def load_settled(zone: ZoneInfo, debtor_ids: Sequence[int] | None = None) -> list[Settled]:
    """Every invoice now paid in full, with the date of the last payment allocated to it.

    One query over the allocations of succeeded payments (optionally for some debtors only).
    """
    query = PaymentAllocation.filter(
        invoice__status=InvoiceStatus.PAID, payment__status=PaymentStatus.SUCCEEDED
    )
    if debtor_ids is not None:
        query = query.filter(invoice__debtor_id__in=list(debtor_ids))
    rows = await query.values(
        "invoice_id",
        "invoice__debtor_id",
        "invoice__due_date",
        "invoice__amount_cents",
        "payment__received_at",
    )
    last: dict[int, dict[str, object]] = {}
    for row in rows:
        seen = last.get(row["invoice_id"])
        if seen is None or row["payment__received_at"] > seen["payment__received_at"]:
            last[row["invoice_id"]] = row
    return [
        Settled(
            debtor_id=int(row["invoice__debtor_id"]),  # type: ignore[call-overload]
            invoice_id=invoice_id,
            due=row["invoice__due_date"],  # type: ignore[arg-type]
            paid=row["payment__received_at"].astimezone(zone).date(),  # type: ignore[attr-defined]
            amount_cents=int(row["invoice__amount_cents"]),  # type: ignore[call-overload]
        )
        for invoice_id, row in last.items()
    ]
