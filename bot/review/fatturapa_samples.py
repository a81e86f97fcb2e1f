"""The credit-note staff message's samples for the texts review (bot/payments/credit_notes.py)."""

from __future__ import annotations

from typing import Any

_NOTE = {
    "debtor_name": "Rossi Costruzioni S.r.l.",
    "external_ref": "IT01234567890",
    "note_number": "NC 7/2026",
    "invoice_number": "FPR 12/2026",
    "amount_cents": 150_000,
    "currency": "EUR",
}

FATTURAPA_SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "staff/credit_note.txt": [
        (
            "more than the invoice's open amount",
            {**_NOTE, "invoice_known": True, "applied_cents": 122_000, "credit_cents": 28_000},
        ),
        (
            "its invoice is not known",
            {**_NOTE, "invoice_known": False, "applied_cents": 0, "credit_cents": 150_000},
        ),
    ],
}
