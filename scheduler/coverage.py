"""What pauses the chase of single invoices — plans (active, or waiting for staff), open disputes,
promises in force — and the reasons a debtor or an invoice is not chased. Read by planning
(scheduler/selection.py) and again by the dispatcher just before a reminder goes out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from bot.models import (
    Dispute,
    DisputeStatus,
    InvoiceStatus,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)

# Plans that pause the chase of their invoices: an active one, and one the debtor asked for that
# waits for staff (the debtor was told "no reminders while we review your request").
PAUSING_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.PENDING_APPROVAL)


class SkipReason(StrEnum):
    PAUSED = "paused"  # staff paused the debtor
    NO_CONTACT = "no_contact"  # no contact point at all
    OPTED_OUT = "opted_out"  # every contact point opted out
    UNREACHABLE = "unreachable"  # every contact point opted out or unreachable
    NO_CHANNEL_FOR_STEP = "no_channel_for_step"  # reachable, but not on the step's channels
    IN_PLAN = "in_plan"  # every open invoice is in an active payment plan
    PLAN_PENDING = "plan_pending"  # (at dispatch) in a plan the debtor asked for, staff to decide
    DISPUTED = "disputed"  # every open invoice is under dispute
    PROMISED = "promised"  # every open invoice is covered by a pending promise
    COVERED = "covered"  # every open invoice is in a plan, disputed or promised (a mix)
    NOT_DUE_YET = "not_due_yet"  # no step has come yet (before the courtesy reminder)
    STEP_GAP = "step_gap"  # the next step waits: the previous one went out too recently
    FINISHED = "finished"  # every step of this cycle was sent
    ALREADY_QUEUED = "already_queued"  # this step of this cycle was planned before
    SETTLED = "settled"  # (at dispatch) every listed invoice was paid or closed meanwhile


class InvoiceSnapshot(NamedTuple):
    """An unsettled invoice as the planner reads it (a tuple: a million of them are made)."""

    id: int
    number: str
    due_date: dt.date
    balance_cents: int
    currency: str
    status: str


@dataclass(frozen=True)
class Coverage:
    """What pauses the chase of single invoices: active plans and plans waiting for staff, open
    disputes, pending promises."""

    plan_invoices: frozenset[int] = frozenset()  # active plans and plans waiting for staff
    pending_plan_invoices: frozenset[int] = frozenset()  # those waiting for staff only
    disputed_invoices: frozenset[int] = frozenset()
    disputed_debtors: frozenset[int] = frozenset()  # a dispute not tied to one invoice
    promised_invoices: dict[int, dt.date] = field(default_factory=dict)
    promised_debtors: dict[int, dt.date] = field(default_factory=dict)  # promise on the balance

    @property
    def empty(self) -> bool:
        return not (
            self.plan_invoices
            or self.disputed_invoices
            or self.disputed_debtors
            or self.promised_invoices
            or self.promised_debtors
        )

    def reason(self, debtor_id: int, invoice: InvoiceSnapshot, today: dt.date) -> SkipReason | None:
        if invoice.status == InvoiceStatus.IN_PLAN or invoice.id in self.plan_invoices:
            if invoice.id in self.pending_plan_invoices:
                return SkipReason.PLAN_PENDING
            return SkipReason.IN_PLAN
        if (
            invoice.status == InvoiceStatus.DISPUTED
            or invoice.id in self.disputed_invoices
            or debtor_id in self.disputed_debtors
        ):
            return SkipReason.DISPUTED
        promised = self.promised_invoices.get(invoice.id) or self.promised_debtors.get(debtor_id)
        if promised is not None and today <= promised:
            return SkipReason.PROMISED
        return None


def invoice_totals(invoices: Sequence[InvoiceSnapshot]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for invoice in invoices:
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.balance_cents
    return totals


async def _plan_invoices(only: dict[str, Any]) -> tuple[set[int], set[int]]:
    """Invoices in pausing plans, and of those the ones whose plan waits for staff."""
    covered: set[int] = set()
    pending: set[int] = set()
    for status, invoice_ids in await PaymentPlan.filter(
        status__in=PAUSING_PLAN_STATUSES, **only
    ).values_list("status", "invoice_ids"):
        ids = {int(i) for i in invoice_ids or ()}
        covered |= ids
        if status == PlanStatus.PENDING_APPROVAL:
            pending |= ids
    return covered, pending


async def load_coverage(today: dt.date, debtor_ids: Collection[int] | None = None) -> Coverage:
    """Plans, disputes and promises in force today; only for `debtor_ids` when given."""
    only: dict[str, Any] = {} if debtor_ids is None else {"debtor_id__in": list(debtor_ids)}
    plan_invoices, pending_plan_invoices = await _plan_invoices(only)
    disputed_invoices: set[int] = set()
    disputed_debtors: set[int] = set()
    for disputer, invoice_id in await Dispute.filter(status=DisputeStatus.OPEN, **only).values_list(
        "debtor_id", "invoice_id"
    ):
        if invoice_id is None:
            disputed_debtors.add(disputer)
        else:
            disputed_invoices.add(invoice_id)
    promised_invoices: dict[int, dt.date] = {}
    promised_debtors: dict[int, dt.date] = {}
    promises = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date__gte=today, **only
    ).values_list("debtor_id", "invoice_ids", "promised_date")
    for promiser, invoice_ids, promised_date in promises:
        if invoice_ids:
            for invoice_id in invoice_ids:
                current = promised_invoices.get(int(invoice_id))
                promised_invoices[int(invoice_id)] = max(current or promised_date, promised_date)
        else:
            current = promised_debtors.get(promiser)
            promised_debtors[promiser] = max(current or promised_date, promised_date)
    return Coverage(
        plan_invoices=frozenset(plan_invoices),
        pending_plan_invoices=frozenset(pending_plan_invoices),
        disputed_invoices=frozenset(disputed_invoices),
        disputed_debtors=frozenset(disputed_debtors),
        promised_invoices=promised_invoices,
        promised_debtors=promised_debtors,
    )
