"""The statement of account as a PDF (fpdf2: pure Python, no system packages).

The words are templates/<lang>/registry/statement_document.txt, rendered like any other text; this
module only lays its lines out: "# " the title, "## " a heading, "| a | b |" a table row (the
first after a heading is the table's header), "= " a line in bold, anything else a paragraph.
The PDF's core font (Helvetica) writes Windows-1252, which holds "€", the accented letters and
the typographic quotes; a character outside it (a name in another script) is written as "?".
"""

from __future__ import annotations

import datetime as dt
import re

from fpdf import FPDF

from bot.channels.base import Attachment
from bot.registry.statement import Statement
from bot.texts import render

MIME_TYPE = "application/pdf"
_ENCODING = "windows-1252"
_AMOUNT = re.compile(r"^[€$£]?\s?-?[\d.,\u00a0 ]+\s?[€$£]?$|^—$")
_LINE = 6  # mm


def document_lines(statement: Statement, language: str, company: str) -> list[str]:
    text = render(
        "registry/statement_document.txt",
        language,
        statement=statement.as_context(),
        company=company,
    )
    return text.splitlines()


def filename(statement: Statement, language: str) -> str:
    word = "estratto-conto" if language == "it" else "statement"
    ref = re.sub(r"[^A-Za-z0-9_-]+", "-", statement.ref).strip("-") or "cliente"
    return f"{word}-{ref}-{statement.today.isoformat()}.pdf"


def _safe(text: str) -> str:
    return text.encode(_ENCODING, errors="replace").decode(_ENCODING)


def _cells(line: str) -> list[str]:
    return [_safe(cell.strip()) for cell in line.strip().strip("|").split("|")]


def _table_row(pdf: FPDF, cells: list[str], header: bool) -> None:
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(len(cells), 1)
    pdf.set_font("helvetica", "B" if header else "", 9)
    for cell in cells:
        align = "R" if not header and _AMOUNT.match(cell) else "L"
        pdf.cell(width, _LINE, cell, border="B" if header else 0, align=align)
    pdf.ln(_LINE)


def _write_line(pdf: FPDF, line: str, header_next: bool) -> bool:
    """One line of the document; returns whether the next table row is a header."""
    if line.startswith("## "):
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 12)
        pdf.multi_cell(0, _LINE + 1, _safe(line[3:]), new_x="LMARGIN", new_y="NEXT")
        return True
    if line.startswith("# "):
        pdf.set_font("helvetica", "B", 16)
        pdf.multi_cell(0, _LINE + 3, _safe(line[2:]), new_x="LMARGIN", new_y="NEXT")
        return False
    if line.startswith("|"):
        _table_row(pdf, _cells(line), header_next)
        return False
    bold = line.startswith("= ")
    pdf.set_font("helvetica", "B" if bold else "", 10)
    text = _safe(line[2:] if bold else line)
    pdf.multi_cell(0, _LINE, text or " ", new_x="LMARGIN", new_y="NEXT")
    return header_next


def statement_pdf(statement: Statement, language: str, company: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_title(_safe(document_lines(statement, language, company)[0].lstrip("# ")))
    pdf.set_author(_safe(company))
    # A fixed creation date: the same statement gives the same bytes (and no wall clock is read).
    pdf.set_creation_date(dt.datetime.combine(statement.today, dt.time(), dt.UTC))
    pdf.add_page()
    header_next = False
    for line in document_lines(statement, language, company):
        header_next = _write_line(pdf, line, header_next)
    return bytes(pdf.output())


def statement_attachment(statement: Statement, language: str, company: str) -> Attachment:
    return Attachment(
        filename=filename(statement, language),
        content=statement_pdf(statement, language, company),
        mime_type=MIME_TYPE,
    )
