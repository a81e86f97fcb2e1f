"""Samples of /paid and /writeoff's answers for the texts review: the contexts the code builds
(bot/payments/manual.py `ManualOutcome`, bot/writeoffs.py `WriteOffOutcome`) from made-up rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Debtor, Invoice, Payment, PaymentMethod, WriteOff
from bot.payments.allocation import RecordedPayment
from bot.payments.manual import ManualOutcome, OpenLine
from bot.writeoffs import WriteOffOutcome

TODAY = dt.date(2026, 11, 23)
AT = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)
DEBTOR = Debtor(id=7, external_ref="C001", name="Rossi Costruzioni S.r.l.")


def _invoice(number: str, amount: int, paid: int, written_off: int = 0) -> Invoice:
    return Invoice(
        number=number, amount_cents=amount, paid_cents=paid, written_off_cents=written_off
    )


def _paid(method: PaymentMethod, note: str, unallocated: int, *shares: Invoice) -> dict[str, Any]:
    amount = sum(i.paid_cents for i in shares) + unallocated
    payment = Payment(
        amount_cents=amount,
        currency="EUR",
        method=method,
        received_at=AT,
        note=note,
        unallocated_cents=unallocated,
    )
    recorded = RecordedPayment(payment, shares=[(i, i.paid_cents) for i in shares])
    still_open = [OpenLine("F-2026-118", TODAY, 84_500)] if not unallocated else []
    return {"by": "Giulia", **ManualOutcome(DEBTOR, recorded, still_open).context()}


def _written_off(still_open: list[OpenLine], *lines: tuple[Invoice, int]) -> dict[str, Any]:
    record = WriteOff(
        amount_cents=sum(cents for _, cents in lines), currency="EUR", reason="cliente fallito"
    )
    return {"by": "Giulia", **WriteOffOutcome(DEBTOR, record, list(lines), still_open).context()}


_ERRORS = [
    ("usage_paid", {}),
    ("usage_writeoff", {}),
    ("no_reason", {}),
    ("bad_amount", {"text": "1.234"}),
    ("bad_date", {"text": "31/02/2026"}),
    ("future_date", {"day": TODAY + dt.timedelta(days=7), "today": TODAY}),
    ("unknown_ref", {"ref": "C999"}),
    ("invoice_closed", {"number": "F-2026-101", "status": "paid"}),
    ("already_recorded", {"ref": "staff-chat:-100:42"}),
    ("nothing_open", {"ref": "Rossi Costruzioni S.r.l."}),
    ("more_than_open", {"amount_cents": 100_000, "open_cents": 84_500}),
]

MANUAL_SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "staff/manual/paid.txt": [
        (
            "cash, one invoice settled, one partly paid",
            _paid(
                PaymentMethod.CASH,
                "contanti",
                0,
                _invoice("F-2026-101", 120_000, 120_000),
                _invoice("F-2026-118", 100_000, 15_500),
            ),
        ),
        (
            "more than was open: a credit",
            _paid(PaymentMethod.CHEQUE, "", 20_000, _invoice("F-2026-101", 120_000, 120_000)),
        ),
    ],
    "staff/manual/written_off.txt": [
        (
            "one invoice closed, another still open",
            _written_off(
                [OpenLine("F-2026-118", TODAY, 84_500)],
                (_invoice("F-2026-101", 120_000, 100_000, 20_000), 20_000),
            ),
        ),
        (
            "the whole debtor",
            _written_off([], (_invoice("F-2026-118", 84_500, 0, 84_500), 84_500)),
        ),
    ],
    "staff/manual/writeoff_refused.txt": [
        ("over the limit", {"amount_cents": 84_500, "limit_cents": 50_000, "currency": "EUR"}),
        ("no limit", {"amount_cents": 1_250, "limit_cents": 0, "currency": "EUR"}),
    ],
    "staff/manual/error.txt": [(key, {"key": key, **context}) for key, context in _ERRORS],
}
