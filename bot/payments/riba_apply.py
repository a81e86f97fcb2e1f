"""`python -m bot payments import-riba FILE`: a RiBa esiti flow (bot/payments/riba.py) applied in
one transaction: nothing is written unless every item finds its debtor and invoice.

- paid (pagata): the payment is recorded (method `riba`) and closes the invoice; a RiBa already
  counted paid "salvo buon fine" (a `riba` payment on the invoice) is simply confirmed.
- unpaid (insoluta) or recalled (richiamata): a `riba` payment on the invoice is reversed
  (bot/payments/reversal.py: the invoice reopens); for an insoluto the bank's charges become a
  separate item the debtor owes where `[riba] charge_fees = true` (the flow's charges, else
  `[riba] fees`), the cadence starts at `[riba] start_step` (bot/payments/riba_cadence.py), and
  staff are alerted (payments/staff_riba_unpaid, it/en).

Each item is applied once (RibaItem, keyed by debtor code, receipt, due date and amount): importing
the same flow again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.transactions import in_transaction

from bot.models import (
    Debtor,
    Invoice,
    PaymentAllocation,
    PaymentMethod,
    ReversalKind,
    RibaItem,
    RibaOutcome,
)
from bot.outbox import queue_staff_alert
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.payments.reversal import ReversalNews, reverse
from bot.payments.riba import RibaEntry, RibaError, parse_riba
from bot.payments.riba_cadence import start_at_step
from bot.runtime import Runtime

STAFF_TEMPLATE = "payments/staff_riba_unpaid.txt"


@dataclass
class RibaReport:
    paid: int = 0
    unpaid: int = 0
    recalled: int = 0
    already: int = 0
    reversed_cents: int = 0
    fees_cents: int = 0
    reopened: list[str] = field(default_factory=list)  # invoice numbers


def read_flow_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # CBI flows are often written in a single-byte charset


async def import_riba(runtime: Runtime, path: Path) -> RibaReport:
    """Apply the flow in `path`; RibaError (file, line, field, why) leaves nothing written."""
    outcomes = runtime.policy.riba.outcomes()
    flow = parse_riba(read_flow_text(path), path.name, outcomes)
    report = RibaReport()
    now = runtime.now()
    today = now.astimezone(runtime.settings.zone).date()
    async with in_transaction():
        for entry in flow.entries:
            await _apply_entry(runtime, entry, path.name, now, today, report)
    return report


def item_key(entry: RibaEntry) -> str:
    receipt = entry.receipt or entry.progressive
    return f"riba:{entry.debtor_code}:{receipt}:{entry.due_date.isoformat()}:{entry.amount_cents}"


async def _invoice_for(debtor: Debtor, entry: RibaEntry, source: str) -> Invoice:
    """The invoice the reference names; else the one due that day for that amount."""
    invoices = await Invoice.filter(debtor_id=debtor.id).order_by("due_date", "id")
    tokens = {token.strip(".,;:()") for token in re.split(r"\s+", entry.reference.upper())}
    named = [i for i in invoices if i.number.upper() in tokens]
    if len(named) == 1:
        return named[0]
    same = [
        i for i in invoices if i.due_date == entry.due_date and i.amount_cents == entry.amount_cents
    ]
    if not named and len(same) == 1:
        return same[0]
    why = (
        f"{entry.reference!r} names no invoice of {debtor.external_ref}, and no single invoice "
        f"falls due on {entry.due_date.isoformat()} for {entry.amount_cents} cents"
        if not named
        else f"{entry.reference!r} names {len(named)} invoices"
    )
    raise RibaError(source, entry.reference_line or entry.line, "reference to the debt", why)


async def _riba_allocations(invoice: Invoice) -> list[PaymentAllocation]:
    return (
        await PaymentAllocation.filter(invoice_id=invoice.id, payment__method=PaymentMethod.RIBA)
        .prefetch_related("payment")
        .order_by("id")
    )


async def _apply_entry(
    runtime: Runtime,
    entry: RibaEntry,
    source: str,
    now: dt.datetime,
    today: dt.date,
    report: RibaReport,
) -> None:
    key = item_key(entry)
    if await RibaItem.exists(key=key):
        report.already += 1
        return
    debtor = await Debtor.get_or_none(external_ref=entry.debtor_code)
    if debtor is None:
        why = f"{entry.debtor_code!r} is not the reference of any debtor"
        raise RibaError(source, entry.line, "debtor code", why)
    invoice = await _invoice_for(debtor, entry, source)
    fees = 0
    if entry.outcome is RibaOutcome.PAID:
        await _paid(runtime, entry, debtor, invoice, key, now)
        report.paid += 1
    else:
        grace = runtime.policy.payments.reopen_grace_days
        for allocation in await _riba_allocations(invoice):
            news = ReversalNews(
                key=f"{key}:{allocation.payment.id}",
                payment_ref=allocation.payment.provider_ref or "",
                kind=ReversalKind.RIBA_UNPAID,
                amount_cents=allocation.amount_cents,
                reason=f"RiBa {entry.outcome.value} ({source})",
            )
            if await reverse(news, now, grace) == "reversed":
                report.reversed_cents += allocation.amount_cents
        if entry.outcome is RibaOutcome.UNPAID:
            fees = await _insoluto(runtime, entry, debtor, invoice, now, today)
            report.unpaid += 1
        else:
            report.recalled += 1
        report.reopened.append(invoice.number)
    report.fees_cents += fees
    await RibaItem.create(
        key=key,
        invoice=invoice,
        outcome=entry.outcome,
        amount_cents=entry.amount_cents,
        fees_cents=fees,
        due_date=entry.due_date,
        source=f"{source}:{entry.line}"[:255],
    )


async def _paid(
    runtime: Runtime, entry: RibaEntry, debtor: Debtor, invoice: Invoice, key: str, now: dt.datetime
) -> None:
    counted = sum(a.amount_cents for a in await _riba_allocations(invoice))
    if counted >= entry.amount_cents:
        return  # counted paid "salvo buon fine" already: the outcome confirms it
    day = entry.effective_date or entry.due_date
    await record_payment(
        runtime.settings,
        now,
        debtor_id=debtor.id,
        amount_cents=entry.amount_cents - counted,
        currency=invoice.currency,
        method=PaymentMethod.RIBA,
        provider_ref=key,
        received_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        target=PaymentTarget(invoice_ids=(invoice.id,)),
        note=f"RiBa {entry.receipt or entry.progressive}",
        actor="riba",
    )


async def _insoluto(
    runtime: Runtime,
    entry: RibaEntry,
    debtor: Debtor,
    invoice: Invoice,
    now: dt.datetime,
    today: dt.date,
) -> int:
    """The charges added, the cadence started at the RiBa step, staff told; returns the charges."""
    riba = runtime.policy.riba
    fees = (entry.fees_cents or riba.fees_cents) if riba.charge_fees else 0
    if fees:
        await Invoice.create(
            number=f"{invoice.number}/INS-{entry.due_date:%Y%m%d}",
            debtor=debtor,
            issue_date=today,
            due_date=today,
            amount_cents=fees,
            currency=invoice.currency,
            description=f"Spese insoluto RiBa {invoice.number}",
        )
    reminder = await start_at_step(runtime.policy, debtor, today, now)
    invoice = await Invoice.get(id=invoice.id)
    await queue_staff_alert(
        STAFF_TEMPLATE,
        {
            "debtor_name": debtor.name,
            "debtor_ref": debtor.external_ref,
            "invoice_number": invoice.number,
            "amount_cents": entry.amount_cents,
            "currency": invoice.currency,
            "due_date": entry.due_date.isoformat(),
            "open_cents": invoice.balance_cents,
            "fees_cents": fees,
            "step": reminder.step if reminder is not None else "",
        },
        now=now,
        debtor=debtor,
        idempotency_key=f"riba-unpaid:{item_key(entry)}",
    )
    return fees
