"""The bank statement import's samples for the texts review: the import report with reversals,
a returned transfer and the staff card; the unmatched-credits card; its buttons."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

_DAY = dt.date(2026, 11, 23)


def _line(line_no: int, cents: int, description: str, payer: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        line_no=line_no,
        booked_on=_DAY,
        amount_cents=cents,
        currency="EUR",
        description=description,
        debtor_name=payer,
    )


_REPORT = SimpleNamespace(
    file="estratto-camt053.xml",
    matched=[
        SimpleNamespace(
            line=_line(23, 1_248_000, "SOL-1-95 F-2026-101", "ROSSI COSTRUZIONI SRL"),
            debtor=SimpleNamespace(name="Rossi Costruzioni S.r.l."),
            invoice_numbers=["F-2026-101"],
            unallocated_cents=0,
        )
    ],
    already_imported=[],
    unmatched=[_line(88, 50_000, "ACCONTO ORDINE 7781", "NERI COSTRUZIONI SRL")],
    debits=1,
    errors=[],
    reversals=[_line(130, 327_540, "STORNO ADDEBITO SDD")],
    returned=[_line(151, 25_000, "SOL-2-92 F-2026-125", "BIANCHI E FIGLI")],
    not_booked=1,
    card_sent=True,
)

_CARD: dict[str, Any] = {
    "file": "estratto-camt053.xml",
    "count": 17,
    "more": 15,
    "total_cents": 1_050_000,
    "credits": [
        {
            "id": 41,
            "booked_on": "2026-11-23",
            "amount_cents": 50_000,
            "currency": "EUR",
            "payer": "NERI COSTRUZIONI SRL",
            "iban": "IT86P0300203280000400162854",
            "description": "ACCONTO ORDINE 7781",
            "candidates": [{"name": "Neri Costruzioni S.r.l.", "ref": "C004"}],
        },
        {
            "id": 42,
            "booked_on": "2026-11-23",
            "amount_cents": 12_000,
            "currency": "EUR",
            "payer": "",
            "iban": "",
            "description": "VERSAMENTO CONTANTI",
            "candidates": [],
        },
    ],
}

BANK_SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "payments/bank_import_report.txt": [
        ("camt.053 with reversal and returned", {"report": _REPORT})
    ],
    "payments/staff_bank_unmatched.txt": [("17 unmatched, 2 listed", _CARD)],
    "payments/bank_assign_button.txt": [
        (
            "",
            {
                "credit_id": 41,
                "amount_cents": 50_000,
                "currency": "EUR",
                "debtor_name": "Neri Costruzioni S.r.l.",
            },
        )
    ],
}
