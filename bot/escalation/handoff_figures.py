"""The figures of a case handed to a collector or a lawyer: pure, from the rows as loaded.

Shown in the package's README, in the staff chat and by `case handoff`; the same numbers as the
CSV files beside them (tests/escalation/test_handoff.py checks one against the other)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.enums import CHASEABLE_STATUSES
from bot.models import Invoice, Payment, PaymentStatus


@dataclass(frozen=True)
class CaseFigures:
    currency: str
    invoices: int
    invoiced_cents: int
    paid_cents: int
    open_invoices: int
    open_cents: int  # still owed on open and partly paid invoices
    overdue_invoices: int
    overdue_cents: int  # of which past due on `as_of`
    oldest_due: dt.date | None  # the oldest open due date
    payments: int
    received_cents: int  # payments that succeeded, as received
    last_payment: dt.date | None


def case_figures(invoices: list[Invoice], payments: list[Payment], as_of: dt.date) -> CaseFigures:
    open_ = [i for i in invoices if i.status in CHASEABLE_STATUSES and i.balance_cents > 0]
    overdue = [i for i in open_ if i.due_date < as_of]
    received = [p for p in payments if p.status is PaymentStatus.SUCCEEDED]
    currencies = sorted({i.currency for i in invoices}) or ["EUR"]
    return CaseFigures(
        currency=currencies[0] if len(currencies) == 1 else "/".join(currencies),
        invoices=len(invoices),
        invoiced_cents=sum(i.amount_cents for i in invoices),
        paid_cents=sum(i.paid_cents for i in invoices),
        open_invoices=len(open_),
        open_cents=sum(i.balance_cents for i in open_),
        overdue_invoices=len(overdue),
        overdue_cents=sum(i.balance_cents for i in overdue),
        oldest_due=min((i.due_date for i in open_), default=None),
        payments=len(received),
        received_cents=sum(p.amount_cents for p in received),
        last_payment=max((p.received_at.date() for p in received), default=None),
    )
