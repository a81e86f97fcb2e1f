"""The demo's FatturaPA stage: the company's SdI export (examples/fatturapa/, a zip with an
ordinary invoice, a signed .xml.p7m in three instalments and a credit note) goes through the real
import; the demo prints what was imported and what the credit note did to its invoice.

Called by bot/demo.py after the last stage, on the demo's fixed clock.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from bot.formats import money
from bot.models import CreditNote, Invoice, InvoiceDocument
from bot.runtime import Runtime

EXAMPLE_ZIP = (
    Path(__file__).resolve().parent.parent / "examples" / "fatturapa" / "sdi-export-2026-11.zip"
)


async def show_fatturapa(runtime: Runtime, out: Callable[[str], None]) -> bool:
    from bot.importers.fatturapa import run_fatturapa_import

    settings = runtime.settings
    out("")
    out("== 17. The SdI export arrives: FatturaPA invoices, a signed .p7m and a credit note")
    out(f"   $ python -m bot import --fatturapa {EXAMPLE_ZIP.relative_to(EXAMPLE_ZIP.parents[2])}")
    report = await run_fatturapa_import(
        [EXAMPLE_ZIP],
        dry_run=False,
        default_language=settings.default_language,
        default_timezone=settings.timezone,
        payment_terms_days=runtime.policy.payment_terms_days,
        progress=False,
    )
    out(textwrap.indent(report.render().replace(str(EXAMPLE_ZIP.parent) + "/", ""), "   "))
    if not report.ok:
        return False
    documents = await InvoiceDocument.all().prefetch_related("invoice__debtor").order_by("id")
    for document in documents:
        invoice = document.invoice
        method = document.payment_method + (f" {document.iban}" if document.iban else "")
        out(
            f"   {invoice.number:<22} {invoice.debtor.name:<26} due {invoice.due_date:%d/%m/%Y} "
            f"{money(invoice.amount_cents, invoice.currency, 'en'):>10}  "
            f"{document.document_type} {method}"
        )
    for note in await CreditNote.all().order_by("id"):
        invoice = await Invoice.get(id=note.invoice_id) if note.invoice_id else None  # type: ignore[attr-defined]
        if invoice is None:
            out(f"   credit note {note.number}: its invoice {note.invoice_number} is not known")
            continue
        out(
            f"   credit note {note.number} ({money(note.amount_cents, note.currency, 'en')}) on "
            f"{invoice.number}: {money(invoice.amount_cents, invoice.currency, 'en')} invoiced, "
            f"{money(invoice.balance_cents, invoice.currency, 'en')} still open; "
            "reminders, the pay page and the statement ask for the reduced amount"
        )
    return True
