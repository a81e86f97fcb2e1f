"""A validated FatturaElettronica tree -> plain documents, one per FatturaElettronicaBody. Pure.

What the debtor owes is what DatiPagamento says (ImportoPagamento of every DettaglioPagamento,
each with its own due date), not the document total: split payment (EsigibilitaIVA "S", the
buyer pays the VAT to the State) and withholding (DatiRitenuta, the buyer pays it to the tax
office) make the two differ. Without DatiPagamento the amount is the total less the split-payment
VAT and the withholding, due after the policy's payment terms (`Document.terms_from_policy`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

CREDIT_NOTE_TYPES = frozenset({"TD04"})
# Self-invoices and VAT integrations (reverse charge, deposits, San Marino...): the issuer is the
# buyer itself, so nobody owes anything to us on them.
NOT_RECEIVABLE_TYPES = frozenset(
    {"TD16", "TD17", "TD18", "TD19", "TD20", "TD21", "TD22", "TD23", "TD27", "TD28"}
)


@dataclass(frozen=True)
class Party:
    external_ref: str  # the VAT number with its country ("IT01234567890"), else the tax code
    name: str
    vat_number: str
    tax_code: str
    street: str
    postcode: str
    city: str
    province: str
    country: str
    pec: str


@dataclass(frozen=True)
class Instalment:
    due_date: dt.date | None  # None: from the policy's payment terms
    amount_cents: int
    method: str  # ModalitaPagamento: MP05 bonifico, MP12 RiBa, MP19 SEPA DD, ...
    iban: str


@dataclass(frozen=True)
class Document:
    file: str
    line: int  # where its FatturaElettronicaBody starts
    debtor: Party
    document_type: str
    number: str
    issue_date: dt.date
    currency: str
    total_cents: int | None
    split_payment: bool
    withholding_cents: int
    linked_numbers: tuple[str, ...]  # DatiFattureCollegate/IdDocumento: a credit note's invoice
    description: str
    instalments: tuple[Instalment, ...] = field(default=())
    terms_from_policy: bool = False  # no DatiPagamento: one instalment, due by the policy

    @property
    def is_credit_note(self) -> bool:
        return self.document_type in CREDIT_NOTE_TYPES

    @property
    def is_receivable(self) -> bool:
        return self.document_type not in NOT_RECEIVABLE_TYPES


def cents(text: str | None) -> int:
    if not text:
        return 0
    value = Decimal(text.strip()) * 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def read_documents(file: str, root: etree._Element) -> list[Document]:
    header = root.find("FatturaElettronicaHeader")
    debtor = _party(header)
    return [_document(file, body, debtor) for body in root.findall("FatturaElettronicaBody")]


def _party(header: etree._Element) -> Party:
    buyer = header.find("CessionarioCommittente")
    data = buyer.find("DatiAnagrafici")
    country = _text(data, "IdFiscaleIVA/IdPaese")
    code = _text(data, "IdFiscaleIVA/IdCodice")
    vat = f"{country}{code}" if code else ""
    tax_code = _text(data, "CodiceFiscale")
    name = _text(data, "Anagrafica/Denominazione") or " ".join(
        part for part in (_text(data, "Anagrafica/Nome"), _text(data, "Anagrafica/Cognome")) if part
    )
    seat = buyer.find("Sede")
    street = " ".join(p for p in (_text(seat, "Indirizzo"), _text(seat, "NumeroCivico")) if p)
    return Party(
        external_ref=vat or tax_code,
        name=name,
        vat_number=vat,
        tax_code=tax_code,
        street=street,
        postcode=_text(seat, "CAP"),
        city=_text(seat, "Comune"),
        province=_text(seat, "Provincia"),
        country=_text(seat, "Nazione"),
        pec=_text(header, "DatiTrasmissione/PECDestinatario").lower(),
    )


def _document(file: str, body: etree._Element, debtor: Party) -> Document:
    general = body.find("DatiGenerali/DatiGeneraliDocumento")
    issue_date = _date(_text(general, "Data"))
    assert issue_date is not None  # the schema requires it
    total_text = _text(general, "ImportoTotaleDocumento")
    summaries = body.findall("DatiBeniServizi/DatiRiepilogo")
    split = any(_text(s, "EsigibilitaIVA") == "S" for s in summaries)
    withholding = sum(cents(_text(r, "ImportoRitenuta")) for r in general.findall("DatiRitenuta"))
    payments = tuple(
        Instalment(
            due_date=_due_date(detail, issue_date),
            amount_cents=cents(_text(detail, "ImportoPagamento")),
            method=_text(detail, "ModalitaPagamento"),
            iban=_text(detail, "IBAN").replace(" ", "").upper(),
        )
        for detail in body.findall("DatiPagamento/DettaglioPagamento")
    )
    total = cents(total_text) if total_text else None
    document = Document(
        file=file,
        line=body.sourceline or 0,
        debtor=debtor,
        document_type=_text(general, "TipoDocumento"),
        number=_text(general, "Numero"),
        issue_date=issue_date,
        currency=_text(general, "Divisa").upper(),
        total_cents=total,
        split_payment=split,
        withholding_cents=withholding,
        linked_numbers=tuple(
            _text(linked, "IdDocumento")
            for linked in body.findall("DatiGenerali/DatiFattureCollegate")
        ),
        description=" ".join(_text(c, ".") for c in general.findall("Causale"))[:500],
        instalments=payments,
    )
    if payments:
        return document
    owed = _owed_without_payment_data(total, summaries, split, withholding)
    fallback = Instalment(due_date=None, amount_cents=owed, method="", iban="")
    return replace(document, instalments=(fallback,), terms_from_policy=True)


def _owed_without_payment_data(
    total: int | None, summaries: list[etree._Element], split: bool, withholding: int
) -> int:
    vat = sum(cents(_text(s, "Imposta")) for s in summaries)
    if total is None:
        total = sum(cents(_text(s, "ImponibileImporto")) for s in summaries) + vat
    return total - (vat if split else 0) - withholding


def _due_date(detail: etree._Element, issue_date: dt.date) -> dt.date | None:
    due = _date(_text(detail, "DataScadenzaPagamento"))
    if due is not None:
        return due
    days = _text(detail, "GiorniTerminiPagamento")
    if days:
        start = _date(_text(detail, "DataRiferimentoTerminiPagamento")) or issue_date
        return start + dt.timedelta(days=int(days))
    return None
