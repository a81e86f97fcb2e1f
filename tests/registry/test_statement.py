"""The statement of account, pure: its figures from the rows, and every claim its chat text, SMS
form and PDF make checked against them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.flows.menu import STATEMENT_ITEMS_SHOWN, STATEMENT_PAYMENTS_SHOWN
from bot.registry.statement import PAYMENTS_SINCE_DAYS, statement
from bot.registry.statement_pdf import filename, statement_pdf
from bot.texts import render
from tests.support.pdf_text import pdf_text

TODAY = dt.date(2026, 11, 23)


def invoice(number: str, amount: int, due: dt.date, **fields: Any) -> dict[str, Any]:
    return {
        "number": number, "issue_date": due - dt.timedelta(days=30), "due_date": due,
        "amount_cents": amount, "paid_cents": 0, "discount_cents": 0, "currency": "EUR",
        "status": "open", **fields,
    }  # fmt: skip


def payment(ident: int, amount: int, when: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident, "amount_cents": amount, "currency": "EUR", "method": "bank_transfer",
        "status": "succeeded", "received_at": when, "unallocated_cents": 0, **fields,
    }  # fmt: skip


INVOICES = [
    invoice("F-3", 50_000, TODAY + dt.timedelta(days=8)),  # not yet due
    invoice("F-1", 123_456, TODAY - dt.timedelta(days=53), paid_cents=20_000,
            status="partially_paid"),
    invoice("F-0", 99_900, TODAY - dt.timedelta(days=90), paid_cents=99_900, status="paid"),
    invoice("F-2", 10_000, TODAY - dt.timedelta(days=1), status="disputed"),
    invoice("F-9", 70_000, TODAY - dt.timedelta(days=5), status="cancelled"),
]  # fmt: skip
PAYMENTS = [
    payment(1, 20_000, dt.datetime(2026, 10, 5, 23, 30, tzinfo=dt.UTC)),  # 6 Oct in Rome
    payment(2, 99_900, dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC), method="stripe"),
    payment(3, 5_000, dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC), status="failed"),
    payment(4, 7_000, dt.datetime(2025, 11, 1, 9, 0, tzinfo=dt.UTC)),  # over a year ago
]
ALLOCATIONS = [
    {"payment_id": 1, "invoice__number": "F-1"},
    {"payment_id": 2, "invoice__number": "F-0"},
]


def sample() -> Any:
    return statement(
        "Rossi S.r.l.", "C042", INVOICES, PAYMENTS, ALLOCATIONS, today=TODAY, zone="Europe/Rome"
    )


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


def test_open_items_and_payments_received() -> None:
    s = sample()
    assert [i.number for i in s.items] == ["F-1", "F-2", "F-3"]  # by due date; paid, cancelled out
    assert [i.balance_cents for i in s.items] == [103_456, 10_000, 50_000]
    assert [i.days_overdue for i in s.items] == [53, 1, 0]
    assert (s.total_cents, s.overdue_cents, s.not_due_cents) == (163_456, 113_456, 50_000)
    assert [(p.day, p.amount_cents, p.invoices) for p in s.payments] == [
        (dt.date(2026, 10, 6), 20_000, ("F-1",)),  # the company's day, not UTC's
        (dt.date(2026, 9, 1), 99_900, ("F-0",)),
    ]
    assert s.since == TODAY - dt.timedelta(days=PAYMENTS_SINCE_DAYS)


def _chat(s: Any, language: str, pdf: bool, **shown: int) -> str:
    limits = {"items_shown": STATEMENT_ITEMS_SHOWN, "payments_shown": STATEMENT_PAYMENTS_SHOWN}
    context = s.as_context()
    return plain(render("flows/statement/text.txt", language, statement=context, pdf=pdf,
                        **(limits | shown)))  # fmt: skip


def test_the_chat_text_says_what_the_data_holds() -> None:
    text = _chat(sample(), "it", pdf=True)
    assert text.startswith("Estratto conto di Rossi S.r.l. al 23 novembre 2026\n")
    assert "Fatture aperte (3):" in text
    assert (
        "- F-1 del 01/09/26: da pagare 1.034,56 € su 1.234,56 €, scadenza 01/10/26, "
        "scaduta da 53 giorni" in text
    )
    assert "- F-2 del 23/10/26: da pagare 100,00 €, scadenza 22/11/26, scaduta da 1 giorno" in text
    assert "- F-3 del 01/11/26: da pagare 500,00 €, scadenza 01/12/26\n" in text
    assert "Totale da pagare: 1.634,56 €, di cui scaduto 1.134,56 €." in text
    assert "Pagamenti ricevuti dal 23/11/25:" in text
    assert "- 06/10/26: 200,00 € (bonifico), per F-1" in text
    assert "- 01/09/26: 999,00 € (pagamento online), per F-0" in text
    assert "50,00" not in text and "70,00" not in text  # a failed one, one too old
    assert text.endswith("In allegato lo stesso estratto conto in PDF.")
    assert "PDF" not in _chat(sample(), "it", pdf=False)
    english = _chat(sample(), "en", pdf=False)
    assert "Total to pay: €1,634.56, of which overdue €1,134.56." in english


def test_more_than_the_chat_shows_points_to_the_pdf_only_when_there_is_one() -> None:
    text = _chat(sample(), "it", pdf=True, items_shown=1, payments_shown=1)
    assert "- …e altre 2 fatture, tutte nel PDF allegato" in text
    assert "- …e altri 1, tutti nel PDF allegato" in text
    assert "F-2 del" not in text
    without = _chat(sample(), "it", pdf=False, items_shown=1, payments_shown=1)
    assert "- …e altre 2 fatture\n" in without and "PDF" not in without


def test_nothing_open_and_nothing_received() -> None:
    empty = statement("Rossi", "C042", [], [], [], today=TODAY, zone="Europe/Rome")
    text = _chat(empty, "it", pdf=False)
    assert "Non risultano fatture aperte a suo nome." in text
    assert "Nessun pagamento ricevuto dal 23/11/25." in text
    sms = render("flows/statement/text.sms.txt", "it", statement=empty.as_context())
    assert sms == "Estratto conto al 23/11/26: nessuna fattura aperta."


def test_the_sms_form_is_one_line_of_the_same_figures() -> None:
    sms = plain(render("flows/statement/text.sms.txt", "it", statement=sample().as_context()))
    assert sms == (
        "Estratto conto al 23/11/26: da pagare 1.634,56 € su 3 fatture, scaduto 1.134,56 €. "
        "Ultimo pagamento ricevuto: 200,00 € il 06/10/26."
    )


def test_the_pdf_holds_every_item_and_payment() -> None:
    s = sample()
    pdf = statement_pdf(s, "it", "Forniture Bianchi S.r.l.")
    assert pdf.startswith(b"%PDF-")
    shown = plain(pdf_text(pdf))
    for expected in (
        "Estratto conto", "Forniture Bianchi S.r.l.", "Cliente: Rossi S.r.l. (codice C042)",
        "F-1", "01/10/26 (scaduta)", "1.234,56 €", "200,00 €", "1.034,56 €", "F-3", "01/12/26",
        "Totale da pagare: 1.634,56 €", "Di cui scaduto: 1.134,56 €; non ancora scaduto: 500,00 €",
        "06/10/26", "Bonifico", "Online", "Totale ricevuto: 1.199,00 €",
    ):  # fmt: skip
        assert expected in shown.split("\n") or expected in shown, expected
    assert "F-0" in shown  # the paid invoice only as what a payment was for
    assert "F-9" not in shown
    assert statement_pdf(s, "it", "Forniture Bianchi S.r.l.") == pdf  # no clock inside
    assert filename(s, "it") == "estratto-conto-C042-2026-11-23.pdf"


def test_a_name_outside_the_pdf_font_is_written_not_refused() -> None:
    s = statement("Łódź Sp. z o.o. 🙂", "PL/1", [], [], [], today=TODAY, zone="Europe/Rome")
    shown = pdf_text(statement_pdf(s, "en", "Acme"))
    assert "Customer: ?ód? Sp. z o.o. ? (code PL/1)" in shown.split("\n")
    assert filename(s, "en") == "statement-PL-1-2026-11-23.pdf"
