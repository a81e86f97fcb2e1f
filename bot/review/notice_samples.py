"""The texts review's samples for the formal notice (bot/escalation/notice*.py): the document
(with and without interest and the €40, with and without bank details), its e-mail, the chats'
note, the staff card in each of its cases and the deadline questions. Made up, with fixed dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

Sample = tuple[str, dict[str, Any]]
_ISSUED = dt.date(2026, 11, 23)
_DEADLINE = dt.date(2026, 12, 8)


def _line(number: str, due: dt.date, principal: int, interest: int, fixed: int) -> dict[str, Any]:
    return {
        "invoice_id": 1,
        "number": number,
        "due_date": due,
        "currency": "EUR",
        "principal_cents": principal,
        "interest_cents": interest,
        "compensation_cents": fixed,
        "total_cents": principal + interest + fixed,
    }


def _notice(interest: bool, bank: bool = True, pec: bool = True) -> dict[str, Any]:
    lines = [
        _line("F-2026-088", dt.date(2026, 9, 14), 1_248_000, 21_733 if interest else 0, 4_000),
        _line("F-2026-101", dt.date(2026, 9, 19), 525_540, 8_617 if interest else 0, 4_000),
    ]
    if not interest:
        lines = [{**line, "compensation_cents": 0} for line in lines]
        for line in lines:
            line["total_cents"] = line["principal_cents"]
    principal = sum(line["principal_cents"] for line in lines)
    interest_cents = sum(line["interest_cents"] for line in lines)
    fixed = sum(line["compensation_cents"] for line in lines)
    return {
        "protocol": "2026/0042",
        "issued_on": _ISSUED,
        "deadline": _DEADLINE,
        "deadline_days": 15,
        "company": {
            "name": "Forniture Bianchi S.p.A.",
            "address": "Via Roma 1, 20121 Milano (MI)",
            "vat_number": "IT01234567890",
            "pec": "bianchi@pec.example.it",
            "phone": "+39 02 1234 5678",
        },
        "debtor": {
            "name": "Rossi Costruzioni S.r.l.",
            "ref": "C001",
            "vat_number": "IT09876543210",
            "tax_code": "",
        },
        "address": "rossi@pec.example.it" if pec else "amministrazione@rossi.example.it",
        "pec": pec,
        "currency": "EUR",
        "lines": lines,
        "principal_cents": principal,
        "interest_cents": interest_cents,
        "compensation_cents": fixed,
        "total_cents": principal + interest_cents + fixed,
        "is_business": True,
        "bank": {
            "beneficiary": "Forniture Bianchi S.p.A.",
            "iban": "IT60 X054 2811 1010 0000 0123 456",
            "bic": "BPMOIT22",
            "reference": "SOL-7-42 F-2026-088 F-2026-101",
            "qr": True,
        }
        if bank
        else None,
    }


_EMAIL = {
    "protocol": "2026/0042",
    "issued_on_date": _ISSUED,
    "deadline_date": _DEADLINE,
    "notice_total_cents": 1_811_890,
    "currency": "EUR",
    "invoices": [{"number": "F-2026-088"}, {"number": "F-2026-101"}],
}
_CARD = {
    "protocol": "2026/0042",
    "debtor_name": "Rossi Costruzioni S.r.l.",
    "debtor_ref": "C001",
    "total_cents": 1_811_890,
    "principal_cents": 1_773_540,
    "interest_cents": 30_350,
    "compensation_cents": 8_000,
    "currency": "EUR",
    "invoice_count": 2,
    "deadline": _DEADLINE,
    "channel": "pec",
    "address": "rossi@pec.example.it",
    "pec_mailbox": True,
}

NOTICE_SAMPLES: dict[str, list[Sample]] = {
    "notice/document.txt": [
        ("interest and the €40 (business)", {"notice": _notice(True)}),
        ("principal only, by e-mail", {"notice": _notice(False, pec=False)}),
        ("no bank account configured", {"notice": _notice(False, bank=False)}),
    ],
    "notice/email.txt": [("", _EMAIL)],
    "notice/email.subject.txt": [("", _EMAIL)],
    "notice/sent_note.txt": [
        ("by PEC", {"protocol": "2026/0042", "pec": True, "address": "rossi@pec.example.it"}),
        ("by e-mail", {"protocol": "2026/0042", "pec": False, "address": "amm@rossi.example.it"}),
    ],
    "staff/notice_card.txt": [
        ("by PEC", _CARD),
        ("ordinary e-mail", {**_CARD, "channel": "email", "address": "amm@rossi.example.it"}),
        ("no PEC mailbox", {**_CARD, "channel": "email", "pec_mailbox": False}),
        ("no address", {**_CARD, "channel": "", "address": ""}),
    ],
    "staff/notice_ask_deadline.txt": [("", {"protocol": "2026/0042", "deadline": _DEADLINE})],
    "staff/notice_deadline_asked.txt": [("", {"protocol": "2026/0042"})],
    "staff/notice_bad_deadline.txt": [("", {"text": "domani forse"})],
    "staff/notice_plain_email.txt": [
        ("", {"protocol": "2026/0042", "address": "amm@rossi.example.it"})
    ],
    "staff/decision/deadline_set.txt": [("", {"detail": "2026-12-13"})],
    "staff/decision/skipped.txt": [("", {})],
    "staff/decision/approved.txt": [
        ("", {"detail": ""}),
        ("a notice by PEC", {"detail": "pec"}),
        ("a notice by e-mail", {"detail": "email"}),
    ],
    "staff/decision/invalid.txt": [
        ("a notice with no address", {"detail": "no_address"}),
        ("a notice's deadline out of range", {"detail": "deadline"}),
        ("a notice paid meanwhile", {"detail": "settled"}),
        ("a notice whose amounts changed", {"detail": "changed"}),
    ],
}


def add_notice_samples(samples: dict[str, list[Sample]]) -> None:
    """The notice's samples added to the review's (after any a template has already)."""
    for name, extra in NOTICE_SAMPLES.items():
        samples[name] = [*samples.get(name, []), *extra]
