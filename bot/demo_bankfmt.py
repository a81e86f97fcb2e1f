"""The demo's bank statement stage: the bank's own camt.053 statement
(examples/bank/estratto-camt053.xml) is imported as `python -m bot payments import-bank` does:
one transfer pays an invoice, one matches nothing and goes to the staff chat in one card with
buttons to assign it to a customer.

Called by bot/demo.py near the end, on the demo's fixed clock, through the real import, the
outbox and the sandboxed staff chat.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.models import Invoice
from bot.payments.reconcile import import_bank_file
from bot.runtime import Runtime

STATEMENT = Path(__file__).resolve().parent.parent / "examples" / "bank" / "estratto-camt053.xml"
PAID_INVOICE = "F-2026-144"


async def show_bank_statement(
    runtime: Runtime, out: Callable[[str], None], show_sent: Callable[[], Any]
) -> None:
    from scheduler.dispatch import Dispatcher

    out("")
    out("== 18. The bank's camt.053 statement: one credit pays an invoice, one goes to staff")
    out(f"   $ python -m bot payments import-bank examples/bank/{STATEMENT.name}")
    report = await import_bank_file(runtime.settings, runtime.now(), STATEMENT)
    out(textwrap.indent(report.render("en").strip(), "   "))
    invoice = await Invoice.get(number=PAID_INVOICE)
    out(f"   {PAID_INVOICE} is now {invoice.status.value}")
    await Dispatcher(runtime).drain()
    show_sent()
