"""Receipts built to the published PEC format, as a provider's mailbox holds them: for the demo's
local mailbox and the tests (the product itself only reads receipts).

The shape follows the technical rules of DM 2 novembre 2005: a message from the provider
(posta-certificata@...) with `X-Ricevuta` and `X-Riferimento-Message-ID`, multipart/mixed with
the human-readable text, daticert.xml and the provider's signature part smime.p7s. The signature
bytes here are a labelled sample: the product keeps a receipt's .eml whole and does not verify the
provider's signature (docs/pec-and-handoff.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

SUBJECTS = {
    "accettazione": "ACCETTAZIONE",
    "non-accettazione": "AVVISO DI NON ACCETTAZIONE",
    "presa-in-carico": "PRESA IN CARICO",
    "avvenuta-consegna": "CONSEGNA",
    "errore-consegna": "AVVISO DI MANCATA CONSEGNA",
    "preavviso-errore-consegna": "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO",
}
HUMAN = {
    "accettazione": "il messaggio è stato accettato dal sistema ed inoltrato.",
    "non-accettazione": "il messaggio non è stato accettato dal sistema.",
    "presa-in-carico": "il messaggio è stato preso in carico dal gestore di destinazione.",
    "avvenuta-consegna": "il messaggio è stato consegnato nella casella di destinazione.",
    "errore-consegna": "il messaggio non è stato consegnato: si è verificato un errore.",
    "preavviso-errore-consegna": "il messaggio non risulta ancora consegnato.",
}


@dataclass(frozen=True)
class ReceiptSpec:
    """One receipt to build: which kind, about which message, when and for whom."""

    kind: str
    msgid: str  # the Message-ID of the notice ("<...>")
    sender: str  # our PEC address
    recipient: str  # the debtor's PEC address
    subject: str
    at: dt.datetime  # aware
    identificativo: str = "opec21.20261203101502.01234.567.1.1@pec.example.it"
    provider: str = "Gestore PEC di esempio S.p.A."
    errore: str = "nessuno"
    error_text: str = ""


def daticert_xml(spec: ReceiptSpec) -> bytes:
    """daticert.xml for the spec, in the element order of the published schema."""
    zone = spec.at.strftime("%z") or "+0000"
    consegna = (
        f"<consegna>{escape(spec.recipient)}</consegna>"
        if spec.kind
        in {
            "avvenuta-consegna",
            "errore-consegna",
            "preavviso-errore-consegna",
        }
        else ""
    )
    extended = (
        f"<errore-esteso>{escape(spec.error_text)}</errore-esteso>" if spec.error_text else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<postacert tipo={quoteattr(spec.kind)} errore={quoteattr(spec.errore)}>"
        f"<intestazione><mittente>{escape(spec.sender)}</mittente>"
        f'<destinatari tipo="certificato">{escape(spec.recipient)}</destinatari>'
        f"<risposte>{escape(spec.sender)}</risposte><oggetto>{escape(spec.subject)}</oggetto>"
        f"</intestazione><dati><gestore-emittente>{escape(spec.provider)}</gestore-emittente>"
        f'<data zona="{zone}"><giorno>{spec.at:%d/%m/%Y}</giorno><ora>{spec.at:%H:%M:%S}</ora>'
        f"</data><identificativo>{escape(spec.identificativo)}</identificativo>"
        f"<msgid>{escape(spec.msgid)}</msgid>{consegna}{extended}</dati></postacert>\n"
    ).encode()


def receipt_email(spec: ReceiptSpec, *, xml: bytes | None = None, own_id: str = "") -> bytes:
    """The whole receipt as bytes (`xml` replaces daticert.xml, for a hostile one)."""
    mail = EmailMessage()
    mail["From"] = f"per conto di: {spec.recipient} <posta-certificata@pec.example.it>"
    mail["To"] = spec.sender
    mail["Subject"] = f"{SUBJECTS[spec.kind]}: {spec.subject}"
    mail["Date"] = format_datetime(spec.at)
    mail["Message-ID"] = own_id or f"<{spec.kind}.{spec.identificativo}>"
    mail["X-Ricevuta"] = spec.kind
    mail["X-Riferimento-Message-ID"] = spec.msgid
    if spec.kind in {"avvenuta-consegna", "errore-consegna"}:
        mail["X-Tipo-Ricevuta"] = "completa"
    mail["X-Verificasicurezza"] = "normale"
    text = (
        f"Ricevuta di {spec.kind.replace('-', ' ')}\n\n"
        f"Il giorno {spec.at:%d/%m/%Y} alle ore {spec.at:%H:%M:%S} ({spec.at:%z}) il messaggio\n"
        f'"{spec.subject}" proveniente da "{spec.sender}"\nindirizzato a "{spec.recipient}"\n'
        f"{HUMAN[spec.kind]}\nIdentificativo messaggio: {spec.identificativo}\n"
    )
    mail.set_content(text)
    mail.add_attachment(
        xml if xml is not None else daticert_xml(spec),
        maintype="application",
        subtype="xml",
        filename="daticert.xml",
    )
    mail.add_attachment(
        b"sample provider signature (not a PKCS#7 structure)",
        maintype="application",
        subtype="pkcs7-signature",
        filename="smime.p7s",
    )
    return mail.as_bytes()


def ordinary_email(sender: str, to: str, subject: str, at: dt.datetime) -> bytes:
    """An ordinary e-mail in the same mailbox (a reply, a newsletter): not a receipt."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = f"<ordinary.{int(at.timestamp())}@example.it>"
    mail.set_content("Buongiorno, vi scrivo per un'altra questione.\n")
    return mail.as_bytes()
