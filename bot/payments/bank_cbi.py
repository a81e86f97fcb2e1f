"""Reading the Italian CBI "Rendicontazione" flat file (RH, movimenti di conto corrente).

Fixed records of 120 characters, one a line (or back to back without line breaks), positions
counted from 1 as in the CBI standard:

    RH  header        2-3 "RH", 4-8 sender ABI, 9-13 receiver, 14-19 creation date DDMMYY,
                      20-39 the flow's name
    61  opening       4-10 statement number, 52-74 CIN ABI CAB account, 75-77 currency,
                      100-101 country, 102-103 IBAN check digits
    62  movement      4-10 statement number, 11-13 movement number, 14-19 value date DDMMYY,
                      20-25 booking date DDMMYY, 26 sign C/D, 27-41 amount (cents, or with a
                      decimal comma), 42-43 ABI reason code, 46-61 cheque number,
                      62-77 bank reference, 87-120 description
    63  more text     4-10 statement number, 11-13 movement number, 14-120 text; structured
                      flags at 14-16: YYY (17-24 order date, 25-40 payer's tax code,
                      41-80 payer's name), YY2 (the payer's address and IBAN), ID1 (17-51
                      end-to-end id), RI1/RI2 (17-120 the payer's remittance information)
    64  closing balance; 65 available balance; EF end of flow.

Only movements with sign C are payments. ABI reason codes of returned items and reversals
(storno: 07 "storno", 64 "storno bonifico", 66 "richiamo") are reported, not recorded.
A movement's id is the account, the booking date, the bank reference and the end-to-end id
(the flow's name and movement number when the bank gave no reference).
"""

from __future__ import annotations

import datetime as dt
import re

from bot.payments.bank_csv import BankFile, BankFileError, BankLine

RECORD = 120
KINDS = {"RH", "61", "62", "63", "64", "65", "EF"}
STORNO_REASONS = {"07", "64", "66"}
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{11,30})\b")


def looks_like_cbi(raw: bytes) -> bool:
    head = raw[:RECORD].decode("latin-1")
    return len(head) == RECORD and head[1:3] == "RH"


def _records(raw: bytes) -> list[str]:
    text = raw.decode("latin-1")  # CBI files are ASCII; latin-1 never fails on a stray byte
    if "\n" not in text and len(text) % RECORD == 0:
        return [text[i : i + RECORD] for i in range(0, len(text), RECORD)]
    return [line.rstrip("\r") for line in text.split("\n") if line.strip("\r")]


def _field(record: str, start: int, end: int) -> str:
    """Positions `start`..`end`, both included and counted from 1, as the standard lists them."""
    return record[start - 1 : end].strip()


class _Movement:
    def __init__(self, line_no: int, record: str, account: str, currency: str) -> None:
        self.line_no = line_no
        self.record = record
        self.account = account
        self.currency = currency
        self.more: list[str] = []  # the 63 records' text, positions 14-120


def _date(label: str, line_no: int, field: str, text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%d%m%y").date()
    except ValueError:
        why = f"{text!r} is not a date DDMMYY"
        raise BankFileError(f"{label}: line {line_no}, {field}: {why}") from None


def _cents(label: str, line_no: int, text: str) -> int:
    digits = text.replace(",", "")
    if not digits.isdigit() or ("," in text and not re.fullmatch(r"\d+,\d\d", text)):
        raise BankFileError(f"{label}: line {line_no}, amount (27-41): {text!r} is not an amount")
    return int(digits)


def read_cbi(raw: bytes, name: str = "") -> BankFile:
    """Every movement of a CBI RH file; BankFileError (line, field, why) when malformed."""
    label = name or "CBI file"
    records = _records(raw)
    for line_no, record in enumerate(records, start=1):
        if len(record) != RECORD:
            raise BankFileError(
                f"{label}: line {line_no}: a record has {RECORD} characters, this one {len(record)}"
            )
        if record[1:3] not in KINDS:
            raise BankFileError(f"{label}: line {line_no}, record type (2-3): {record[1:3]!r}")
    if not records or records[0][1:3] != "RH":
        raise BankFileError(f"{label}: line 1: the flow must start with an RH record")
    if records[-1][1:3] != "EF":
        raise BankFileError(f"{label}: line {len(records)}: the flow must end with EF (truncated?)")
    flow = _field(records[0], 20, 39)
    result = BankFile(format="cbi-rh")
    account, currency = "", "EUR"
    movements: list[_Movement] = []
    for line_no, record in enumerate(records, start=1):
        kind = record[1:3]
        if kind == "61":
            account, currency = _account(record), _field(record, 75, 77) or "EUR"
        elif kind == "62":
            if not account:
                raise BankFileError(f"{label}: line {line_no}: a 62 movement before its 61 record")
            movements.append(_Movement(line_no, record, account, currency))
        elif kind == "63":
            if not movements or _field(record, 11, 13) != _field(movements[-1].record, 11, 13):
                raise BankFileError(
                    f"{label}: line {line_no}, movement number (11-13): a 63 record must follow "
                    "its 62 movement"
                )
            movements[-1].more.append(record[13:RECORD])
    for movement in movements:
        _classify(result, _movement_line(label, flow, movement), movement)
    return result


def _account(record: str) -> str:
    """The IBAN of a 61 record (country, check digits, CIN ABI CAB account)."""
    country, check = _field(record, 100, 101), _field(record, 102, 103)
    bban = _field(record, 52, 74).replace(" ", "")
    return f"{country or 'IT'}{check}{bban}" if check else bban


def _classify(result: BankFile, line: BankLine, movement: _Movement) -> None:
    sign = movement.record[25]
    reason = _field(movement.record, 42, 43)
    if reason in STORNO_REASONS:
        result.reversals.append(line)
    elif sign == "D":
        result.debits += 1
    else:
        result.credits.append(line)


def _structured(texts: list[str]) -> dict[str, str]:
    """The 63 records read: name, IBAN, end-to-end id, remittance, and free text."""
    found = {"name": "", "iban": "", "e2e": "", "remittance": "", "free": ""}
    for text in texts:
        flag, body = text[:3], text[3:]
        if flag == "YYY":
            found["name"] = body[24:64].strip()
        elif flag == "YY2":
            iban = _IBAN.search(body.replace(" ", "").upper())
            found["iban"] = iban.group(1) if iban else found["iban"]
        elif flag == "ID1":
            found["e2e"] = body[:35].strip()
        elif flag in ("RI1", "RI2"):
            found["remittance"] = (found["remittance"] + " " + body.strip()).strip()
        else:
            found["free"] = (found["free"] + " " + " ".join(text.split())).strip()
    return found


def _movement_line(label: str, flow: str, movement: _Movement) -> BankLine:
    record, line_no = movement.record, movement.line_no
    account, currency = movement.account, movement.currency
    value_date = _date(label, line_no, "value date (14-19)", _field(record, 14, 19))
    booked_on = _date(label, line_no, "booking date (20-25)", _field(record, 20, 25))
    if record[25] not in "CD":
        raise BankFileError(f"{label}: line {line_no}, sign (26): {record[25]!r} is not C or D")
    cents = _cents(label, line_no, _field(record, 27, 41))
    if cents <= 0:
        raise BankFileError(f"{label}: line {line_no}, amount (27-41): zero")
    found = _structured(movement.more)
    description = " ".join(
        part for part in (_field(record, 87, 120), found["remittance"], found["free"]) if part
    )
    bank_ref = _field(record, 62, 77)
    key = bank_ref or f"{flow}#{_field(record, 4, 10)}.{_field(record, 11, 13)}"
    return BankLine(
        line_no=line_no,
        booked_on=booked_on,
        amount_cents=cents,
        currency=currency.upper(),
        description=description,
        bank_id=f"{account}:{booked_on.isoformat()}:{key}:{found['e2e']}",
        value_date=value_date,
        debtor_name=found["name"],
        debtor_iban=found["iban"],
        end_to_end_id=found["e2e"],
        where=f"62 movement {_field(record, 11, 13)}",
    )
