"""FatturaPA 1.2.2 files written to the specification, modelled on the Agenzia delle Entrate's
published examples (ordinary B2B FPR12, PA FPA12, a credit note TD04, instalments, split
payment, ritenuta): the tests, bench/fatturapa.py and examples/fatturapa/ build theirs here.

Element order follows the schema (bot/importers/fatturapa/schema/); the tests check every file
built here validates against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"


@dataclass(frozen=True)
class Buyer:
    vat: str = "01234567890"  # "" for a private person
    tax_code: str = ""
    name: str = "Rossi Costruzioni S.r.l."
    first_name: str = ""
    last_name: str = ""
    street: str = "Via Roma"
    number: str = "10"
    postcode: str = "20121"
    city: str = "Milano"
    province: str = "MI"
    pec: str = "amministrazione@pec.rossicostruzioni.it"


@dataclass(frozen=True)
class Payment:
    amount: str  # "1220.00"
    due: dt.date | None
    method: str = "MP05"
    iban: str = "IT60X0542811101000000123456"


@dataclass(frozen=True)
class Body:
    number: str
    date: dt.date
    taxable: str  # ImponibileImporto of the one summary line
    vat_rate: str = "22.00"
    kind: str = "TD01"
    currency: str = "EUR"
    split_payment: bool = False
    withholding: str = ""  # ImportoRitenuta, e.g. "200.00"
    linked: str = ""  # DatiFattureCollegate/IdDocumento
    payments: tuple[Payment, ...] = field(default=())
    with_total: bool = True
    description: str = "Fornitura e posa di serramenti"

    @property
    def vat(self) -> Decimal:
        return (Decimal(self.taxable) * Decimal(self.vat_rate) / 100).quantize(Decimal("0.01"))

    @property
    def total(self) -> Decimal:
        return Decimal(self.taxable) + self.vat


def _e(text: str) -> str:
    return escape(text)


def invoice_xml(
    bodies: list[Body], buyer: Buyer = Buyer(), *, pa: bool = False, progressive: str = "00001"
) -> bytes:
    version = "FPA12" if pa else "FPR12"
    destination = "UFY9MH" if pa else "0000000"
    pec = f"<PECDestinatario>{_e(buyer.pec)}</PECDestinatario>" if buyer.pec and not pa else ""
    vat = (
        f"<IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>{buyer.vat}</IdCodice></IdFiscaleIVA>"
        if buyer.vat
        else ""
    )
    tax_code = f"<CodiceFiscale>{buyer.tax_code}</CodiceFiscale>" if buyer.tax_code else ""
    registry = (
        f"<Denominazione>{_e(buyer.name)}</Denominazione>"
        if buyer.name
        else f"<Nome>{_e(buyer.first_name)}</Nome><Cognome>{_e(buyer.last_name)}</Cognome>"
    )
    header = f"""<FatturaElettronicaHeader>
    <DatiTrasmissione>
      <IdTrasmittente><IdPaese>IT</IdPaese><IdCodice>01879020517</IdCodice></IdTrasmittente>
      <ProgressivoInvio>{progressive}</ProgressivoInvio>
      <FormatoTrasmissione>{version}</FormatoTrasmissione>
      <CodiceDestinatario>{destination}</CodiceDestinatario>
      {pec}
    </DatiTrasmissione>
    <CedentePrestatore>
      <DatiAnagrafici>
        <IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>01879020517</IdCodice></IdFiscaleIVA>
        <Anagrafica><Denominazione>Serramenti Bianchi S.r.l.</Denominazione></Anagrafica>
        <RegimeFiscale>RF01</RegimeFiscale>
      </DatiAnagrafici>
      <Sede><Indirizzo>Viale Europa</Indirizzo><NumeroCivico>5</NumeroCivico><CAP>25121</CAP>
        <Comune>Brescia</Comune><Provincia>BS</Provincia><Nazione>IT</Nazione></Sede>
    </CedentePrestatore>
    <CessionarioCommittente>
      <DatiAnagrafici>{vat}{tax_code}<Anagrafica>{registry}</Anagrafica></DatiAnagrafici>
      <Sede><Indirizzo>{_e(buyer.street)}</Indirizzo><NumeroCivico>{buyer.number}</NumeroCivico>
        <CAP>{buyer.postcode}</CAP><Comune>{_e(buyer.city)}</Comune>
        <Provincia>{buyer.province}</Provincia><Nazione>IT</Nazione></Sede>
    </CessionarioCommittente>
  </FatturaElettronicaHeader>"""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<p:FatturaElettronica versione="{version}" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'xmlns:p="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  '
        + header
        + "".join(_body(body) for body in bodies)
        + "\n</p:FatturaElettronica>\n"
    )
    return text.encode("utf-8")


def _body(body: Body) -> str:
    withholding = (
        f"<DatiRitenuta><TipoRitenuta>RT01</TipoRitenuta><ImportoRitenuta>{body.withholding}"
        "</ImportoRitenuta><AliquotaRitenuta>20.00</AliquotaRitenuta>"
        "<CausalePagamento>A</CausalePagamento></DatiRitenuta>"
        if body.withholding
        else ""
    )
    total = (
        f"<ImportoTotaleDocumento>{body.total}</ImportoTotaleDocumento>" if body.with_total else ""
    )
    linked = (
        f"<DatiFattureCollegate><IdDocumento>{_e(body.linked)}</IdDocumento></DatiFattureCollegate>"
        if body.linked
        else ""
    )
    split = "<EsigibilitaIVA>S</EsigibilitaIVA>" if body.split_payment else ""
    ritenuta_line = "<Ritenuta>SI</Ritenuta>" if body.withholding else ""
    payments = ""
    if body.payments:
        condition = "TP01" if len(body.payments) > 1 else "TP02"
        details = "".join(_payment(payment) for payment in body.payments)
        payments = (
            f"<DatiPagamento><CondizioniPagamento>{condition}</CondizioniPagamento>"
            f"{details}</DatiPagamento>"
        )
    return f"""
  <FatturaElettronicaBody>
    <DatiGenerali>
      <DatiGeneraliDocumento>
        <TipoDocumento>{body.kind}</TipoDocumento><Divisa>{body.currency}</Divisa>
        <Data>{body.date.isoformat()}</Data><Numero>{_e(body.number)}</Numero>
        {withholding}{total}<Causale>{_e(body.description)}</Causale>
      </DatiGeneraliDocumento>
      {linked}
    </DatiGenerali>
    <DatiBeniServizi>
      <DettaglioLinee>
        <NumeroLinea>1</NumeroLinea><Descrizione>{_e(body.description)}</Descrizione>
        <Quantita>1.00</Quantita><PrezzoUnitario>{body.taxable}</PrezzoUnitario>
        <PrezzoTotale>{body.taxable}</PrezzoTotale><AliquotaIVA>{body.vat_rate}</AliquotaIVA>
        {ritenuta_line}
      </DettaglioLinee>
      <DatiRiepilogo>
        <AliquotaIVA>{body.vat_rate}</AliquotaIVA><ImponibileImporto>{body.taxable}</ImponibileImporto>
        <Imposta>{body.vat}</Imposta>{split}
      </DatiRiepilogo>
    </DatiBeniServizi>
    {payments}
  </FatturaElettronicaBody>"""


def _payment(payment: Payment) -> str:
    due = (
        f"<DataScadenzaPagamento>{payment.due.isoformat()}</DataScadenzaPagamento>"
        if payment.due
        else ""
    )
    iban = f"<IBAN>{payment.iban}</IBAN>" if payment.iban else ""
    return (
        f"<DettaglioPagamento><ModalitaPagamento>{payment.method}</ModalitaPagamento>{due}"
        f"<ImportoPagamento>{payment.amount}</ImportoPagamento>{iban}</DettaglioPagamento>"
    )
