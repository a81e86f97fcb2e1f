"""The early warning's facts, loaded in bulk: one query per kind of fact for every debtor, then
grouped into one `DebtorFacts` each (bot/credit/warning.py reads them).

Dates are company-local: a payment, a reply or a reminder counts on the day it happened in the
company's time zone, as the lateness of bot/credit/lateness.py does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.credit.exposure import Exposure, load_exposure
from bot.credit.lateness import Settled, by_debtor, load_settled
from bot.credit.warning import (
    ANSWER_MEMORY_DAYS,
    BROKEN_MEMORY_DAYS,
    BROKEN_RECENT_DAYS,
    PARTIAL_MEMORY_DAYS,
    SILENCE_DAYS,
    DebtorFacts,
    DueInstalment,
    Partial,
)
from bot.models import (
    CHASEABLE_STATUSES,
    Debtor,
    Direction,
    Instalment,
    InstalmentStatus,
    Invoice,
    Message,
    PaymentAllocation,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)


@dataclass(frozen=True)
class DebtorName:
    debtor_id: int
    name: str
    external_ref: str
    credit_limit_cents: int | None


def _start(today: dt.date, days: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), zone)


async def load_debtors() -> dict[int, DebtorName]:
    """The debtors the warning may name: every one whose data has not been erased."""
    rows = await Debtor.filter(erased_at__isnull=True).values(
        "id", "name", "external_ref", "credit_limit_cents"
    )
    return {
        row["id"]: DebtorName(
            row["id"], row["name"], row["external_ref"], row["credit_limit_cents"]
        )
        for row in rows
    }


async def load_open_overdue(today: dt.date) -> dict[int, list[dt.date]]:
    rows = await Invoice.filter(status__in=CHASEABLE_STATUSES, due_date__lt=today).values(
        "debtor_id", "due_date"
    )
    grouped: dict[int, list[dt.date]] = defaultdict(list)
    for row in rows:
        grouped[row["debtor_id"]].append(row["due_date"])
    return grouped


async def load_partials(zone: ZoneInfo, today: dt.date) -> dict[int, list[Partial]]:
    """Payments of the last `PARTIAL_MEMORY_DAYS` that left their invoice with a balance.

    What was paid on an invoice before the window is its paid amount less the allocations read,
    so one query over the window's allocations tells which of them closed their invoice."""
    rows = await PaymentAllocation.filter(
        payment__status=PaymentStatus.SUCCEEDED,
        payment__received_at__gte=_start(today, PARTIAL_MEMORY_DAYS, zone),
    ).values(
        "invoice_id",
        "amount_cents",
        "invoice__debtor_id",
        "invoice__amount_cents",
        "invoice__paid_cents",
        "invoice__discount_cents",
        "payment__received_at",
        "payment_id",
    )
    per_invoice: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        per_invoice[row["invoice_id"]].append(row)
    grouped: dict[int, list[Partial]] = defaultdict(list)
    for allocations in per_invoice.values():
        allocations.sort(key=lambda r: (r["payment__received_at"], r["payment_id"]))
        first = allocations[0]
        owed = first["invoice__amount_cents"] - first["invoice__discount_cents"]
        paid = first["invoice__paid_cents"] - sum(r["amount_cents"] for r in allocations)
        for row in allocations:
            paid += row["amount_cents"]
            if paid < owed:
                grouped[row["invoice__debtor_id"]].append(
                    Partial(
                        day=row["payment__received_at"].astimezone(zone).date(),
                        amount_cents=row["amount_cents"],
                        invoice_cents=first["invoice__amount_cents"],
                    )
                )
    return grouped


async def load_broken_promises(today: dt.date) -> dict[int, list[dt.date]]:
    since = today - dt.timedelta(days=BROKEN_RECENT_DAYS + BROKEN_MEMORY_DAYS)
    rows = await PromiseToPay.filter(status=PromiseStatus.BROKEN, promised_date__gte=since).values(
        "debtor_id", "promised_date"
    )
    grouped: dict[int, list[dt.date]] = defaultdict(list)
    for row in rows:
        grouped[row["debtor_id"]].append(row["promised_date"])
    return grouped


async def load_contacts(
    zone: ZoneInfo, today: dt.date
) -> tuple[dict[int, list[dt.date]], dict[int, list[dt.date]]]:
    """The days each debtor wrote to us (last `ANSWER_MEMORY_DAYS`) and the days a reminder was
    sent to them (last `SILENCE_DAYS`; a reminder is an outbound debtor message with a step)."""
    replies: dict[int, list[dt.date]] = defaultdict(list)
    for row in await Message.filter(
        direction=Direction.INBOUND,
        debtor_id__isnull=False,
        created_at__gte=_start(today, ANSWER_MEMORY_DAYS, zone),
    ).values("debtor_id", "created_at"):
        replies[row["debtor_id"]].append(row["created_at"].astimezone(zone).date())
    reminders: dict[int, list[dt.date]] = defaultdict(list)
    for row in (
        await Message.filter(
            direction=Direction.OUTBOUND,
            audience="debtor",
            debtor_id__isnull=False,
            sent_at__gte=_start(today, SILENCE_DAYS, zone),
        )
        .exclude(step="")
        .values("debtor_id", "sent_at")
    ):
        reminders[row["debtor_id"]].append(row["sent_at"].astimezone(zone).date())
    return replies, reminders


async def load_due_instalments(today: dt.date) -> dict[int, list[DueInstalment]]:
    rows = await Instalment.filter(
        status=InstalmentStatus.DUE, plan__status=PlanStatus.ACTIVE, due_date__lt=today
    ).values("plan__debtor_id", "due_date", "amount_cents", "paid_cents")
    grouped: dict[int, list[DueInstalment]] = defaultdict(list)
    for row in rows:
        grouped[row["plan__debtor_id"]].append(
            DueInstalment(row["due_date"], row["amount_cents"], row["paid_cents"])
        )
    return grouped


async def load_warning_facts(
    zone: ZoneInfo, today: dt.date
) -> tuple[list[DebtorFacts], dict[int, DebtorName]]:
    """Every debtor's facts this morning (debtors with erased data left out), and their names."""
    debtors = await load_debtors()
    settled: dict[int, list[Settled]] = by_debtor(await load_settled(zone))
    open_overdue = await load_open_overdue(today)
    partials = await load_partials(zone, today)
    broken = await load_broken_promises(today)
    replies, reminders = await load_contacts(zone, today)
    instalments = await load_due_instalments(today)
    exposures = await load_exposure(today)
    facts = [
        DebtorFacts(
            debtor_id=debtor_id,
            settled=settled.get(debtor_id, []),
            open_overdue=open_overdue.get(debtor_id, []),
            partials=partials.get(debtor_id, []),
            broken_promises=broken.get(debtor_id, []),
            replies=replies.get(debtor_id, []),
            reminders=reminders.get(debtor_id, []),
            instalments=instalments.get(debtor_id, []),
            exposure=exposures.get(debtor_id, Exposure()),
            credit_limit_cents=debtor.credit_limit_cents,
        )
        for debtor_id, debtor in debtors.items()
    ]
    return facts, debtors
