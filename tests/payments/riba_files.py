"""RiBa esiti flows written to the CBI record layout of bot/payments/riba.py: every record 120
characters, fields at their positions (1-based, as the standard numbers them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BANK_ABI = "03069"  # the bank sending the outcomes
COMPANY_SIA = "A1B2C"  # our company's SIA code
CODES = {"paid": "30000", "unpaid": "30100", "recalled": "30200"}


def record(kind: str, fields: dict[int, str]) -> str:
    """A record: ' ' + type at 2-3, then each field written from its start position."""
    chars = [" "] * 120
    chars[1:3] = kind
    for start, text in fields.items():
        chars[start - 1 : start - 1 + len(text)] = text
    line = "".join(chars)
    assert len(line) == 120
    return line


def ddmmyy(day: dt.date) -> str:
    return day.strftime("%d%m%y")


@dataclass
class Item:
    debtor_code: str
    reference: str  # the reference to the debt (record 50)
    due: dt.date
    cents: int
    outcome: str = "unpaid"
    receipt: str = "0000000001"
    fees_cents: int = 0
    debtor_name: str = "ROSSI S.R.L."


def item_records(number: int, item: Item) -> list[str]:
    progressive = f"{number:07d}"
    return [
        record(
            "14",
            {
                4: progressive,
                23: ddmmyy(item.due),
                29: CODES.get(item.outcome, item.outcome),
                34: f"{item.cents:013d}",
                47: "-",
                48: "03069",
                53: "01600",
                70: "05034",
                75: "11701",
                80: "000000123456",
                92: COMPANY_SIA,
                97: "4",
                98: item.debtor_code.ljust(16),
                120: "E",
            },
        ),
        record("20", {4: progressive, 11: "SOLLECITO DEMO SRL".ljust(24), 35: "VIA ROMA 1"}),
        record("30", {4: progressive, 11: item.debtor_name[:30], 71: "01234567890"}),
        record("40", {4: progressive, 11: "VIA GARIBALDI 10", 41: "20121", 46: "MILANO MI"}),
        record("50", {4: progressive, 11: item.reference[:80]}),
        record(
            "51",
            {
                4: progressive,
                11: item.receipt,
                75: f"{number:012d}",
                87: f"{item.fees_cents:05d}",
                110: ddmmyy(item.due + dt.timedelta(days=3)),
            },
        ),
        record("70", {4: progressive}),
    ]


def riba_flow(items: list[Item], created: dt.date, *, total: int | None = None) -> str:
    header = record(
        "IB", {4: BANK_ABI, 9: COMPANY_SIA, 14: ddmmyy(created), 20: "ESITI RIBA", 114: "E"}
    )
    body = [line for n, item in enumerate(items, start=1) for line in item_records(n, item)]
    amount = sum(item.cents for item in items) if total is None else total
    trailer = record(
        "EF",
        {
            4: BANK_ABI,
            9: COMPANY_SIA,
            14: ddmmyy(created),
            20: "ESITI RIBA",
            46: f"{len(items):07d}",
            53: f"{amount:015d}",
            68: f"{0:015d}",
            83: f"{len(body) + 2:07d}",
            114: "E",
        },
    )
    return "\r\n".join([header, *body, trailer]) + "\r\n"
