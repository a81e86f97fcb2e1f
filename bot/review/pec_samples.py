"""The texts review's samples for PEC receipts, the case's evidence and the hand-off to a collector
(bot/escalation/): made up, with fixed dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from bot.escalation.case import CaseFile, NoticeLine
from bot.escalation.handoff_figures import CaseFigures

Sample = tuple[str, dict[str, Any]]
AT = dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC)
HANDED = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
FILE = "var/cases/C001/receipts/20261123-100500_avvenuta-consegna_12.eml"

_RECEIPT: dict[str, Any] = {
    "receipt_id": 12,
    "message_id": 345,
    "recipient": "amministrazione@pec.rossi.example.it",
    "identificativo": "opec210.20261123100500.01234.567.1.1@pec.example.it",
    "referenced_msgid": "<5f1c0e.sollecito@azienda.example.it>",
    "issued_date": "2026-11-23",
    "issued_time": "10:05:00 +0100",
    "error": "nessuno",
    "error_text": "",
    "file": FILE,
}
_FIGURES = CaseFigures(
    currency="EUR",
    invoices=4,
    invoiced_cents=2_100_000,
    paid_cents=300_000,
    open_invoices=3,
    open_cents=1_800_000,
    overdue_invoices=2,
    overdue_cents=1_500_000,
    oldest_due=dt.date(2026, 10, 16),
    payments=1,
    received_cents=300_000,
    last_payment=dt.date(2026, 9, 30),
)
_DEBTOR = SimpleNamespace(
    name="Rossi Impianti S.r.l.",
    external_ref="C001",
    vat_number="IT01234567890",
    outsourced_at=HANDED,
    outsourced_by="Anna",
)
_HANDOFF: dict[str, Any] = {
    "debtor": _DEBTOR,
    "by": "Anna",
    "figures": _FIGURES,
    "folder": "var/handoff/C001-20261130-150000",
    "archive": "var/handoff/C001-20261130-150000.zip",
}
_RECEIPT_ROWS = [
    SimpleNamespace(
        kind=kind, issued_at=at, recipient=_RECEIPT["recipient"], message_id=345, error=error
    )
    for kind, at, error in (
        ("accettazione", AT, "nessuno"),
        ("avvenuta-consegna", AT + dt.timedelta(minutes=1), "nessuno"),
    )
]
_CASE = SimpleNamespace(
    debtor=_DEBTOR,
    folder=Path("var/cases/C001"),
    files=(
        CaseFile("diffida-2026-001.pdf", 48_213, "pdf"),
        CaseFile("receipts/20261123-100500_avvenuta-consegna_12.eml", 9_120, "receipt"),
        CaseFile("note.txt", 120, "other"),
    ),
    receipts=_RECEIPT_ROWS,
    notices=(
        NoticeLine(345, "escalation/notice", "sent", AT, "", True, "delivered"),
        NoticeLine(346, "escalation/notice", "sent", AT, "", False, "none"),
        NoticeLine(347, "escalation/notice", "sent", AT, "", True, "failed"),
        NoticeLine(348, "escalation/notice", "sent", AT, "", True, "accepted"),
    ),
)
_EMPTY_CASE = SimpleNamespace(
    debtor=SimpleNamespace(**{**vars(_DEBTOR), "outsourced_at": None}),
    folder=Path("var/cases/C002"),
    files=(),
    receipts=(),
    notices=(),
)
ROME = ZoneInfo("Europe/Rome")

PEC_SAMPLES: dict[str, list[Sample]] = {
    "staff/pec_delivered.txt": [("", {**_RECEIPT, "kind": "avvenuta-consegna"})],
    "staff/pec_failed.txt": [
        (
            "not delivered",
            {
                **_RECEIPT,
                "kind": "errore-consegna",
                "error": "no-dest",
                "error_text": "5.1.1 - casella inesistente",
            },
        ),
        ("not yet delivered", {**_RECEIPT, "kind": "preavviso-errore-consegna", "error": "altro"}),
    ],
    "staff/pec_unmatched.txt": [
        ("no notice", {**_RECEIPT, "kind": "avvenuta-consegna", "reason": "no_notice"}),
        (
            "hostile daticert.xml",
            {
                **_RECEIPT,
                "kind": "avvenuta-consegna",
                "reason": "daticert.xml refused: DTDForbidden (DTDForbidden(name='postacert'))",
            },
        ),
    ],
    "staff/outsourced.txt": [
        ("zip attached", {**_HANDOFF, "cancelled": 2, "zip_attached": True}),
        ("zip too large", {**_HANDOFF, "cancelled": 0, "zip_attached": False}),
    ],
    "staff/already_outsourced.txt": [("", {"debtor": _DEBTOR, "on": HANDED.date()})],
    "case/handoff_readme.txt": [
        (
            "",
            {
                **_HANDOFF,
                "company": "Sollecito Demo S.r.l.",
                "handed_on": HANDED.date(),
                "files": ["debtor.json", "invoices.csv", "case/diffida-2026-001.pdf"],
            },
        )
    ],
    "case/evidence.txt": [
        ("notices and receipts", {"case": _CASE, "zone": ROME, "outsourced_on": HANDED.date()}),
        ("nothing yet", {"case": _EMPTY_CASE, "zone": ROME, "outsourced_on": None}),
    ],
}
