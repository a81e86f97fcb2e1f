"""The reads behind the cash-flow forecast, the aging, DSO and the due-date list, set-based.

Hand-written SQL through bot/sql.py (one statement each, as the hot paths do): at 100,000 invoices
the ORM's row building was most of /cashflow's time. `fetch_settled` is the same read as
bot/credit/lateness.load_settled (tests/credit/test_ledger.py holds them equal on the same data);
the figures themselves are computed by the pure modules beside this one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot import sql
from bot.credit.cashflow import REPORT_CURRENCY, InstalmentItem, OpenItem, PromiseItem
from bot.credit.dso import InvoiceHistory
from bot.credit.exposure import EXPOSED_STATUSES
from bot.credit.lateness import Settled, by_debtor, weighted_days_late
from bot.enums import InvoiceStatus, PaymentStatus
from bot.models import InstalmentStatus, PlanStatus, PromiseStatus

LEFT_OUT = (InvoiceStatus.CANCELLED.value, InvoiceStatus.WRITTEN_OFF.value)
# What an invoice still asks: less what was paid, a discount granted, an amount written off
# (bot/writeoffs.py; written off is never paid). `t` is the table's alias with its dot, or "".
OWED_SQL = "{t}amount_cents - {t}paid_cents - {t}discount_cents - {t}written_off_cents"


@lru_cache(maxsize=8192)
def _date(value: Any) -> dt.date:
    """A DATE column from either driver (SQLite hands back ISO text). Remembered: 100,000
    invoices fall due on a few hundred days."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _marks(count: int) -> str:
    return ", ".join("?" * count)


async def fetch_settled(zone: ZoneInfo, debtor_ids: Sequence[int] | None = None) -> list[Settled]:
    """Every invoice paid in full and the company-local date of the last payment allocated to it:
    `load_settled`'s answer in one grouped statement."""
    values: list[Any] = [InvoiceStatus.PAID.value, PaymentStatus.SUCCEEDED.value]
    only = ""
    if debtor_ids is not None:
        if not debtor_ids:
            return []
        only = f" AND i.debtor_id IN ({_marks(len(debtor_ids))})"
        values.extend(debtor_ids)
    rows = await sql.fetch(
        "SELECT i.id, i.debtor_id, i.due_date, i.amount_cents, MAX(p.received_at)"
        " FROM payment_allocation a JOIN invoice i ON i.id = a.invoice_id"
        " JOIN payment p ON p.id = a.payment_id"
        f" WHERE i.status = ? AND p.status = ?{only}"
        " GROUP BY i.id, i.debtor_id, i.due_date, i.amount_cents",
        values,
    )
    settled = []
    for invoice_id, debtor_id, due, amount, received in rows:
        paid = sql.parse_time(received)
        assert paid is not None  # MAX over a join of existing rows
        settled.append(
            Settled(
                debtor_id=int(debtor_id),
                invoice_id=int(invoice_id),
                due=_date(due),
                paid=paid.astimezone(zone).date(),
                amount_cents=int(amount),
            )
        )
    return settled


async def load_days_late(zone: ZoneInfo, today: dt.date) -> dict[int, float | None]:
    """Each debtor's recency-weighted days late (bot/credit/lateness.py), debtors with history."""
    grouped = by_debtor(await fetch_settled(zone))
    return {debtor_id: weighted_days_late(rows, today) for debtor_id, rows in grouped.items()}


@dataclass(frozen=True)
class OpenInvoice:
    """A row of the due-date list: an invoice with a balance."""

    invoice_id: int
    number: str
    debtor_id: int
    debtor_name: str
    issued: dt.date
    due: dt.date
    amount_cents: int
    balance_cents: int
    status: InvoiceStatus
    currency: str


async def load_open_invoices() -> list[OpenInvoice]:
    """Every invoice with a balance (exposure's statuses), oldest due first."""
    statuses = [status.value for status in EXPOSED_STATUSES]
    rows = await sql.fetch(
        "SELECT i.id, i.number, i.debtor_id, d.name, i.issue_date, i.due_date, i.amount_cents,"
        f" {OWED_SQL.format(t='i.')}, i.status, i.currency"
        " FROM invoice i JOIN debtor d ON d.id = i.debtor_id"
        f" WHERE i.status IN ({_marks(len(statuses))})"
        f" AND {OWED_SQL.format(t='i.')} > 0"
        " ORDER BY i.due_date, i.id",
        statuses,
    )
    return [
        OpenInvoice(
            invoice_id=int(row[0]),
            number=str(row[1]),
            debtor_id=int(row[2]),
            debtor_name=str(row[3]),
            issued=_date(row[4]),
            due=_date(row[5]),
            amount_cents=int(row[6]),
            balance_cents=int(row[7]),
            status=InvoiceStatus(row[8]),
            currency=str(row[9]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CashflowInputs:
    items: list[OpenItem]
    promises: list[PromiseItem]
    instalments: list[InstalmentItem]
    other_currency: int  # invoices with a balance in another currency: left out


async def load_cashflow_inputs() -> CashflowInputs:
    """Open items outside active plans, pending promises, the active plans' open instalments.

    Three statements and no ORM rows: /cashflow reads every open invoice (issue 16: 100,000
    invoices under 2 s on SQLite)."""
    instalment_rows = await sql.fetch(
        "SELECT p.debtor_id, s.due_date, s.amount_cents - s.paid_cents"
        " FROM instalment s JOIN payment_plan p ON p.id = s.plan_id"
        " WHERE s.status = ? AND p.status = ?",
        [InstalmentStatus.DUE.value, PlanStatus.ACTIVE.value],
    )
    instalments = [
        InstalmentItem(int(debtor_id), _date(due), int(cents))
        for debtor_id, due, cents in instalment_rows
    ]
    in_plan = {item.debtor_id for item in instalments}
    statuses = [status.value for status in EXPOSED_STATUSES]
    rows = await sql.fetch(
        f"SELECT id, debtor_id, due_date, {OWED_SQL.format(t='')}, status,"
        f" currency FROM invoice WHERE status IN ({_marks(len(statuses))})"
        f" AND {OWED_SQL.format(t='')} > 0",
        statuses,
    )
    items: list[OpenItem] = []
    other = 0
    planned, disputed = InvoiceStatus.IN_PLAN.value, InvoiceStatus.DISPUTED.value
    for invoice_id, debtor_id, due, balance, status, currency in rows:
        if currency != REPORT_CURRENCY:
            other += 1
        elif status != planned or debtor_id not in in_plan:
            items.append(
                OpenItem(
                    int(debtor_id), int(invoice_id), _date(due), int(balance), status == disputed
                )
            )
    promises = [
        PromiseItem(int(debtor_id), _date(day), None if cents is None else int(cents))
        for debtor_id, day, cents in await sql.fetch(
            "SELECT debtor_id, promised_date, amount_cents FROM promise_to_pay WHERE status = ?",
            [PromiseStatus.PENDING.value],
        )
    ]
    return CashflowInputs(items, promises, instalments, other)


async def load_invoice_history(zone: ZoneInfo) -> list[InvoiceHistory]:
    """Every invoice in the report currency but the cancelled and written off, with its
    succeeded payments on their company-local dates."""
    rows = await sql.fetch(
        "SELECT id, issue_date, amount_cents - discount_cents - written_off_cents FROM invoice"
        " WHERE status NOT IN (?, ?) AND currency = ?",
        [*LEFT_OUT, REPORT_CURRENCY],
    )
    paid: dict[int, list[tuple[dt.date, int]]] = {}
    for invoice_id, cents, received in await sql.fetch(
        "SELECT a.invoice_id, a.amount_cents, p.received_at"
        " FROM payment_allocation a JOIN payment p ON p.id = a.payment_id"
        " JOIN invoice i ON i.id = a.invoice_id"
        " WHERE p.status = ? AND i.status NOT IN (?, ?) AND i.currency = ?",
        [PaymentStatus.SUCCEEDED.value, *LEFT_OUT, REPORT_CURRENCY],
    ):
        day = sql.parse_time(received)
        assert day is not None
        paid.setdefault(int(invoice_id), []).append((day.astimezone(zone).date(), int(cents)))
    return [
        InvoiceHistory(
            issued=_date(issued), net_cents=int(net), payments=tuple(paid.get(int(key), ()))
        )
        for key, issued, net in rows
    ]
