"""The timeline, pure: rows of every kind in, entries in the order they happened out; each entry's
line says what its row holds; the chat text fits one Telegram message, the oldest left out."""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.credit.exposure import Exposure
from bot.registry.texts import TELEGRAM_LIMIT, chat_text, csv_text, entry_line, timeline_text
from bot.registry.timeline import Facts, Kind, build

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


FACTS = Facts(
    invoices=[
        {
            "id": 1, "number": "F-1", "issue_date": dt.date(2026, 11, 1),
            "due_date": dt.date(2026, 12, 1), "amount_cents": 123_456, "currency": "EUR",
            "status": "partially_paid",
        }
    ],
    messages=[
        {
            "id": 10, "direction": "out", "channel": "telegram",
            "template": "reminders/overdue_1.txt", "status": "delivered", "body": "Gentile...",
            "chosen_option": "", "last_error": "", "sent_at": at(2), "scheduled_at": at(1),
            "created_at": at(0),
        },
        {
            "id": 11, "direction": "in", "channel": "telegram", "template": "", "status": "handled",
            "body": "", "chosen_option": "instalments", "last_error": "", "sent_at": at(3),
            "scheduled_at": None, "created_at": at(3),
        },
        {
            "id": 12, "direction": "out", "channel": "sms", "template": "reminders/overdue_2.txt",
            "status": "failed", "body": "", "chosen_option": "", "last_error": "21211 invalid",
            "sent_at": None, "scheduled_at": at(30), "created_at": at(29),
        },
    ],
    plans=[
        {
            "id": 3, "status": "active", "total_cents": 123_456, "currency": "EUR",
            "instalment_count": 3, "first_due_date": dt.date(2026, 11, 30), "requested_at": at(4),
        }
    ],
    payments=[
        {
            "id": 7, "amount_cents": 41_152, "currency": "EUR", "method": "stripe",
            "status": "succeeded", "received_at": at(50), "unallocated_cents": 0,
        }
    ],
    allocations=[{"payment_id": 7, "invoice__number": "F-1", "amount_cents": 41_152}],
    audits=[
        {
            "id": 40, "actor": "staff:5", "action": "plan.approved", "subject": "plan:3",
            "data": {}, "created_at": at(5),
        }
    ],
    staff_names={5: "Giulia"},
)  # fmt: skip


def test_every_fact_in_the_order_it_happened() -> None:
    entries = build(FACTS, "Europe/Rome")
    assert [e.kind for e in entries] == [
        Kind.INVOICE,  # 1 Nov, noon Rome
        Kind.MESSAGE_OUT,  # sent at 11:00 UTC
        Kind.MESSAGE_IN,
        Kind.PLAN,
        Kind.AUDIT,  # the decision, by name
        Kind.MESSAGE_OUT,  # the failed one, at its scheduled time
        Kind.PAYMENT,
        Kind.ALLOCATION,
    ]
    assert entries[0].at == dt.datetime(2026, 11, 1, 11, 0, tzinfo=dt.UTC)
    assert entries[1].at == at(2) and entries[1].status == "delivered"
    assert entries[2].text == "[instalments]" and entries[2].actor == "debtor"
    assert entries[4].actor == "Giulia" and entries[4].text == "plan.approved"


def test_each_line_says_what_its_row_holds() -> None:
    lines = [entry_line(e, "it", "Europe/Rome") for e in build(FACTS, "Europe/Rome")]
    nbsp = [line.replace("\xa0", " ") for line in lines]
    assert nbsp[0] == (
        "01/11/26 12:00 📄 Fattura F-1 emessa: 1.234,56 €, scadenza 01/12/26 (pagata in parte)"
    )
    assert nbsp[1] == "02/11/26 12:00 → telegram reminders/overdue_1.txt: consegnato"
    assert nbsp[2] == "02/11/26 13:00 ← telegram: «[instalments]»"
    assert nbsp[3] == (
        "02/11/26 14:00 📅 Piano #3 chiesto: 3 rate, totale 1.234,56 €, prima scadenza 30/11/26"
        " (attivo)"
    )
    assert nbsp[4] == "02/11/26 15:00 🗂 Giulia: plan.approved (plan:3)"
    assert nbsp[5] == "03/11/26 16:00 → sms reminders/overdue_2.txt: non inviato (21211 invalid)"
    assert nbsp[6] == "04/11/26 12:00 💶 Pagamento di 411,52 € (online): riuscito"
    assert nbsp[7] == "04/11/26 12:00    ↳ 411,52 € sulla fattura F-1"
    english = entry_line(build(FACTS, "Europe/Rome")[6], "en", "Europe/Rome")
    assert english == "04/11/26 12:00 💶 Payment of €411.52 (online): succeeded"


def test_the_chat_text_fits_one_message_and_says_what_it_left_out() -> None:
    lines = [f"0{n % 9}/11/26 10:00 ← telegram: «{'parole ' * 12}{n}»" for n in range(200)]
    text = chat_text("👤 Rossi (C042, #1)", "Storico: ...", lines, "it", "C042")
    assert len(text) <= TELEGRAM_LIMIT
    kept = [line for line in lines if line in text]
    assert kept == lines[-len(kept) :]  # the newest kept, in order
    omitted = len(lines) - len(kept)
    assert f"… {omitted} voci più vecchie non mostrate: python -m bot history C042" in text
    assert f"🕓 Cronologia (200 voci, le {len(kept)} più recenti):" in text


def test_a_short_timeline_is_shown_whole() -> None:
    text = timeline_text(["a", "b"], "en", "C042", budget=TELEGRAM_LIMIT)
    assert text == "🕓 Timeline (2 entries):\na\nb"


def test_csv_one_row_an_entry_in_utc_and_cents() -> None:
    entries = build(FACTS, "Europe/Rome")
    rows = list(csv.DictReader(io.StringIO(csv_text(entries))))
    assert len(rows) == len(entries)
    payment = rows[6]
    assert payment["kind"] == "payment" and payment["amount_cents"] == "41152"
    assert payment["at"] == "2026-11-04T11:00:00+00:00" and payment["reference"] == "stripe"
    assert rows[4]["actor"] == "Giulia" and rows[0]["due"] == "2026-12-01"


def test_the_header_shows_the_exposure_and_a_score_line_when_given() -> None:
    from types import SimpleNamespace

    from bot.registry.texts import header_text

    debtor = SimpleNamespace(
        id=1, name="Rossi S.r.l.", external_ref="C042", erased_at=None, credit_limit_cents=None
    )
    exposure = Exposure(overdue_cents=100_000, not_due_cents=23_456, open_invoices=2)
    plain = header_text(debtor, exposure, "it").replace("\xa0", " ")  # type: ignore[arg-type]
    assert plain == (
        "👤 Rossi S.r.l. (C042, #1)\n💰 Esposizione: 1.234,56 € su 2 fatture"
        " (scaduto 1.000,00 €, non ancora scaduto 234,56 €)"
    )
    scored = header_text(debtor, exposure, "it", score_line="📈 Rischio: B")  # type: ignore[arg-type]
    assert scored.endswith("\n📈 Rischio: B")
