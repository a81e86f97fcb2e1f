"""FatturaPA import: `python -m bot import --fatturapa PATH...` (docs/fatturapa.md).

.xml, .xml.p7m and .zip (sources.py) -> hostile XML refused, the official schema checked
(xmlcheck.py) -> one document per FatturaElettronicaBody (document.py) -> the CSV import's
records plus what only FatturaPA carries (records.py) -> planned with the CSV import's own
upsert (bot/importers/store.py) and written with it, the document details, the addresses and
the credit notes (bot/payments/credit_notes.py) in one transaction (writing.py).

All or nothing: any problem in any file and nothing of the run is written; the report names the
file, the line and the element path. Re-importing the same files changes nothing.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from tortoise.exceptions import BaseORMException

from bot import clock
from bot.importers.fatturapa.document import Document, read_documents
from bot.importers.fatturapa.progress import Progress
from bot.importers.fatturapa.records import convert
from bot.importers.fatturapa.sources import count_sources, read_sources
from bot.importers.fatturapa.writing import FatturaPAReport, write_all
from bot.importers.fatturapa.xmlcheck import parse_invoice
from bot.importers.report import Problem
from bot.importers.store import Defaults, erased_debtor_problems, plan_import, stored_debtors
from bot.models import Debtor

__all__ = ["FatturaPAReport", "run_fatturapa_import"]


async def run_fatturapa_import(
    paths: list[Path],
    *,
    dry_run: bool,
    default_language: str,
    default_timezone: str,
    payment_terms_days: int,
    progress: bool | None = None,
) -> FatturaPAReport:
    """Read, validate and (unless dry_run or anything is wrong) write every invoice of `paths`.

    progress: a bar on stderr; None shows it only when stderr is a terminal."""
    report = FatturaPAReport(files=[str(path) for path in paths], dry_run=dry_run)
    problems = report.problems
    documents: list[Document] = []
    show = sys.stderr.isatty() if progress is None else progress
    with Progress(count_sources(paths) if show else 0, enabled=show) as bar:
        for source in read_sources(paths, problems):
            if source.skip:
                report.notes.append(source.skip)
                continue
            root = parse_invoice(source.name, source.data, problems, report.notes)
            found = read_documents(source.name, root) if root is not None else []
            documents.extend(found)
            report.files_read += 1
            bar.step(len(found), len(problems))
    documents = await _known_debtors(documents)
    converted = convert(documents, payment_terms_days, problems)
    report.notes.extend(converted.notes)
    stored = await stored_debtors(converted.debtors)
    problems.extend(erased_debtor_problems(list(converted.debtors.values()), stored, "FatturaPA"))
    if problems:
        return report
    plan = await plan_import(
        list(converted.debtors.values()),
        converted.invoices,
        stored,
        Defaults(language=default_language, timezone=default_timezone),
    )
    report.debtors, report.contact_points, report.invoices = (
        plan.debtors,
        plan.contact_points,
        plan.invoices,
    )
    report.credit_notes_found = len(converted.credit_notes)
    if dry_run:
        return report
    try:
        await write_all(plan, converted, report, now=clock.now())
    except BaseORMException as exc:
        problems.append(
            Problem(
                report.files[0], 0, "", f"the database refused the import ({exc}); run it again"
            )
        )
    return report


async def _known_debtors(documents: list[Document]) -> list[Document]:
    """A debtor already stored under another reference (a CSV code) is matched by its VAT
    number or tax code, so an invoice does not create a second debtor."""
    vats = {d.debtor.vat_number for d in documents if d.debtor.vat_number}
    vats |= {vat[2:] for vat in vats}
    codes = {d.debtor.tax_code for d in documents if d.debtor.tax_code}
    by_key: dict[str, str] = {}
    keys = sorted(vats | codes)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = await Debtor.filter(vat_number__in=chunk).values_list("vat_number", "external_ref")
        rows += await Debtor.filter(tax_code__in=chunk).values_list("tax_code", "external_ref")
        by_key.update({str(key): str(ref) for key, ref in rows if key})
    matched: list[Document] = []
    for document in documents:
        party = document.debtor
        ref = (
            by_key.get(party.vat_number)
            or by_key.get(party.vat_number[2:] if party.vat_number else "")
            or by_key.get(party.tax_code)
        )
        if ref and ref != party.external_ref:
            document = dataclasses.replace(
                document, debtor=dataclasses.replace(party, external_ref=ref)
            )
        matched.append(document)
    return matched
