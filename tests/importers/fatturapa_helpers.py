"""Shared by the FatturaPA tests: the frozen day, writing files, running the import."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from bot import clock
from bot.importers.fatturapa import FatturaPAReport, run_fatturapa_import
from bot.models import CreditNote, Debtor, Invoice, InvoiceDocument

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 2)  # the invoices' date
TERMS = 30  # the payment terms the tests give the import


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def run(*paths: Path, dry_run: bool = False) -> FatturaPAReport:
    clock.install(lambda: NOW)
    return await run_fatturapa_import(
        list(paths),
        dry_run=dry_run,
        default_language="it",
        default_timezone="Europe/Rome",
        payment_terms_days=TERMS,
        progress=False,
    )


async def counts() -> tuple[int, int, int, int]:
    return (
        await Debtor.all().count(),
        await Invoice.all().count(),
        await InvoiceDocument.all().count(),
        await CreditNote.all().count(),
    )
