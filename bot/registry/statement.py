"""A statement of account: the open items with their due dates, and the payments received. Pure.

What a debtor gets when they ask "estratto conto" / "what do I owe" in the chat (as text, and as
a PDF where the channel carries one: bot/registry/statement_pdf.py). The rows come from
bot/registry/loading.py `load_statement_rows`; the figures are the same as the exposure's
(bot/credit/exposure.py): an item is open while it carries a balance, overdue once its due date
has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.credit.exposure import EXPOSED_STATUSES

Row = Mapping[str, Any]
# Payments received within this many days are listed.
PAYMENTS_SINCE_DAYS = 365
_OPEN = frozenset(status.value for status in EXPOSED_STATUSES)


@dataclass(frozen=True)
class Item:
    number: str
    issue_date: dt.date
    due_date: dt.date
    amount_cents: int
    settled_cents: int  # paid, and any discount granted
    balance_cents: int
    days_overdue: int  # 0 while not yet due
    written_off_cents: int = 0  # closed as not collectable (bot/writeoffs.py): not paid

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class Received:
    day: dt.date  # company day
    amount_cents: int
    method: str
    invoices: tuple[str, ...]  # the invoices it was allocated to


@dataclass(frozen=True)
class Statement:
    name: str
    ref: str
    today: dt.date
    currency: str
    items: tuple[Item, ...]
    payments: tuple[Received, ...]  # newest first, within PAYMENTS_SINCE_DAYS
    since: dt.date  # the first day whose payments are listed

    @property
    def total_cents(self) -> int:
        return sum(item.balance_cents for item in self.items)

    @property
    def overdue_cents(self) -> int:
        return sum(item.balance_cents for item in self.items if item.overdue)

    @property
    def not_due_cents(self) -> int:
        return self.total_cents - self.overdue_cents

    @property
    def received_cents(self) -> int:
        return sum(payment.amount_cents for payment in self.payments)

    def as_context(self) -> dict[str, Any]:
        """Plain data for the templates."""
        return {
            "name": self.name,
            "ref": self.ref,
            "today": self.today,
            "currency": self.currency,
            "items": [vars(item) | {"overdue": item.overdue} for item in self.items],
            "payments": [vars(payment) for payment in self.payments],
            "since": self.since,
            "total_cents": self.total_cents,
            "overdue_cents": self.overdue_cents,
            "not_due_cents": self.not_due_cents,
            "received_cents": self.received_cents,
        }


def open_items(invoices: Iterable[Row], today: dt.date) -> tuple[Item, ...]:
    """The invoices that carry a balance, by due date."""
    items = []
    for row in invoices:
        status = getattr(row["status"], "value", row["status"])
        settled = row["paid_cents"] + row["discount_cents"]
        written_off = row.get("written_off_cents") or 0
        balance = max(row["amount_cents"] - settled - written_off, 0)
        if status not in _OPEN or balance <= 0:
            continue
        items.append(
            Item(
                number=row["number"],
                issue_date=row["issue_date"],
                due_date=row["due_date"],
                amount_cents=row["amount_cents"],
                settled_cents=settled,
                balance_cents=balance,
                days_overdue=max((today - row["due_date"]).days, 0),
                written_off_cents=written_off,
            )
        )
    return tuple(sorted(items, key=lambda item: (item.due_date, item.number)))


def received(
    payments: Iterable[Row], allocations: Iterable[Row], since: dt.date, zone: str
) -> tuple[Received, ...]:
    """Succeeded payments received on or after `since` (company days), newest first."""
    numbers: dict[int, list[str]] = {}
    for row in allocations:
        numbers.setdefault(row["payment_id"], []).append(row["invoice__number"])
    listed = []
    for row in payments:
        if getattr(row["status"], "value", row["status"]) != "succeeded":
            continue
        day = row["received_at"].astimezone(ZoneInfo(zone)).date()
        if day >= since:
            method = getattr(row["method"], "value", row["method"])
            invoices = tuple(sorted(numbers.get(row["id"], [])))
            listed.append(Received(day, row["amount_cents"], method, invoices))
    return tuple(sorted(listed, key=lambda payment: payment.day, reverse=True))


def statement(
    name: str,
    ref: str,
    invoices: Iterable[Row],
    payments: Iterable[Row],
    allocations: Iterable[Row],
    *,
    today: dt.date,
    zone: str,
    currency: str = "EUR",
) -> Statement:
    since = today - dt.timedelta(days=PAYMENTS_SINCE_DAYS)
    return Statement(
        name=name,
        ref=ref,
        today=today,
        currency=currency,
        items=open_items(invoices, today),
        payments=received(payments, allocations, since, zone),
        since=since,
    )
