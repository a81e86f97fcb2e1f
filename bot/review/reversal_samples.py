"""The texts review's samples for reversed payments and RiBa insoluti (bot/payments/reversal.py,
bot/payments/riba_apply.py). Made up, with fixed dates."""

from __future__ import annotations

from typing import Any

Sample = tuple[str, dict[str, Any]]

_DEBTOR = {"debtor_name": "Rossi Costruzioni S.r.l.", "debtor_ref": "C-0042"}
_REOPENED = [
    {
        "number": "FT-2026/0118",
        "balance_cents": 30_000,
        "currency": "EUR",
        "due_date": "2026-11-13",
        "overdue": True,
        "status": "partially_paid",
    },
    {
        "number": "FT-2026/0131",
        "balance_cents": 45_050,
        "currency": "EUR",
        "due_date": "2026-12-10",
        "overdue": False,
        "status": "open",
    },
]
_REVERSED = {
    **_DEBTOR,
    "kind": "refund",
    "amount_cents": 75_050,
    "currency": "EUR",
    "payment_cents": 125_050,
    "payment_date": "2026-11-02",
    "invoices": _REOPENED,
    "open_cents": 75_050,
    "resume_on": "2026-11-26",
    "reason": "requested_by_customer",
}

REVERSAL_SAMPLES: dict[str, list[Sample]] = {
    "payments/staff_payment_reversed.txt": [
        ("a partial refund reopens two invoices", _REVERSED),
        ("a dispute", {**_REVERSED, "kind": "dispute", "reason": "fraudulent"}),
        ("a SEPA debit failed", {**_REVERSED, "kind": "debit_failed", "reason": "AM04"}),
        ("a RiBa insoluto, no grace", {**_REVERSED, "kind": "riba_unpaid", "resume_on": ""}),
        ("nothing was allocated", {**_REVERSED, "invoices": [], "open_cents": 0, "reason": ""}),
    ],
    "payments/staff_payment_restored.txt": [
        (
            "a dispute won",
            {
                **_DEBTOR,
                "kind": "dispute",
                "amount_cents": 75_050,
                "currency": "EUR",
                "invoices": [{**_REOPENED[0], "balance_cents": 0}],
                "unallocated_cents": 45_050,
            },
        ),
        (
            "a refund that failed",
            {
                **_DEBTOR,
                "kind": "refund",
                "amount_cents": 30_000,
                "currency": "EUR",
                "invoices": [_REOPENED[0]],
                "unallocated_cents": 0,
            },
        ),
    ],
    "payments/staff_riba_unpaid.txt": [
        (
            "insoluto with charges and the RiBa step",
            {
                **_DEBTOR,
                "invoice_number": "FT-2026/0118",
                "amount_cents": 122_000,
                "currency": "EUR",
                "due_date": "2026-11-15",
                "open_cents": 122_000,
                "fees_cents": 750,
                "step": "overdue_2",
            },
        ),
        (
            "insoluto, no charges, the cadence as usual",
            {
                **_DEBTOR,
                "invoice_number": "FT-2026/0118",
                "amount_cents": 122_000,
                "currency": "EUR",
                "due_date": "2026-11-15",
                "open_cents": 122_000,
                "fees_cents": 0,
                "step": "",
            },
        ),
    ],
}
