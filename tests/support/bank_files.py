"""CBI "Rendicontazione" (RH) flat files for tests, written record by record from the layout in
bot/payments/bank_cbi.py (positions counted from 1, as the CBI standard lists them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RECORD = 120


def record(kind: str, fields: dict[int, str]) -> str:
    """A 120-character record: blank at 1, the type at 2-3, each text placed at its position."""
    chars = [" "] * RECORD
    chars[1:3] = kind
    for start, text in fields.items():
        chars[start - 1 : start - 1 + len(text)] = text
    line = "".join(chars)
    assert len(line) == RECORD, line
    return line


@dataclass
class Movement:
    day: dt.date
    cents: int
    sign: str = "C"
    reason: str = "48"  # ABI causale 48: bonifico a vostro favore
    bank_ref: str = ""
    text: str = ""
    payer: str = ""
    payer_iban: str = ""
    end_to_end: str = ""
    remittance: str = ""


def cbi_file(movements: list[Movement], day: dt.date, flow: str = "RH20261123ACME0001") -> bytes:
    ddmmyy = f"{day:%d%m%y}"
    lines = [record("RH", {4: "05428", 9: "A1B2C", 14: ddmmyy, 20: flow})]
    # 61: CIN X, ABI 05428, CAB 11101, account 000000123456; IBAN IT60X0542811101000000123456
    lines.append(
        record(
            "61",
            {
                4: "0000001",
                24: "05428",
                52: "X0542811101000000123456",
                75: "EUR",
                78: ddmmyy,
                84: "C",
                85: "000000001000000",
                100: "IT",
                102: "60",
            },
        )
    )
    for number, m in enumerate(movements, start=1):
        seq = f"{number:03d}"
        lines.append(
            record(
                "62",
                {
                    4: "0000001",
                    11: seq,
                    14: f"{m.day:%d%m%y}",
                    20: f"{m.day:%d%m%y}",
                    26: m.sign,
                    27: f"{m.cents:015d}",
                    42: m.reason,
                    62: m.bank_ref,
                    87: m.text[:34],
                },
            )
        )
        if m.payer:
            lines.append(
                record(
                    "63",
                    {4: "0000001", 11: seq, 14: "YYY", 17: f"{m.day:%Y%m%d}", 41: m.payer[:40]},
                )
            )
        if m.payer_iban:
            lines.append(record("63", {4: "0000001", 11: seq, 14: "YY2", 67: m.payer_iban}))
        if m.end_to_end:
            lines.append(record("63", {4: "0000001", 11: seq, 14: "ID1", 17: m.end_to_end}))
        if m.remittance:
            lines.append(record("63", {4: "0000001", 11: seq, 14: "RI1", 17: m.remittance[:104]}))
    lines.append(
        record(
            "64",
            {
                4: "0000001",
                52: "X0542811101000000123456",
                75: "EUR",
                78: ddmmyy,
                84: "C",
                85: "000000001500000",
            },
        )
    )
    lines.append(
        record(
            "EF",
            {
                4: "05428",
                9: "A1B2C",
                14: ddmmyy,
                20: flow,
                46: "0000001",
                83: f"{len(lines) + 1:07d}",
            },
        )
    )
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
