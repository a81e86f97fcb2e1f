"""The texts review's samples for the registry (bot/registry/): a timeline entry of every kind,
the header with its exposure and a score line, the timeline cut to fit a chat message, and the
statement of account (chat, SMS, the PDF's text). Made up, with fixed dates."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from bot.credit.exposure import Exposure
from bot.registry.statement import statement
from bot.registry.timeline import Entry, Kind

Sample = tuple[str, dict[str, Any]]
AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)
_DAY = dt.date(2026, 11, 30)


def _entry(label: str, kind: Kind, **fields: Any) -> Sample:
    entry = Entry(at=AT, kind=kind, source=f"{kind.value}:1", **fields)
    return (label, {"entry": entry, "when": "20/11/26 10:30", "currency": "EUR"})


ENTRIES: list[Sample] = [
    _entry(
        "invoice",
        Kind.INVOICE,
        status="open",
        amount_cents=1_248_000,
        currency="EUR",
        reference="F-2026-101",
        due=_DAY,
    ),
    _entry(
        "reminder sent",
        Kind.MESSAGE_OUT,
        channel="telegram",
        template="reminders/overdue_1.txt",
        status="delivered",
    ),
    _entry(
        "reminder failed",
        Kind.MESSAGE_OUT,
        channel="sms",
        template="reminders/overdue_2.txt",
        status="failed",
        data={"error": "sms: 21211 invalid 'To' phone number"},
    ),
    _entry("answer", Kind.MESSAGE_IN, channel="telegram", status="handled", text="quanto devo?"),
    _entry("promise", Kind.PROMISE, status="pending", amount_cents=None, due=_DAY),
    _entry(
        "plan",
        Kind.PLAN,
        status="active",
        amount_cents=1_773_540,
        currency="EUR",
        due=_DAY,
        reference="plan:3",
        data={"count": 3},
    ),
    _entry("dispute", Kind.DISPUTE, status="open", reference="F-2026-102", text="wrong_amount"),
    _entry("claim", Kind.CLAIM, status="not_found", due=dt.date(2026, 11, 18)),
    _entry(
        "discount",
        Kind.DISCOUNT,
        status="approved",
        amount_cents=1_738_069,
        currency="EUR",
        data={"balance_cents": 1_773_540, "percent": "2.0"},
    ),
    _entry(
        "payment",
        Kind.PAYMENT,
        status="succeeded",
        amount_cents=60_000,
        currency="EUR",
        reference="bank_transfer",
        data={"unallocated_cents": 10_000},
    ),
    _entry(
        "allocation", Kind.ALLOCATION, amount_cents=50_000, currency="EUR", reference="F-2026-101"
    ),
    _entry(
        "a staff decision", Kind.AUDIT, actor="Giulia", reference="plan:3", text="plan.approved"
    ),
    _entry(
        "a write-off",
        Kind.WRITE_OFF,
        actor="Giulia",
        amount_cents=1_250,
        currency="EUR",
        reference="F-2026-101",
        text="arrotondamento concordato",
    ),
]

_INVOICES = [
    {
        "number": "F-2026-101",
        "issue_date": dt.date(2026, 7, 16),
        "due_date": dt.date(2026, 9, 15),
        "amount_cents": 1_298_000,
        "paid_cents": 50_000,
        "discount_cents": 0,
        "currency": "EUR",
        "status": "partially_paid",
    },
    {
        "number": "F-2026-102",
        "issue_date": dt.date(2026, 11, 2),
        "due_date": dt.date(2026, 12, 2),
        "amount_cents": 525_540,
        "paid_cents": 0,
        "discount_cents": 0,
        "currency": "EUR",
        "status": "open",
    },
]
_PAYMENTS = [
    {
        "id": 1,
        "amount_cents": 50_000,
        "currency": "EUR",
        "method": "bank_transfer",
        "status": "succeeded",
        "received_at": dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC),
        "unallocated_cents": 0,
    },
]
_ALLOCATIONS = [{"payment_id": 1, "invoice__number": "F-2026-101"}]
_NAME, _REF = "Rossi Costruzioni S.r.l.", "C001"
FULL = statement(
    _NAME, _REF, _INVOICES, _PAYMENTS, _ALLOCATIONS, today=TODAY, zone="Europe/Rome"
).as_context()
EMPTY = statement(_NAME, _REF, [], [], [], today=TODAY, zone="Europe/Rome").as_context()
_SHOWN = {"items_shown": 30, "payments_shown": 10}
_DEBTOR = SimpleNamespace(id=7, name=_NAME, external_ref=_REF)
_ERASED = SimpleNamespace(id=7, name="[erased #7]", external_ref=_REF)
_OWES = {
    "exposure": Exposure(1_248_000, 525_540, 2),
    "credit_limit_cents": None,
    "score_line": None,
}

REGISTRY_SAMPLES: dict[str, list[Sample]] = {
    "registry/entry.txt": ENTRIES,
    "registry/exposure.txt": [
        (
            "with a score line",
            {
                "exposure": Exposure(1_248_000, 525_540, 2),
                "credit_limit_cents": 2_000_000,
                "score_line": "📈 Rischio: B (62/100)",
            },
        ),
        ("nothing owed", {"exposure": Exposure(), "credit_limit_cents": None, "score_line": None}),
    ],
    "registry/header.txt": [
        ("", {"debtor": _DEBTOR, "erased_on": None, **_OWES}),
        (
            "erased",
            {
                "debtor": _ERASED,
                "erased_on": dt.date(2026, 11, 20),
                "exposure": Exposure(),
                "credit_limit_cents": None,
                "score_line": None,
            },
        ),
    ],
    "registry/timeline.txt": [
        (
            "all of it",
            {
                "lines": ["20/11/26 10:30 ← telegram: «quanto devo?»"],
                "total": 1,
                "shown": 1,
                "omitted": 0,
                "ref": _REF,
            },
        ),
        (
            "the oldest left out",
            {
                "lines": ["20/11/26 10:30 ← telegram: «quanto devo?»"],
                "total": 41,
                "shown": 1,
                "omitted": 40,
                "ref": _REF,
            },
        ),
    ],
    "registry/statement_document.txt": [
        ("open items and a payment", {"statement": FULL}),
        ("nothing open", {"statement": EMPTY}),
    ],
    "flows/statement/text.txt": [
        ("Telegram, with the PDF", {"statement": FULL, "pdf": True, **_SHOWN}),
        ("WhatsApp, no PDF", {"statement": FULL, "pdf": False, **_SHOWN}),
        ("nothing open", {"statement": EMPTY, "pdf": False, **_SHOWN}),
        (
            "more than shown",
            {"statement": FULL, "pdf": True, "items_shown": 1, "payments_shown": 0},
        ),
    ],
    "flows/statement/text.sms.txt": [
        ("open items and a payment", {"statement": FULL}),
        ("nothing open", {"statement": EMPTY}),
    ],
}
