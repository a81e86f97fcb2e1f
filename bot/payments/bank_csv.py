"""Reading a bank statement CSV: the credits, with errors by line number; debits only counted.

Accepted files: the Italian home-banking export (`;`, dd/mm/yyyy, "1.234,56", Importo or
Dare/Avere columns, a few lines of account details above the header) and simple CSV
(`,`, ISO dates, "1234.56"). A line without the bank's transaction id gets a digest of the line
(date, amount, description, and its occurrence number for identical lines) as its id.
bot/payments/reconcile.py matches the credits to debtors and records them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.money import parse_amount

DATE_COLUMNS = (
    "data contabile",
    "data operazione",
    "data registrazione",
    "booking date",
    "date",
    "data",
    "data valuta",
    "value date",
)
AMOUNT_COLUMNS = ("importo", "importo eur", "importo (eur)", "amount")
CREDIT_COLUMNS = ("avere", "entrate", "accrediti", "credit", "credito")
DEBIT_COLUMNS = ("dare", "uscite", "addebiti", "debit", "debito")
TEXT_COLUMNS = (
    "descrizione",
    "descrizione operazione",
    "causale",
    "dettagli",
    "description",
    "details",
    "remittance information",
    "reference",
    "riferimento",
)
ID_COLUMNS = ("id", "id operazione", "transaction id", "bank id", "cro", "trn")
CURRENCY_COLUMNS = ("divisa", "currency")
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")


class BankFileError(Exception):
    """The file is not a bank statement we can read; the message says why."""


@dataclass(frozen=True)
class BankLine:
    line_no: int
    booked_on: dt.date
    amount_cents: int  # positive: a credit
    currency: str
    description: str
    bank_id: str  # the bank's transaction id, or a digest of the line
    # What the bank's own formats (camt, CBI) also say; a CSV export rarely has them.
    value_date: dt.date | None = None
    debtor_name: str = ""
    debtor_iban: str = ""
    end_to_end_id: str = ""
    where: str = ""  # the XML element path or record, for messages

    @property
    def provider_ref(self) -> str:
        return f"bank:{self.bank_id}"


@dataclass
class BankFile:
    credits: list[BankLine] = field(default_factory=list)
    debits: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # camt and CBI: what is not a plain credit, reported but never recorded as a payment.
    reversals: list[BankLine] = field(default_factory=list)  # RvslInd, storno
    returned: list[BankLine] = field(default_factory=list)  # RtrInf: a transfer sent back
    not_booked: int = 0  # pending or information-only entries
    format: str = "csv"


def _header_key(name: str) -> str:
    return " ".join(name.strip().strip("\ufeff").lower().split())


def _find(header: list[str], names: Iterable[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _header_index(rows: list[list[str]]) -> int | None:
    """The first row naming a date column and an amount column (banks put account details above)."""
    for index, row in enumerate(rows[:50]):
        keys = [_header_key(cell) for cell in row]
        has_amount = _find(keys, AMOUNT_COLUMNS + CREDIT_COLUMNS) is not None
        if _find(keys, DATE_COLUMNS) is not None and has_amount:
            return index
    return None


def _parse_booking_date(text: str) -> dt.date:
    value = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (dd/mm/yyyy or yyyy-mm-dd)")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Italian home banking still exports Windows-1252 more often than not.
        return raw.decode("cp1252")


def _header_and_rows(text: str) -> tuple[list[str], list[list[str]], int]:
    """The header's column keys, every row, and the header's index. The delimiter is the one
    under which a header line appears: amounts like "1.234,56" make counting characters
    unreliable."""
    rows: list[list[str]] = []
    header_at = None
    for delimiter in (";", ",", "\t"):
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        header_at = _header_index(rows)
        if header_at is not None:
            break
    if header_at is None:
        raise BankFileError(
            "no header line with a date column (Data contabile, Date) and an amount column "
            "(Importo, Avere, Amount)"
        )
    return [_header_key(cell) for cell in rows[header_at]], rows, header_at


def read_bank_csv(raw: bytes) -> BankFile:
    """The credits of a statement, with errors by line number; debits are only counted."""
    header, rows, header_at = _header_and_rows(_decode(raw))
    date_col = _find(header, DATE_COLUMNS)
    amount_col = _find(header, AMOUNT_COLUMNS)
    credit_col = _find(header, CREDIT_COLUMNS)
    debit_col = _find(header, DEBIT_COLUMNS)
    id_col = _find(header, ID_COLUMNS)
    currency_col = _find(header, CURRENCY_COLUMNS)
    text_cols = [i for i, name in enumerate(header) if name in TEXT_COLUMNS]
    assert date_col is not None

    result = BankFile()
    seen: Counter[str] = Counter()
    for index, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(col: int | None, row: list[str] = row) -> str:
            return row[col].strip() if col is not None and col < len(row) else ""

        try:
            booked_on = _parse_booking_date(cell(date_col))
            if amount_col is not None:
                amount = parse_amount(cell(amount_col))
            else:
                credit, debit = cell(credit_col), cell(debit_col)
                amount = parse_amount(credit) if credit else -abs(parse_amount(debit or "0"))
        except ValueError as exc:
            result.errors.append((index, str(exc)))
            continue
        if amount <= 0:
            result.debits += 1
            continue
        description = " ".join(cell(col) for col in text_cols if cell(col))
        bank_id = cell(id_col) or _fingerprint(booked_on, amount, description, seen)
        result.credits.append(
            BankLine(
                line_no=index,
                booked_on=booked_on,
                amount_cents=amount,
                currency=(cell(currency_col) or "EUR").upper(),
                description=description,
                bank_id=bank_id,
            )
        )
    return result


def _fingerprint(booked_on: dt.date, amount: int, description: str, seen: Counter[str]) -> str:
    """An id for a line the bank gave none: its day, amount and text, and how many such lines
    came before it in the file (two equal transfers on one day are two payments)."""
    fingerprint = f"{booked_on.isoformat()}|{amount}|{' '.join(description.split())}"
    seen[fingerprint] += 1
    fingerprint += f"|{seen[fingerprint]}"
    return "sha256:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
