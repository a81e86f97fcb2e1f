"""The formal notice's PDF (fpdf2: pure Python, no system packages), A4.

The words are templates/<lang>/notice/document.txt, rendered like any other text; this module
only lays its lines out: "@ " a letterhead line (the first in bold), "> " a line on the right
(date, protocol, the addressee), "# " the title, "## " a heading, "| a | b |" a table row (the
first after a heading is the header), "= " a line in bold, "[QR]" the EPC QR code, anything else
a paragraph. The core font (Helvetica) writes Windows-1252, which holds "€" and the accented
letters; a character outside it is written as "?".
"""

from __future__ import annotations

import datetime as dt
import io
import re

from fpdf import FPDF

MIME_TYPE = "application/pdf"
QR_MARK = "[QR]"
_ENCODING = "windows-1252"
_AMOUNT = re.compile(r"^[€$£]?\s?-?[\d.,\u00a0 ]+\s?[€$£]?$")
_LINE = 5.5  # mm
_QR_SIZE = 32  # mm


def _safe(text: str) -> str:
    return text.encode(_ENCODING, errors="replace").decode(_ENCODING)


def _table_row(pdf: FPDF, line: str, header: bool) -> None:
    cells = [_safe(cell.strip()) for cell in line.strip().strip("|").split("|")]
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    first = usable * 0.24  # the invoice number gets more room than the amounts
    rest = (usable - first) / max(len(cells) - 1, 1)
    pdf.set_font("helvetica", "B" if header else "", 9)
    for index, cell in enumerate(cells):
        align = "R" if index > 1 and (header or _AMOUNT.match(cell)) else "L"
        width = first if index == 0 else rest
        pdf.cell(width, _LINE + 0.5, cell, border="B" if header else 0, align=align)
    pdf.ln(_LINE + 0.5)


def _write_line(pdf: FPDF, line: str, state: dict[str, bool], qr_png: bytes | None) -> None:
    if line.startswith("@ "):
        pdf.set_font("helvetica", "" if state.get("letterhead") else "B", 9)
        if not state.get("letterhead"):
            pdf.set_font_size(13)
        state["letterhead"] = True
        pdf.cell(0, _LINE, _safe(line[2:]), new_x="LMARGIN", new_y="NEXT")
    elif line.startswith("> "):
        pdf.set_font("helvetica", "", 10)
        pdf.cell(0, _LINE, _safe(line[2:]), align="R", new_x="LMARGIN", new_y="NEXT")
    elif line.startswith("## "):
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 11)
        pdf.multi_cell(0, _LINE + 1, _safe(line[3:]), new_x="LMARGIN", new_y="NEXT")
        state["header"] = True
    elif line.startswith("# "):
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 14)
        pdf.multi_cell(0, _LINE + 2, _safe(line[2:]), new_x="LMARGIN", new_y="NEXT")
    elif line.startswith("|"):
        _table_row(pdf, line, state.get("header", False))
        state["header"] = False
    elif line.strip() == QR_MARK:
        if qr_png is not None:
            pdf.image(io.BytesIO(qr_png), w=_QR_SIZE, h=_QR_SIZE)
    else:
        bold = line.startswith("= ")
        pdf.set_font("helvetica", "B" if bold else "", 10)
        text = _safe(line[2:] if bold else line)
        pdf.multi_cell(0, _LINE, text or " ", new_x="LMARGIN", new_y="NEXT")


def notice_pdf(
    lines: list[str], *, title: str, author: str, day: dt.date, qr_png: bytes | None
) -> bytes:
    """The document's lines laid out on A4; the same lines give the same bytes."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_margins(20, 18, 20)
    pdf.set_title(_safe(title))
    pdf.set_author(_safe(author))
    # A fixed creation date: no wall clock is read, and a re-render of the same notice is equal.
    pdf.set_creation_date(dt.datetime.combine(day, dt.time(), dt.UTC))
    pdf.add_page()
    state: dict[str, bool] = {}
    for line in lines:
        _write_line(pdf, line, state, qr_png)
    return bytes(pdf.output())
