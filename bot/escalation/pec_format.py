"""A PEC receipt (ricevuta) read from its raw e-mail: pure, no database, no clock.

The published format (DPR 68/2005; the technical rules of DM 2 novembre 2005): a receipt is a
multipart/mixed message from the provider with the header `X-Ricevuta` (accettazione,
non-accettazione, presa-in-carico, avvenuta-consegna, errore-consegna, preavviso-errore-consegna),
`X-Riferimento-Message-ID` (the Message-ID of the message it is about), a human-readable text,
the certification data `daticert.xml` and the provider's S/MIME signature (smime.p7s):

    <postacert tipo="avvenuta-consegna" errore="nessuno">
      <intestazione><mittente/><destinatari tipo="certificato"/><risposte/><oggetto/></intestazione>
      <dati><gestore-emittente/><data zona="+0100"><giorno>dd/mm/yyyy</giorno><ora>hh:mm:ss</ora>
      </data><identificativo/><msgid/><consegna/><errore-esteso/></dati>
    </postacert>

daticert.xml comes from outside, so it is parsed with defusedxml and any DOCTYPE, entity
declaration or external reference is refused (`ReceiptError`), never expanded.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

RECEIPT_KINDS = (
    "accettazione",
    "non-accettazione",
    "presa-in-carico",
    "avvenuta-consegna",
    "errore-consegna",
    "preavviso-errore-consegna",
)
DELIVERED = "avvenuta-consegna"
ACCEPTED = "accettazione"
# A receipt that says the notice did not (or may not) reach the debtor: staff are alerted.
FAILURE_KINDS = frozenset({"non-accettazione", "errore-consegna", "preavviso-errore-consegna"})
DATICERT = "daticert.xml"
MAX_XML_BYTES = 64 * 1024


class ReceiptError(ValueError):
    """A receipt's daticert.xml that cannot be trusted: the element and why."""


@dataclass(frozen=True)
class Daticert:
    tipo: str
    errore: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    provider: str
    issued_at: dt.datetime | None
    identificativo: str
    msgid: str
    delivered_to: str
    error_text: str


@dataclass(frozen=True)
class Receipt:
    """What a receipt says; `problem` is set when its daticert.xml was refused."""

    kind: str
    key: str  # the receipt's own Message-ID, or a digest of the whole message
    referenced_msgid: str
    daticert: Daticert | None
    xml: bytes
    problem: str = ""

    @property
    def recipient(self) -> str:
        if self.daticert is None:
            return ""
        return self.daticert.delivered_to or ", ".join(self.daticert.recipients)


def normalise_msgid(value: str) -> str:
    """'<a@b>', ' a@b ' -> '<a@b>' (as the e-mail sender stores its provider id)."""
    value = value.strip()
    if not value:
        return ""
    return value if value.startswith("<") else f"<{value.strip('<>')}>"


def parse_mail(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def read_receipt(raw: bytes) -> Receipt | None:
    """The receipt in a raw message, or None when it is not a PEC receipt (an ordinary e-mail,
    a posta-certificata envelope, an unknown X-Ricevuta)."""
    mail = parse_mail(raw)
    kind = str(mail.get("X-Ricevuta", "")).strip().lower()
    if kind not in RECEIPT_KINDS:
        return None
    own_id = str(mail.get("Message-ID", "")).strip()
    key = own_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    referenced = normalise_msgid(str(mail.get("X-Riferimento-Message-ID", "")))
    xml = _daticert_bytes(mail)
    if xml is None:
        return Receipt(kind, key, referenced, None, b"", problem=f"no {DATICERT} attached")
    try:
        data = parse_daticert(xml)
    except ReceiptError as exc:
        return Receipt(kind, key, referenced, None, b"", problem=str(exc))
    if data.tipo != kind:
        problem = f"{DATICERT}: postacert tipo={data.tipo!r} but X-Ricevuta is {kind!r}"
        return Receipt(kind, key, referenced, None, b"", problem=problem)
    return Receipt(kind, key, referenced or normalise_msgid(data.msgid), data, xml)


def _daticert_bytes(mail: EmailMessage) -> bytes | None:
    for part in mail.walk():
        if part.get_filename() == DATICERT:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    return None


def parse_daticert(xml: bytes) -> Daticert:
    """daticert.xml read safely; `ReceiptError` names the element and why."""
    if len(xml) > MAX_XML_BYTES:
        raise ReceiptError(f"{DATICERT}: {len(xml)} bytes, more than {MAX_XML_BYTES}")
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ReceiptError(f"{DATICERT} refused: {type(exc).__name__} ({exc})") from None
    except ParseError as exc:
        raise ReceiptError(f"{DATICERT}: not well-formed XML ({exc})") from None
    if root.tag != "postacert":
        raise ReceiptError(f"{DATICERT}: root element <{root.tag}>, expected <postacert>")
    head, data = root.find("intestazione"), root.find("dati")
    if head is None or data is None:
        raise ReceiptError(f"{DATICERT}: <postacert> lacks <intestazione> or <dati>")
    return Daticert(
        tipo=root.get("tipo", ""),
        errore=root.get("errore", ""),
        sender=_text(head, "mittente"),
        recipients=tuple((e.text or "").strip() for e in head.findall("destinatari")),
        subject=_text(head, "oggetto"),
        provider=_text(data, "gestore-emittente"),
        issued_at=_issued_at(data.find("data")),
        identificativo=_text(data, "identificativo"),
        msgid=_text(data, "msgid"),
        delivered_to=_text(data, "consegna"),
        error_text=_text(data, "errore-esteso"),
    )


def _text(parent: Element, tag: str) -> str:
    element = parent.find(tag)
    return (element.text or "").strip() if element is not None else ""


_ZONE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _issued_at(element: Element | None) -> dt.datetime | None:
    """<data zona="+0100"><giorno>03/12/2026</giorno><ora>10:15:02</ora></data> -> aware time."""
    if element is None:
        return None
    day, hour = _text(element, "giorno"), _text(element, "ora")
    zone = _ZONE.match(element.get("zona", "").strip())
    try:
        naive = dt.datetime.strptime(f"{day} {hour}", "%d/%m/%Y %H:%M:%S")
    except ValueError:
        raise ReceiptError(
            f"{DATICERT}: <data> giorno={day!r} ora={hour!r}, expected dd/mm/yyyy hh:mm:ss"
        ) from None
    if zone is None:
        raise ReceiptError(f"{DATICERT}: <data zona={element.get('zona')!r}>, expected +hhmm")
    sign = 1 if zone.group(1) == "+" else -1
    offset = dt.timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3))) * sign
    return naive.replace(tzinfo=dt.timezone(offset))
