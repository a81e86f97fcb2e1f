"""Reading ISO 20022 bank statements: camt.053 (statement), camt.054 (debit/credit notification)
and camt.052 (intraday report), message versions .001.02 up to .001.13.

The XML is read with lxml and a parser that never expands entities, never fetches anything and
refuses any DOCTYPE: a statement has none, so a file with one is hostile or broken and is refused
whole. Namespaces are read from the document, so every version of the message is walked the same
way; the differences between versions that matter here are handled where they are:

- the entry's status: `<Sts>BOOK</Sts>` (up to .001.04) or `<Sts><Cd>BOOK</Cd></Sts>` (.001.05+);
- the transaction's amount: `TxDtls/AmtDtls/TxAmt/Amt` (.001.02) or `TxDtls/Amt` (.001.03+);
- the debtor: `RltdPties/Dbtr/Nm` (up to .001.07) or `RltdPties/Dbtr/Pty/Nm` (.001.08+).

Each booked entry gives one line per transaction (`NtryDtls/TxDtls`; a batch booking holds many)
or one line when the entry has no details. Only credits (`CdtDbtInd` CRDT) are payments. A
reversal (`RvslInd` true) or a transfer sent back (`RtrInf`) is reported, never recorded; debits
are counted; pending and information-only entries (`PDNG`, `INFO`) are counted as not booked.

A line's id (the payment's idempotency key) is the account's IBAN, the entry's reference
(`AcctSvcrRef`, else `NtryRef`, else the entry's position) and the transaction's end-to-end id
(its position when the payer gave none, `NOTPROVIDED`): importing a statement again changes
nothing, and a camt.054 notification followed by the camt.053 statement that books the same
entry lands once as long as the bank keeps its entry reference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from bot.payments.bank_csv import BankFile, BankFileError, BankLine
from bot.safe_xml import HostileXml, parse_untrusted

_MESSAGE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.05([234])\.001\.(\d\d)$")
# Statement, report, notification: the element holding the entries in each message.
_BLOCKS = {"BkToCstmrStmt": "Stmt", "BkToCstmrAcctRpt": "Rpt", "BkToCstmrDbtCdtNtfctn": "Ntfctn"}
_NO_ID = {"", "NOTPROVIDED", "NOT PROVIDED"}
MAX_REF = 200  # provider_ref is 255 characters; longer ids are digested


def looks_like_camt(raw: bytes) -> bool:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")  # any XML: read_camt says why when it is not camt


def path_of(element: etree._Element) -> str:
    """Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt: where an element is, for error messages."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if etree.QName(child).localname == name]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


class _Reader:
    """Finds children by local path in the document's namespace."""

    def __init__(self, namespace: str, name: str) -> None:
        self.ns = namespace
        self.name = name
        self._paths: dict[str, str] = {}

    def _xpath(self, path: str) -> str:
        found = self._paths.get(path)
        if found is None:  # built once a path: a statement asks the same paths thousands of times
            found = self._paths[path] = "/".join(f"{{{self.ns}}}{step}" for step in path.split("/"))
        return found

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self._xpath(path))

    def all(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self._xpath(path))

    def text(self, element: etree._Element, path: str) -> str:
        found = self.find(element, path)
        return " ".join((found.text or "").split()) if found is not None else ""

    def fail(self, element: etree._Element, field: str, why: str) -> BankFileError:
        return BankFileError(
            f"{self.name}: line {element.sourceline}, {path_of(element)}: {field} {why}"
        )

    def amount(self, element: etree._Element) -> tuple[int, str]:
        """(cents, currency) of an `Amt` element."""
        currency = (element.get("Ccy") or "").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise self.fail(element, "Ccy", f"{currency!r} is not an ISO 4217 currency code")
        try:
            cents = Decimal((element.text or "").strip()).scaleb(2)
        except InvalidOperation:
            raise self.fail(element, "amount", f"{element.text!r} is not a number") from None
        if cents != cents.to_integral_value() or cents <= 0:
            why = f"{element.text!r} is not a positive amount in cents"
            raise self.fail(element, "amount", why)
        return int(cents), currency

    def date(self, element: etree._Element, path: str) -> dt.date | None:
        """`Dt` or `DtTm` under `path` (BookgDt, ValDt)."""
        holder = self.find(element, path)
        if holder is None:
            return None
        text = self.text(holder, "Dt") or self.text(holder, "DtTm")[:10]
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self.fail(holder, "date", f"{text!r} is not an ISO date") from None


def read_camt(raw: bytes, name: str = "") -> BankFile:
    """Every entry of a camt.052/053/054 file; BankFileError (with element path) when malformed."""
    label = name or "statement"
    try:
        tree = parse_untrusted(raw)
    except etree.XMLSyntaxError as exc:
        why = f"not well-formed XML ({exc.msg})"
        raise BankFileError(f"{label}: line {exc.lineno}: {why}") from None
    except HostileXml:
        raise BankFileError(
            f"{label}: a DOCTYPE is not allowed in a bank statement (refused)"
        ) from None
    root = tree.getroot()
    qname = etree.QName(root)
    match = _MESSAGE.match(qname.namespace or "")
    if qname.localname != "Document" or match is None:
        raise BankFileError(
            f"{label}: {qname.localname} in {qname.namespace or 'no namespace'!r} is not an "
            "ISO 20022 camt.052/053/054 document"
        )
    version = int(match.group(2))
    if not 2 <= version <= 13:
        raise BankFileError(f"{label}: camt.05{match.group(1)}.001.{version:02d} is not supported")
    reader = _Reader(qname.namespace or "", label)
    result = BankFile(format=f"camt.05{match.group(1)}.001.{version:02d}")
    message = next(iter(root), None)
    block = _BLOCKS.get(etree.QName(message).localname) if message is not None else None
    if message is None or block is None:
        raise BankFileError(f"{label}: Document has no BkToCstmrStmt/AcctRpt/DbtCdtNtfctn")
    for report in reader.all(message, block):
        account = reader.text(report, "Acct/Id/IBAN") or reader.text(report, "Acct/Id/Othr/Id")
        if not account:
            raise reader.fail(report, "Acct/Id", "is missing (the account's IBAN)")
        where = path_of(report)  # once: path_of counts siblings, and entries are thousands
        for number, entry in enumerate(reader.all(report, "Ntry"), start=1):
            entry_where = f"{where}/Ntry[{number}]"
            _read_entry(reader, result, account.replace(" ", ""), entry, entry_where)
    return result


def _status(reader: _Reader, entry: etree._Element) -> str:
    return (reader.text(entry, "Sts/Cd") or reader.text(entry, "Sts")).upper()


def _read_entry(
    reader: _Reader, result: BankFile, account: str, entry: etree._Element, where: str
) -> None:
    amount_el = reader.find(entry, "Amt")
    if amount_el is None:
        raise reader.fail(entry, "Amt", "is missing")
    entry_cents, currency = reader.amount(amount_el)
    side = reader.text(entry, "CdtDbtInd").upper()
    if side not in ("CRDT", "DBIT"):
        where = reader.find(entry, "CdtDbtInd")
        why = f"{side!r} is neither CRDT nor DBIT"
        raise reader.fail(where if where is not None else entry, "CdtDbtInd", why)
    booked_on = reader.date(entry, "BookgDt") or reader.date(entry, "ValDt")
    if booked_on is None:
        raise reader.fail(entry, "BookgDt", "is missing (and so is ValDt)")
    if _status(reader, entry) not in ("BOOK", ""):
        result.not_booked += 1
        return
    reversal = reader.text(entry, "RvslInd").lower() in ("true", "1")
    details = reader.all(entry, "NtryDtls/TxDtls")
    entry_ref = (
        reader.text(entry, "AcctSvcrRef")
        or reader.text(entry, "NtryRef")
        or f"entry{where.rsplit('[', 1)[-1].rstrip(']')}"
    )
    common = {
        "booked_on": booked_on,
        "value_date": reader.date(entry, "ValDt"),
        "currency": currency,
        "entry_ref": entry_ref,
        "account": account,
        "entry_text": reader.text(entry, "AddtlNtryInf"),
        "where": where if not details else f"{where}/NtryDtls/TxDtls",
    }
    for index, tx in enumerate(details or [entry], start=1):
        line = _line(reader, tx, entry_cents if len(details) <= 1 else None, index, common)
        tx_side = reader.text(tx, "CdtDbtInd").upper() if details else ""
        if reversal:
            result.reversals.append(line)
        elif reader.find(tx, "RtrInf") is not None:
            result.returned.append(line)
        elif (tx_side or side) == "DBIT":
            result.debits += 1
        else:
            result.credits.append(line)


def _party(reader: _Reader, tx: etree._Element) -> tuple[str, str]:
    """The payer's name and IBAN: the ultimate debtor's name when the debtor has none."""
    name = (
        reader.text(tx, "RltdPties/Dbtr/Pty/Nm")
        or reader.text(tx, "RltdPties/Dbtr/Nm")
        or reader.text(tx, "RltdPties/UltmtDbtr/Pty/Nm")
        or reader.text(tx, "RltdPties/UltmtDbtr/Nm")
    )
    iban = reader.text(tx, "RltdPties/DbtrAcct/Id/IBAN").replace(" ", "").upper()
    return name, iban


def _remittance(reader: _Reader, tx: etree._Element, entry_text: str) -> str:
    """Ustrd lines, the structured creditor reference and referred documents, in that order."""
    parts = [el.text or "" for el in reader.all(tx, "RmtInf/Ustrd")]
    for strd in reader.all(tx, "RmtInf/Strd"):
        parts.append(reader.text(strd, "CdtrRefInf/Ref"))
        parts += [el.text or "" for el in reader.all(strd, "RfrdDocInf/Nb")]
        parts += [el.text or "" for el in reader.all(strd, "AddtlRmtInf")]
    parts.append(reader.text(tx, "AddtlTxInf"))
    text = " ".join(" ".join(part.split()) for part in parts if part and part.strip())
    return text or entry_text


def _line(
    reader: _Reader,
    tx: etree._Element,
    entry_cents: int | None,
    index: int,
    common: dict,
) -> BankLine:
    amount_el = reader.find(tx, "Amt")
    if amount_el is None:  # .001.02 keeps a transaction's amount under AmtDtls
        amount_el = reader.find(tx, "AmtDtls/TxAmt/Amt")
    if amount_el is not None and etree.QName(tx).localname == "TxDtls":
        cents, currency = reader.amount(amount_el)
    elif entry_cents is not None:
        cents, currency = entry_cents, common["currency"]
    else:
        raise reader.fail(tx, "Amt", "is missing in a batch entry's transaction")
    end_to_end = reader.text(tx, "Refs/EndToEndId")
    tx_id = end_to_end if end_to_end.upper() not in _NO_ID else f"tx{index}"
    bank_id = f"{common['account']}:{common['entry_ref']}:{tx_id}"
    if len(bank_id) > MAX_REF:
        bank_id = "sha256:" + hashlib.sha256(bank_id.encode()).hexdigest()[:40]
    name, iban = _party(reader, tx)
    return BankLine(
        line_no=tx.sourceline or 0,
        booked_on=common["booked_on"],
        amount_cents=cents,
        currency=currency,
        description=_remittance(reader, tx, common["entry_text"]),
        bank_id=bank_id,
        value_date=common["value_date"],
        debtor_name=name,
        debtor_iban=iban,
        end_to_end_id=end_to_end if end_to_end.upper() not in _NO_ID else "",
        where=f"{common['where']}[{index}]"
        if etree.QName(tx).localname == "TxDtls"
        else common["where"],
    )
