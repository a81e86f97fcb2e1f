"""The demo's early-warning stage: a customer whose last invoices were paid later and later, and
the morning's staff message that names it (scheduler/early_warning.py, the job the clock runs).

Its history goes in as last year's books would be imported: invoices paid in full by bank
transfer, each payment allocated to its invoice; one more invoice is overdue now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.channels.base import OutgoingMessage
from bot.models import (
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from bot.runtime import Runtime

DEBTOR_REF = "C900"
DEBTOR_NAME = "Edilizia Meridiana S.r.l."
# Days late of the monthly invoices, oldest first: punctual, then later and later.
DAYS_LATE = (5, 4, 6, 5, 18, 24, 33)
INVOICE_CENTS = 480_000


async def show_warning(
    runtime: Runtime,
    show_sent: Callable[[], list[OutgoingMessage]],
    out: Callable[[str], None],
) -> bool:
    """Seed the customer, run the early-warning job, send and print what staff get."""
    from scheduler.dispatch import Dispatcher
    from scheduler.early_warning import early_warning

    out("")
    out("== 9. The morning's early warning: a customer paying later and later")
    today = runtime.now().astimezone(runtime.settings.zone).date()
    await _seed(runtime, today)
    late = ", ".join(str(days) for days in DAYS_LATE)
    out(f"   {DEBTOR_NAME}: {len(DAYS_LATE)} invoices paid {late} days late; one open, overdue")
    flagged = await early_warning(runtime)
    out(f"   early warning: {len(flagged or [])} debtor(s) flagged")
    await Dispatcher(runtime).drain()
    return bool(show_sent())


async def _seed(runtime: Runtime, today: dt.date) -> None:
    zone = runtime.settings.zone
    debtor = await Debtor.create(external_ref=DEBTOR_REF, name=DEBTOR_NAME)
    first_due = today - dt.timedelta(days=40 + 30 * (len(DAYS_LATE) - 1))
    for n, late in enumerate(DAYS_LATE, start=1):
        due = first_due + dt.timedelta(days=30 * (n - 1))
        invoice = await Invoice.create(
            number=f"F-2026-9{n:02d}",
            debtor=debtor,
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
            amount_cents=INVOICE_CENTS,
            paid_cents=INVOICE_CENTS,
            status=InvoiceStatus.PAID,
            description="Forniture di cantiere",
        )
        received = dt.datetime.combine(due + dt.timedelta(days=late), dt.time(10), zone)
        payment = await Payment.create(
            debtor=debtor,
            amount_cents=INVOICE_CENTS,
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=f"demo-bonifico-{n}",
            received_at=received,
        )
        await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=INVOICE_CENTS)
    await Invoice.create(
        number="F-2026-990",
        debtor=debtor,
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=10),
        amount_cents=INVOICE_CENTS,
        description="Forniture di cantiere",
    )
