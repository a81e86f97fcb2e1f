"""FatturaPA documents -> the CSV import's records (debtors, invoices) plus what only FatturaPA
carries (each invoice row's document details, the debtor's address) and the credit notes. Pure.

One invoice row per DettaglioPagamento: a single one keeps the document's number, several become
"<number> (1/3)", "<number> (2/3)", ... each with its own due date and amount, so the cadence,
the pay page and the reports chase each instalment as the invoice it is for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.enums import Channel
from bot.importers.fatturapa.document import Document, Party
from bot.importers.report import Problem
from bot.importers.rows import ContactRecord, DebtorRecord, InvoiceRecord
from bot.payments.credit_notes import CreditNoteRecord


@dataclass(frozen=True)
class DocumentDetails:
    """An invoice row's InvoiceDocument fields (bot/models/invoice_documents.py)."""

    document_number: str
    document_type: str
    document_total_cents: int | None
    instalment: int
    instalments: int
    payment_method: str
    iban: str
    split_payment: bool
    withholding_cents: int
    file_name: str


@dataclass
class Converted:
    debtors: dict[str, DebtorRecord] = field(default_factory=dict)
    addresses: dict[str, Party] = field(default_factory=dict)
    invoices: list[InvoiceRecord] = field(default_factory=list)
    details: dict[str, DocumentDetails] = field(default_factory=dict)  # by invoice row number
    credit_notes: list[CreditNoteRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the report, not problems


def convert(documents: list[Document], terms_days: int, problems: list[Problem]) -> Converted:
    out = Converted()
    seen: dict[str, str] = {}  # document number -> the file that gave it
    for document in documents:
        where = Problem(document.file, document.line, "DatiGeneraliDocumento/Numero", "")
        if document.number in seen and seen[document.number] != document.file:
            reason = f"number {document.number!r} is also in {seen[document.number]}"
            problems.append(_at(where, reason))
            continue
        seen[document.number] = document.file
        if not document.is_receivable:
            out.notes.append(
                f"{document.file}: {document.document_type} {document.number} is a self-invoice, "
                "not a receivable: skipped"
            )
            continue
        out.debtors[document.debtor.external_ref] = _debtor(document.debtor)
        out.addresses[document.debtor.external_ref] = document.debtor
        if document.is_credit_note:
            out.credit_notes.append(_credit_note(document))
            continue
        _invoice_rows(document, terms_days, out)
    return out


def _at(where: Problem, reason: str) -> Problem:
    return Problem(where.file, where.line, where.column, reason)


def _debtor(party: Party) -> DebtorRecord:
    contacts = (ContactRecord(Channel.EMAIL, party.pec, is_pec=True),) if party.pec else ()
    return DebtorRecord(
        line=0,
        external_ref=party.external_ref,
        name=party.name,
        vat_number=party.vat_number or None,
        tax_code=party.tax_code or None,
        language=None,
        timezone=None,
        credit_limit_cents=None,
        notes=None,
        contacts=contacts,
    )


def _credit_note(document: Document) -> CreditNoteRecord:
    amount = sum(instalment.amount_cents for instalment in document.instalments)
    return CreditNoteRecord(
        number=document.number,
        debtor_ref=document.debtor.external_ref,
        invoice_number=document.linked_numbers[0] if document.linked_numbers else "",
        issue_date=document.issue_date,
        amount_cents=abs(amount),
        currency=document.currency,
        source="fatturapa",
    )


def _invoice_rows(document: Document, terms_days: int, out: Converted) -> None:
    count = len(document.instalments)
    if document.terms_from_policy:
        out.notes.append(
            f"{document.file}: {document.number} has no DatiPagamento: "
            f"the amount owed is the total, due {terms_days} days after the invoice date (policy)"
        )
    for index, instalment in enumerate(document.instalments, start=1):
        number = document.number if count == 1 else f"{document.number} ({index}/{count})"
        if instalment.amount_cents <= 0:
            out.notes.append(
                f"{document.file}: {number}: nothing to collect "
                f"({instalment.amount_cents / 100:.2f}): skipped"
            )
            continue
        due = instalment.due_date or document.issue_date + dt.timedelta(days=terms_days)
        label = f"{document.document_type} {document.number}"
        if count > 1:
            label += f", rata {index} di {count}"
        out.invoices.append(
            InvoiceRecord(
                line=document.line,
                number=number,
                debtor_ref=document.debtor.external_ref,
                issue_date=document.issue_date,
                due_date=max(due, document.issue_date),
                amount_cents=instalment.amount_cents,
                paid_cents=None,
                currency=document.currency,
                description=(document.description or label)[:500],
                status=None,
            )
        )
        out.details[number] = DocumentDetails(
            document_number=document.number,
            document_type=document.document_type,
            document_total_cents=document.total_cents,
            instalment=index,
            instalments=count,
            payment_method=instalment.method,
            iban=instalment.iban,
            split_payment=document.split_payment,
            withholding_cents=document.withholding_cents,
            file_name=document.file[-255:],
        )
