"""The formal notice as a document: the claim kept on the notice (a snapshot), the letterhead
from the settings, the bank details with the EPC QR, the text rendered from
templates/<lang>/notice/document.txt, and the PDF (bot/escalation/notice_pdf.py) written into
the case folder (bot/escalation/evidence.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from bot.channels.base import Attachment
from bot.config import Settings
from bot.escalation.claim import Claim, ClaimLine
from bot.escalation.evidence import case_folder
from bot.escalation.notice_pdf import MIME_TYPE, notice_pdf
from bot.models import Debtor, FormalNotice
from bot.payments.bank import bank_transfer, epc_qr_png
from bot.texts import render

TEMPLATE = "notice/document.txt"


def claim_snapshot(claim: Claim) -> dict[str, Any]:
    """The claim as JSON (kept on the notice: the PDF shows what was claimed that day)."""
    return {
        "as_of": claim.as_of.isoformat(),
        "is_business": claim.is_business,
        "basis": claim.basis,
        "lines": [
            {
                "invoice_id": line.invoice_id,
                "number": line.number,
                "due_date": line.due_date.isoformat(),
                "currency": line.currency,
                "principal_cents": line.principal_cents,
                "interest_cents": line.interest_cents,
                "compensation_cents": line.compensation_cents,
            }
            for line in claim.lines
        ],
    }


def claim_of(notice: FormalNotice) -> Claim:
    """The claim the notice keeps, back as a `Claim`."""
    data = notice.claim
    lines = tuple(
        ClaimLine(**{**item, "due_date": dt.date.fromisoformat(item["due_date"])})
        for item in data.get("lines", ())
    )
    return Claim(
        debtor_id=notice.debtor_id,  # type: ignore[attr-defined]
        as_of=dt.date.fromisoformat(data["as_of"]),
        is_business=bool(data.get("is_business")),
        basis=str(data.get("basis", "")),
        lines=lines,
    )


def letterhead(settings: Settings) -> dict[str, str]:
    return {
        "name": settings.company_name,
        "address": settings.company_address,
        "vat_number": settings.company_vat_number,
        "pec": settings.company_pec or settings.pec_smtp_from,
        "phone": settings.company_phone,
    }


def document_context(
    notice: FormalNotice, debtor: Debtor, settings: Settings, *, pec: bool
) -> dict[str, Any]:
    """What templates/<lang>/notice/document.txt sees (also the e-mail's and the card's text)."""
    claim = claim_of(notice)
    numbers = [line.number for line in claim.lines]
    transfer = bank_transfer(settings, debtor.id, numbers, claim.total_cents, notice.currency)
    bank = None
    if transfer is not None:
        bank = {
            "beneficiary": transfer.beneficiary,
            "iban": transfer.iban_display,
            "bic": transfer.bic,
            "reference": transfer.reference,
            "qr": transfer.has_qr,
        }
    return {
        "protocol": notice.protocol,
        "issued_on": notice.issued_on,
        "deadline": notice.deadline,
        "deadline_days": (notice.deadline - notice.issued_on).days,
        "company": letterhead(settings),
        "debtor": {
            "name": debtor.name,
            "ref": debtor.external_ref,
            "vat_number": debtor.vat_number,
            "tax_code": debtor.tax_code,
        },
        "address": notice.address,
        "pec": pec,
        "currency": notice.currency,
        "lines": [{**line.__dict__, "total_cents": line.total_cents} for line in claim.lines],
        "principal_cents": claim.principal_cents,
        "interest_cents": claim.interest_cents,
        "compensation_cents": claim.compensation_cents,
        "total_cents": claim.total_cents,
        "is_business": claim.is_business,
        "bank": bank,
    }


def document_text(context: dict[str, Any], language: str) -> str:
    return render(TEMPLATE, language, notice=context)


def pdf_filename(notice: FormalNotice) -> str:
    word = "diffida" if notice.language == "it" else "formal-notice"
    protocol = re.sub(r"[^0-9A-Za-z]+", "-", notice.protocol).strip("-")
    return f"{word}-{protocol}.pdf"


def render_pdf(
    notice: FormalNotice, debtor: Debtor, settings: Settings, *, pec: bool
) -> tuple[bytes, str]:
    """(the PDF's bytes, the document's text)."""
    context = document_context(notice, debtor, settings, pec=pec)
    text = document_text(context, notice.language)
    qr = None
    if context["bank"] and context["bank"]["qr"]:
        numbers = [line["number"] for line in context["lines"]]
        transfer = bank_transfer(
            settings, debtor.id, numbers, context["total_cents"], notice.currency
        )
        qr = epc_qr_png(transfer) if transfer is not None else None
    lines = text.splitlines()
    title = next((line[2:] for line in lines if line.startswith("# ")), notice.protocol)
    pdf = notice_pdf(
        lines, title=title, author=settings.company_name, day=notice.issued_on, qr_png=qr
    )
    return pdf, text


def write_pdf(notice: FormalNotice, debtor: Debtor, settings: Settings, pdf: bytes) -> Path:
    """The PDF in the debtor's case folder (written whole, then moved into place)."""
    folder = case_folder(settings.var_dir, debtor.external_ref)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / pdf_filename(notice)
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(pdf)
    partial.replace(path)
    return path


def pdf_attachment(notice: FormalNotice) -> Attachment:
    return Attachment(
        filename=pdf_filename(notice),
        content=Path(notice.pdf_path).read_bytes(),
        mime_type=MIME_TYPE,
    )
