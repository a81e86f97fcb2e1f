"""Staff texts name how money came and why it went back in the reader's language, never by the
code the database or Stripe uses."""

from __future__ import annotations

import pytest

from bot.enums import PaymentMethod
from bot.texts import render
from tests.support.payment_data import TODAY

RECEIVED = {
    "it": {
        "cash": "contanti",
        "cheque": "assegno",
        "offset": "compensazione",
        "riba": "RiBa",
        "bank_transfer": "bonifico",
    },
    "en": {"cash": "cash", "cheque": "cheque", "offset": "offset", "riba": "RiBa"},
}


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_payment_method_has_a_word(language: str) -> None:
    for method in PaymentMethod:
        text = render(
            "payments/staff_payment_received.txt",
            language,
            debtor_name="Bianchi",
            debtor_ref="C002",
            amount_cents=230640,
            payment_currency="EUR",
            method=method.value,
            paid_invoices=[],
            discount_cents=0,
            remaining_cents=0,
            instalment_seq=None,
            plan_completed=False,
        )
        first = text.splitlines()[0]
        said = first.rsplit("(", 1)[1].rstrip(").")
        assert "_" not in said, (method, first)
        if method.value in RECEIVED[language]:
            assert said == RECEIVED[language][method.value]


@pytest.mark.parametrize(
    ("language", "reason", "said"),
    [
        ("it", "requested_by_customer", "Motivo: richiesto dal cliente"),
        ("it", "fraudulent", "Motivo: frode"),
        ("en", "duplicate", "Reason: duplicate payment"),
        ("it", "insoluto 12 giorni", "Motivo: insoluto 12 giorni"),  # a bank's own words kept
    ],
)
def test_a_reversal_names_its_reason_in_words(language: str, reason: str, said: str) -> None:
    text = render(
        "payments/staff_payment_reversed.txt",
        language,
        **_reversed_context(reason),
    )
    assert said in text


def _reversed_context(reason: str) -> dict[str, object]:
    return {
        "kind": "refund",
        "debtor_name": "Rossi",
        "debtor_ref": "C001",
        "amount_cents": 1000,
        "payment_cents": 1000,
        "currency": "EUR",
        "payment_date": TODAY,
        "invoices": [],
        "open_cents": 0,
        "resume_on": None,
        "reason": reason,
    }
