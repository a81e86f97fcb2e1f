"""Reading the bank's RiBa return flow (CBI "esiti" of ricevute bancarie): fixed 120-character
records, pure (text in, items or a located error out). bot/payments/riba_apply.py applies it.

The layout (positions 1-based, as the CBI standard numbers them; each record starts with a blank
and its two-letter or two-digit type):

- `IB` header: 4-8 sender (the bank's ABI), 9-13 receiver (the company's SIA code), 14-19
  creation date DDMMYY, 20-39 the flow's name, 114 currency `E`.
- per item, in order, sharing the progressive number at 4-10:
  `14` 23-28 due date DDMMYY, 29-33 outcome code (causale, below), 34-46 amount in cents, 47 sign
  `-`, 48-52/53-57 collecting bank ABI/CAB, 92-96 the creditor's SIA code, 98-113 the debtor's
  code (our debtor reference), 120 currency `E`;
  `20`, `30`, `40` creditor, debtor name and address (read, not needed);
  `50` 11-90 the reference to the debt ("FATT. F-2026-001 DEL 15/09/2026": the invoice number);
  `51` 11-20 the receipt number, 87-91 the bank's charges in cents, 110-115 the date the outcome
  took effect DDMMYY;
  `70` closing the item.
- `EF` trailer: 46-52 number of items, 53-67 total amount in cents, 83-89 number of records.

The outcome codes read by default (`OUTCOMES`) are 30000 paid, 30100 unpaid (insoluto), 30200
recalled (richiamata); a bank that writes others is configured in the policy (`[riba] paid_codes`,
`unpaid_codes`, `recalled_codes`). A flow with a code in none of them is refused with its line,
never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.enums import RibaOutcome

RECORD_LENGTH = 120
OUTCOMES = {
    "30000": RibaOutcome.PAID,
    "30100": RibaOutcome.UNPAID,
    "30200": RibaOutcome.RECALLED,
}
ITEM_RECORDS = ("14", "20", "30", "40", "50", "51", "70")


class RibaError(Exception):
    """A flow that cannot be read: the file, the line, the field and why."""

    def __init__(self, source: str, line: int, field_name: str, why: str) -> None:
        self.source, self.line, self.field, self.why = source, line, field_name, why
        super().__init__(f"{source}, line {line}, {field_name}: {why}")


@dataclass
class RibaEntry:
    """One RiBa and its outcome."""

    line: int  # of its 14 record
    progressive: str
    due_date: dt.date
    outcome: RibaOutcome
    amount_cents: int
    debtor_code: str
    reference: str = ""  # the 50 record: the reference to the debt
    reference_line: int = 0
    receipt: str = ""  # the 51 record: the receipt number
    fees_cents: int = 0
    effective_date: dt.date | None = None


@dataclass
class RibaFlow:
    sender: str
    receiver: str
    created: dt.date
    name: str
    entries: list[RibaEntry] = field(default_factory=list)


def looks_like_riba_esiti(text: str, outcomes: Mapping[str, RibaOutcome] = OUTCOMES) -> bool:
    """Whether `text` is a RiBa return flow (for `payments import-bank`'s detection by content):
    a first record ` IB` of 120 characters and a 14 record with one of OUTCOMES' codes."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or len(lines[0]) != RECORD_LENGTH or lines[0][1:3] != "IB":
        return False
    return any(line[1:3] == "14" and line[28:33] in outcomes for line in lines[1:20])


def _date(text: str, source: str, line: int, name: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%d%m%y").date()
    except ValueError:
        raise RibaError(source, line, name, f"{text!r} is not a date DDMMYY") from None


def _cents(text: str, source: str, line: int, name: str) -> int:
    if not text.isdigit():
        raise RibaError(source, line, name, f"{text!r} is not an amount in cents (digits only)")
    return int(text)


def parse_riba(
    text: str, source: str = "riba", outcomes: Mapping[str, RibaOutcome] = OUTCOMES
) -> RibaFlow:
    """The flow in `text`; RibaError names the file, line, field and why."""
    lines = text.lstrip("\ufeff").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise RibaError(source, 1, "file", "empty: a RiBa esiti flow starts with an IB record")
    for number, line in enumerate(lines, start=1):
        if len(line) != RECORD_LENGTH:
            why = f"a record is {RECORD_LENGTH} characters, this one {len(line)}"
            raise RibaError(source, number, "record", why)
    flow = _header(lines[0], source)
    current: RibaEntry | None = None
    for number, line in enumerate(lines[1:-1], start=2):
        kind = line[1:3]
        if kind == "14":
            current = _entry(line, source, number, outcomes)
            flow.entries.append(current)
            continue
        if kind not in ITEM_RECORDS:
            raise RibaError(source, number, "record type", f"{kind!r} is not a RiBa esiti record")
        if current is None or line[3:10] != current.progressive:
            why = "does not follow the 14 record of its item (progressive number)"
            raise RibaError(source, number, f"record {kind}", why)
        _detail(current, kind, line, source, number)
    _trailer(lines[-1], flow, len(lines), source)
    return flow


def _header(line: str, source: str) -> RibaFlow:
    if line[1:3] != "IB":
        raise RibaError(source, 1, "record type", f"{line[1:3]!r}: the first record must be IB")
    return RibaFlow(
        sender=line[3:8].strip(),
        receiver=line[8:13].strip(),
        created=_date(line[13:19], source, 1, "creation date"),
        name=line[19:39].strip(),
    )


def _entry(line: str, source: str, number: int, outcomes: Mapping[str, RibaOutcome]) -> RibaEntry:
    code = line[28:33]
    if code not in outcomes:
        known = ", ".join(f"{k} {v.value}" for k, v in outcomes.items())
        raise RibaError(source, number, "outcome (causale)", f"{code!r} is not one of {known}")
    if line[46] != "-":
        raise RibaError(source, number, "sign", f"{line[46]!r}: a RiBa amount has the sign '-'")
    debtor = line[97:113].strip()
    if not debtor:
        raise RibaError(source, number, "debtor code", "empty: the debtor's code is needed")
    return RibaEntry(
        line=number,
        progressive=line[3:10],
        due_date=_date(line[22:28], source, number, "due date"),
        outcome=outcomes[code],
        amount_cents=_cents(line[33:46], source, number, "amount"),
        debtor_code=debtor,
    )


def _detail(entry: RibaEntry, kind: str, line: str, source: str, number: int) -> None:
    if kind == "50":
        entry.reference = " ".join(line[10:90].split())
        entry.reference_line = number
    elif kind == "51":
        entry.receipt = line[10:20].strip()
        fees = line[86:91].strip()
        entry.fees_cents = _cents(fees, source, number, "bank charges") if fees else 0
        effective = line[109:115].strip()
        if effective:
            entry.effective_date = _date(effective, source, number, "effective date")


def _trailer(line: str, flow: RibaFlow, records: int, source: str) -> None:
    number = records
    if line[1:3] != "EF":
        raise RibaError(source, number, "record type", f"{line[1:3]!r}: the last record must be EF")
    count = _cents(line[45:52], source, number, "number of items")
    total = _cents(line[52:67], source, number, "total amount")
    declared = _cents(line[82:89], source, number, "number of records")
    if count != len(flow.entries):
        why = f"says {count} items, the flow holds {len(flow.entries)}"
        raise RibaError(source, number, "number of items", why)
    if total != sum(entry.amount_cents for entry in flow.entries):
        why = f"says {total} cents, the items add up to {sum(e.amount_cents for e in flow.entries)}"
        raise RibaError(source, number, "total amount", why)
    if declared != records:
        why = f"says {declared} records, the file holds {records}"
        raise RibaError(source, number, "number of records", why)
