"""A debtor's history as the risk score reads it (bot/credit/score.py `Facts`), loaded for many
debtors at once: one query per kind of fact, whatever the number of debtors.

Where each fact lives:
- settled invoices and their days late: bot/credit/lateness.py `load_settled`;
- broken promises: `PromiseToPay` with status broken; lapsed plans: `PaymentPlan` broken;
- disputes: `Dispute` open, or closed with the chase resumed (not settled in the debtor's favour:
  a dispute that cancelled the invoice or was resolved for the debtor counts for nothing);
- failed (bounced) payments: `Payment` failed;
- invoices paid in parts: partly paid now, or paid in full by two or more payments;
- unreachable contact points: `ContactPoint.unreachable_at` set by a provider's answer;
- invoices written off (`WriteOffLine`, bot/writeoffs.py): never settled, never paid on time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from tortoise.queryset import QuerySet

from bot.credit.lateness import by_debtor, load_settled
from bot.credit.score import Facts
from bot.enums import (
    DisputeStatus,
    InvoiceStatus,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
)
from bot.models import (
    ContactPoint,
    Dispute,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentPlan,
    PromiseToPay,
    WriteOffLine,
)

COUNTED_DISPUTES = (DisputeStatus.OPEN, DisputeStatus.CHASING_RESUMED)


def _for(query: QuerySet, field: str, debtor_ids: Sequence[int] | None) -> QuerySet:
    return query if debtor_ids is None else query.filter(**{f"{field}__in": list(debtor_ids)})


async def _count(query: QuerySet, debtor_ids: Sequence[int] | None) -> Counter[int]:
    rows = await _for(query, "debtor_id", debtor_ids).values_list("debtor_id", flat=True)
    return Counter(int(row) for row in rows)


async def _paid_in_parts(debtor_ids: Sequence[int] | None) -> Counter[int]:
    """Invoices partly paid now, or paid in full by two or more succeeded payments."""
    partial = await _for(
        Invoice.filter(status=InvoiceStatus.PARTIALLY_PAID), "debtor_id", debtor_ids
    ).values_list("id", "debtor_id")
    allocations = await _for(
        PaymentAllocation.filter(
            payment__status=PaymentStatus.SUCCEEDED, invoice__status=InvoiceStatus.PAID
        ),
        "invoice__debtor_id",
        debtor_ids,
    ).values_list("invoice_id", "invoice__debtor_id")
    per_invoice = Counter(int(invoice_id) for invoice_id, _ in allocations)
    owner = {int(invoice_id): int(debtor_id) for invoice_id, debtor_id in allocations}
    invoices = {int(invoice_id): int(debtor_id) for invoice_id, debtor_id in partial}
    invoices.update({i: owner[i] for i, payments in per_invoice.items() if payments >= 2})
    return Counter(invoices.values())


async def _written_off(debtor_ids: Sequence[int] | None) -> Counter[int]:
    """Invoices with an amount written off, each counted once per debtor."""
    rows = await _for(WriteOffLine.all(), "invoice__debtor_id", debtor_ids).values_list(
        "invoice_id", "invoice__debtor_id"
    )
    return Counter(int(debtor_id) for debtor_id in dict(rows).values())


async def load_facts(zone: ZoneInfo, debtor_ids: Sequence[int] | None = None) -> dict[int, Facts]:
    """Each debtor's facts (debtors with nothing on record are absent: their Facts() is empty)."""
    settled = by_debtor(await load_settled(zone, debtor_ids))
    counts = {
        "broken_promises": await _count(
            PromiseToPay.filter(status=PromiseStatus.BROKEN), debtor_ids
        ),
        "lapsed_plans": await _count(PaymentPlan.filter(status=PlanStatus.BROKEN), debtor_ids),
        "disputes": await _count(Dispute.filter(status__in=COUNTED_DISPUTES), debtor_ids),
        "failed_payments": await _count(Payment.filter(status=PaymentStatus.FAILED), debtor_ids),
        "partial_payments": await _paid_in_parts(debtor_ids),
        "unreachable_points": await _count(
            ContactPoint.filter(unreachable_at__isnull=False), debtor_ids
        ),
        "written_off": await _written_off(debtor_ids),
    }
    facts: dict[int, Facts] = {
        debtor_id: Facts(settled=tuple(rows)) for debtor_id, rows in settled.items()
    }
    for name, counter in counts.items():
        for debtor_id, count in counter.items():
            facts[debtor_id] = replace(facts.get(debtor_id, Facts()), **{name: count})
    return facts
