"""Reading everything we hold about one debtor, a query per table, as plain rows.

`load_facts` gathers the rows bot/registry/timeline.py turns into the timeline: outgoing messages
with their delivery status, inbound messages, promises, plans, disputes, payment claims, discount
requests, payments and their allocations, and the audit events about the debtor or any of those
(staff decisions: who, when). `find_debtor` is the one reading of a REF for the CLI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import (
    AuditEvent,
    ContactPoint,
    Debtor,
    DiscountRequest,
    Dispute,
    Invoice,
    Message,
    PayLink,
    Payment,
    PaymentAllocation,
    PaymentClaim,
    PaymentPlan,
    PromiseToPay,
    StaffMember,
    WriteOff,
    WriteOffLine,
)
from bot.registry.statement import Statement, statement
from bot.registry.timeline import Facts

_MESSAGE_FIELDS = (
    "id", "direction", "channel", "template", "status", "body", "chosen_option", "last_error",
    "sent_at", "scheduled_at", "created_at",
)  # fmt: skip
_PLAN_FIELDS = (
    "id", "status", "total_cents", "currency", "instalment_count", "first_due_date",
    "requested_at",
)  # fmt: skip
_PAYMENT_FIELDS = (
    "id", "amount_cents", "currency", "method", "status", "received_at", "unallocated_cents",
)  # fmt: skip


async def find_debtor(ref: str) -> Debtor | None:
    """The debtor whose reference is `ref` (any case), or None."""
    ref = ref.strip()
    if not ref:
        return None
    return await Debtor.filter(external_ref__iexact=ref).first()


def _subjects(kind: str, ids: list[Any]) -> list[str]:
    return [f"{kind}:{ident}" for ident in ids]


async def load_audits(debtor: Debtor, facts: Facts) -> list[dict[str, Any]]:
    """The audit events about the debtor, its contact points, invoices, payments, pay links and
    whatever it asked for (decisions on them included)."""
    points = await ContactPoint.filter(debtor_id=debtor.id).values_list("id", flat=True)
    links = await PayLink.filter(debtor_id=debtor.id).values_list("id", flat=True)
    subjects = [f"debtor:{debtor.id}"]
    subjects += _subjects("contact_point", list(points))
    subjects += _subjects("paylink", list(links))
    subjects += _subjects("invoice", [row["number"] for row in facts.invoices])
    subjects += _subjects("payment", [row["id"] for row in facts.payments])
    subjects += _subjects("promise", [row["id"] for row in facts.promises])
    subjects += _subjects("plan", [row["id"] for row in facts.plans])
    subjects += _subjects("dispute", [row["id"] for row in facts.disputes])
    subjects += _subjects("claim", [row["id"] for row in facts.claims])
    subjects += _subjects("discount", [row["id"] for row in facts.discounts])
    rows: list[dict[str, Any]] = []
    for start in range(0, len(subjects), 500):  # SQLite's parameter limit, kept well clear of
        rows += await AuditEvent.filter(subject__in=subjects[start : start + 500]).values(
            "id", "actor", "action", "subject", "data", "created_at"
        )
    return rows


async def load_facts(debtor: Debtor) -> Facts:
    """Every row the timeline shows for `debtor`."""
    own = {"debtor_id": debtor.id}
    facts = Facts(
        invoices=await Invoice.filter(**own).values(
            "id", "number", "issue_date", "due_date", "amount_cents", "currency", "status"
        ),
        messages=await Message.filter(**own, audience="debtor").values(*_MESSAGE_FIELDS),
        promises=await PromiseToPay.filter(**own).values(
            "id", "promised_date", "amount_cents", "status", "created_at"
        ),
        plans=await PaymentPlan.filter(**own).values(*_PLAN_FIELDS),
        disputes=await Dispute.filter(**own).values(
            "id", "reason", "status", "created_at", "invoice__number"
        ),
        claims=await PaymentClaim.filter(**own).values("id", "paid_on", "status", "created_at"),
        discounts=await DiscountRequest.filter(**own).values(
            "id", "amount_cents", "balance_cents", "percent", "currency", "status", "created_at"
        ),
        payments=await Payment.filter(**own).values(*_PAYMENT_FIELDS),
        allocations=await PaymentAllocation.filter(payment__debtor_id=debtor.id).values(
            "payment_id", "invoice__number", "amount_cents"
        ),
    )
    facts.audits.extend(await load_audits(debtor, facts))
    facts.write_offs.extend(await load_write_offs(debtor.id))
    staff_ids = {
        int(row["actor"].split(":", 1)[1])
        for row in [*facts.audits, *facts.write_offs]
        if row["actor"].startswith("staff:") and row["actor"].split(":", 1)[1].isdigit()
    }
    if staff_ids:
        names = await StaffMember.filter(id__in=sorted(staff_ids)).values_list("id", "name")
        facts.staff_names.update({ident: name for ident, name in names})
    return facts


async def load_write_offs(debtor_id: int) -> list[dict[str, Any]]:
    """The debtor's write-offs, each with the numbers of the invoices it fell on."""
    rows = await WriteOff.filter(debtor_id=debtor_id).values(
        "id", "amount_cents", "currency", "reason", "actor", "written_at"
    )
    numbers: dict[int, list[str]] = {}
    for write_off_id, number in await WriteOffLine.filter(
        write_off__debtor_id=debtor_id
    ).values_list("write_off_id", "invoice__number"):
        numbers.setdefault(int(write_off_id), []).append(str(number))
    return [{**row, "numbers": sorted(numbers.get(row["id"], []))} for row in rows]


async def load_statement(debtor: Debtor, today: dt.date) -> Statement:
    """The debtor's statement of account today (bot/registry/statement.py)."""
    invoices = await Invoice.filter(debtor_id=debtor.id).values(
        "number", "issue_date", "due_date", "amount_cents", "paid_cents", "discount_cents",
        "currency", "status", "written_off_cents",
    )  # fmt: skip
    payments = await Payment.filter(debtor_id=debtor.id).values(*_PAYMENT_FIELDS)
    allocations = await PaymentAllocation.filter(payment__debtor_id=debtor.id).values(
        "payment_id", "invoice__number"
    )
    currencies = [row["currency"] for row in invoices]
    currency = max(set(currencies), key=currencies.count) if currencies else "EUR"
    return statement(
        debtor.name,
        debtor.external_ref,
        invoices,
        payments,
        allocations,
        today=today,
        zone=debtor.timezone,
        currency=currency,
    )
