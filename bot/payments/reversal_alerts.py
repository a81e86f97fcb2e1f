"""The staff alerts of a reversed or restored payment (templates payments/staff_payment_reversed
and staff_payment_restored, it/en): which payment, how much went back, and what is open again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.models import Debtor, Invoice, Payment, PaymentReversal
from bot.outbox import queue_staff_alert

REVERSED_TEMPLATE = "payments/staff_payment_reversed.txt"
RESTORED_TEMPLATE = "payments/staff_payment_restored.txt"


@dataclass
class Reopened:
    """What a reversal did (bot/payments/reversal.py), for the alert and the caller."""

    reversal: PaymentReversal
    payment: Payment
    invoices: list[Invoice] = field(default_factory=list)
    resume_on: dt.datetime | None = None


def invoice_lines(invoices: list[Invoice], today: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "number": invoice.number,
            "balance_cents": invoice.balance_cents,
            "currency": invoice.currency,
            "due_date": invoice.due_date.isoformat(),
            "overdue": invoice.due_date < today,
            "status": invoice.status.value,
        }
        for invoice in invoices
    ]


def reversed_context(done: Reopened, debtor: Debtor, now: dt.datetime) -> dict[str, Any]:
    row, payment = done.reversal, done.payment
    lines = invoice_lines(done.invoices, now.date())
    return {
        "debtor_name": debtor.name,
        "debtor_ref": debtor.external_ref,
        "kind": row.kind.value,
        "amount_cents": row.amount_cents,
        "currency": payment.currency,
        "payment_cents": payment.amount_cents,
        "payment_date": payment.received_at.date().isoformat(),
        "invoices": lines,
        "open_cents": sum(line["balance_cents"] for line in lines),
        "resume_on": done.resume_on.date().isoformat() if done.resume_on else "",
        "reason": row.reason,
    }


async def alert_reversed(done: Reopened, debtor: Debtor, now: dt.datetime) -> None:
    await queue_staff_alert(
        REVERSED_TEMPLATE,
        reversed_context(done, debtor, now),
        now=now,
        debtor=debtor,
        idempotency_key=f"payment-reversed:{done.reversal.id}",
    )


async def alert_restored(
    row: PaymentReversal,
    payment: Payment,
    debtor: Debtor,
    invoices: list[Invoice],
    unallocated_cents: int,
    now: dt.datetime,
) -> None:
    await queue_staff_alert(
        RESTORED_TEMPLATE,
        {
            "debtor_name": debtor.name,
            "debtor_ref": debtor.external_ref,
            "kind": row.kind.value,
            "amount_cents": row.amount_cents,
            "currency": payment.currency,
            "invoices": invoice_lines(invoices, now.date()),
            "unallocated_cents": unallocated_cents,
        },
        now=now,
        debtor=debtor,
        idempotency_key=f"payment-restored:{row.id}",
    )
