"""Write-offs (issue 18): staff close what cannot be collected — a whole debtor, one invoice, or an
amount — with a reason. Kept apart from payments everywhere: a write-off is never money received.

It lowers each invoice's balance by `Invoice.written_off_cents` (the amount spread oldest due date
first, or on the one invoice named), and an invoice with nothing left is closed as written off:
out of the cadence (pending reminders about it are cancelled), out of exposure, aging and the
cash-flow forecast, and a bad fact for the risk score (bot/credit/history.py), never a settled one.
Who may: a staff member whose `writeoff_limit_cents` covers the amount (`may_write_off`); the CLI
(`python -m bot writeoff`) acts as its OS user. Audited with who and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from bot.models import (
    CLOSED_STATUSES,
    AuditEvent,
    Debtor,
    Invoice,
    InvoiceStatus,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    StaffMember,
    StaffRole,
    WriteOff,
    WriteOffLine,
)
from bot.payments.allocation import InvoiceBalance, allocate
from bot.payments.manual import ManualError, OpenLine, open_lines, parse_cents
from bot.payments.receipts import cancel_closed_reminders

MAX_REASON = 500
# Plans still running or waiting: once all their invoices are written off they end.
LIVE_PLAN_STATUSES = (
    PlanStatus.ACTIVE,
    PlanStatus.PENDING_APPROVAL,
    PlanStatus.PROPOSED,
    PlanStatus.COUNTERED,
)


def may_write_off(member: StaffMember | None, amount_cents: int) -> bool:
    """Active staff, not viewers, whose write-off limit covers the amount."""
    return (
        member is not None
        and member.active
        and member.role is not StaffRole.VIEWER
        and 0 < amount_cents <= member.writeoff_limit_cents
    )


@dataclass(frozen=True)
class WriteOffRequest:
    ref: str
    amount_cents: int | None  # None: everything open on the debtor or the invoice
    reason: str


def parse_writeoff(args: list[str]) -> WriteOffRequest:
    """'/writeoff REF [AMOUNT] reason': the reason is required; an amount is the second word
    when it starts with a digit."""
    if len(args) < 2:
        raise ManualError("usage_writeoff")
    ref, rest = args[0], list(args[1:])
    amount = parse_cents(rest.pop(0)) if rest[0][:1].isdigit() else None
    reason = " ".join(rest).strip()
    if not reason:
        raise ManualError("no_reason")
    return WriteOffRequest(ref, amount, reason[:MAX_REASON])


@dataclass
class WriteOffOutcome:
    debtor: Debtor
    write_off: WriteOff
    lines: list[tuple[Invoice, int]] = field(default_factory=list)
    still_open: list[OpenLine] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        return {
            "debtor": self.debtor,
            "amount_cents": self.write_off.amount_cents,
            "currency": self.write_off.currency,
            "reason": self.write_off.reason,
            "lines": [
                {"number": i.number, "cents": cents, "closed": i.balance_cents == 0}
                for i, cents in self.lines
            ],
            "still_open": self.still_open,
            "open_cents": sum(line.balance_cents for line in self.still_open),
        }


async def open_total(debtor: Debtor, invoice: Invoice | None) -> int:
    """What a write-off of everything would close: the invoice's balance, or the debtor's."""
    if invoice is not None:
        return 0 if invoice.status in CLOSED_STATUSES else invoice.balance_cents
    return sum(line.balance_cents for line in await open_lines(debtor.id))


async def write_off(
    now: dt.datetime,
    *,
    debtor: Debtor,
    invoice: Invoice | None,
    amount_cents: int | None,
    reason: str,
    actor: str,
    staff: StaffMember | None = None,
) -> WriteOffOutcome:
    """Write off `amount_cents` (None: all that is open) of the invoice or the debtor, in one
    transaction. ManualError when nothing is open or the amount is more than is open."""
    async with in_transaction():
        query = Invoice.filter(debtor_id=debtor.id).exclude(status__in=CLOSED_STATUSES)
        if invoice is not None:
            query = query.filter(id=invoice.id)
        invoices = [i for i in await query.order_by("due_date", "id").select_for_update()]
        open_cents = sum(i.balance_cents for i in invoices)
        if open_cents <= 0:
            raise ManualError("nothing_open", ref=invoice.number if invoice else debtor.name)
        amount = open_cents if amount_cents is None else amount_cents
        if amount > open_cents:
            raise ManualError("more_than_open", amount_cents=amount, open_cents=open_cents)
        record = await WriteOff.create(
            debtor=debtor,
            amount_cents=amount,
            currency=invoices[0].currency,
            reason=reason,
            actor=actor,
            staff=staff,
            written_at=now,
        )
        plan = allocate(amount, [InvoiceBalance(i.id, i.balance_cents) for i in invoices], [])
        by_id = {i.id: i for i in invoices}
        outcome = WriteOffOutcome(debtor, record)
        for invoice_id, cents in plan.shares:
            target = by_id[invoice_id]
            target.written_off_cents += cents
            if target.balance_cents == 0:
                target.status = InvoiceStatus.WRITTEN_OFF
            await target.save(update_fields=["written_off_cents", "status", "updated_at"])
            await WriteOffLine.create(write_off=record, invoice=target, amount_cents=cents)
            outcome.lines.append((target, cents))
        await _audit(outcome, actor)
        outcome.still_open = await open_lines(debtor.id)
        await _end_commitments(debtor, bool(outcome.still_open), actor)
        return outcome


async def _audit(outcome: WriteOffOutcome, actor: str) -> None:
    record = outcome.write_off
    await AuditEvent.create(
        actor=actor,
        action="writeoff_recorded",
        subject=f"writeoff:{record.id}",
        data={
            "debtor": outcome.debtor.id,
            "amount_cents": record.amount_cents,
            "currency": record.currency,
            "reason": record.reason,
            "lines": [[invoice.number, cents] for invoice, cents in outcome.lines],
        },
    )
    closed = [invoice for invoice, _ in outcome.lines if invoice.balance_cents == 0]
    for invoice in closed:
        await AuditEvent.create(
            actor=actor,
            action="invoice_written_off",
            subject=f"invoice:{invoice.number}",
            data={"writeoff": record.id},
        )
    if closed:
        # A reminder that also names an invoice still chased goes, without the written-off one:
        # scheduler/debtor_message.py keeps only open invoices at send time.
        cancelled = await cancel_closed_reminders(outcome.debtor.id, "written off")
        if cancelled:
            await AuditEvent.create(
                actor=actor,
                action="reminders_cancelled",
                subject=f"debtor:{outcome.debtor.id}",
                data={"count": cancelled, "why": "written off"},
            )


async def _end_commitments(debtor: Debtor, anything_open: bool, actor: str) -> None:
    """Nothing is awaited on what was written off: a plan whose invoices are all closed ends
    (it cannot lapse and tell the debtor so), and with nothing open a pending promise is moot."""
    plans = await PaymentPlan.filter(debtor_id=debtor.id, status__in=LIVE_PLAN_STATUSES)
    for plan in plans:
        ids = [int(i) for i in plan.invoice_ids]
        still = Invoice.filter(id__in=ids).exclude(status__in=CLOSED_STATUSES)
        if ids and not await still.exists():
            plan.status = PlanStatus.WRITTEN_OFF
            await plan.save(update_fields=["status"])
            await AuditEvent.create(
                actor=actor, action="plan.written_off", subject=f"plan:{plan.id}"
            )
    if not anything_open:
        cancelled = await PromiseToPay.filter(
            debtor_id=debtor.id, status=PromiseStatus.PENDING
        ).update(status=PromiseStatus.CANCELLED)
        if cancelled:
            await AuditEvent.create(
                actor=actor,
                action="promises_cancelled",
                subject=f"debtor:{debtor.id}",
                data={"count": cancelled, "why": "written off"},
            )
