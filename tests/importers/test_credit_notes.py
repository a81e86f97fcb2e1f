"""Credit notes (FatturaPA TD04 and the invoices CSV's credit_note_for): the open amount the
cadence, the statement and the reports read is reduced; a credit larger than what is open is a
credit in the debtor's favour shown to staff, never a reminder for a zero or negative amount."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.config import Settings
from bot.credit.ledger import load_open_invoices
from bot.importers import run_import
from bot.models import Channel, CreditNote, Debtor, Invoice, InvoiceStatus, Message
from bot.payments.credit_notes import allocate
from bot.registry.loading import load_statement
from bot.texts import render
from scheduler.cadence import plan
from scheduler.rendering import render_context, render_for_channel
from tests.importers.fatturapa_helpers import DAY, NOW, run, write, zipped
from tests.support.fatturapa_xml import Body, Payment, invoice_xml
from tests.support.scheduler_data import FrozenClock, add_contact, make_runtime

INVOICE = Body(
    "FPR 12/2026", DAY, "1000.00", payments=(Payment("1220.00", DAY + dt.timedelta(days=10)),)
)
TODAY = NOW.date()


def credit_note(number: str, taxable: str, invoice: str = "FPR 12/2026") -> Body:
    return Body(number, DAY + dt.timedelta(days=1), taxable, kind="TD04", linked=invoice)


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


async def staff_messages() -> list[Message]:
    return await Message.filter(audience="staff", template="staff/credit_note.txt").order_by("id")


async def debtor_reminders(settings: Settings) -> list[Message]:
    debtor = await Debtor.get(external_ref="IT01234567890")
    await add_contact(debtor, Channel.TELEGRAM)
    await plan(make_runtime(settings, FrozenClock(NOW)))
    return await Message.filter(audience="debtor").order_by("id")


def test_allocate_spreads_a_credit_in_order_and_keeps_the_rest() -> None:
    assert allocate(300, [(1, 100), (2, 500)]) == ({1: 100, 2: 200}, 0)
    assert allocate(900, [(1, 100), (2, 0), (3, 500)]) == ({1: 100, 3: 500}, 300)
    assert allocate(50, []) == ({}, 50)


async def test_a_td04_in_the_same_zip_reduces_the_invoice_everywhere(
    db: str, tmp_path: Path, settings: Settings
) -> None:
    archive = zipped(
        {
            "fatture/IT01879020517_00001.xml": invoice_xml([INVOICE]),
            "note/IT01879020517_00002.xml": invoice_xml(
                [credit_note("NC 1/2026", "200.00")], progressive="00002"
            ),
        }
    )
    report = await run(write(tmp_path / "sdi.zip", archive))
    assert report.ok, report.render()
    assert "credit notes:   1 created" in report.render()
    invoice = await Invoice.get(number="FPR 12/2026")
    assert (invoice.amount_cents, invoice.discount_cents, invoice.balance_cents) == (
        122_000,
        24_400,
        97_600,
    )
    assert invoice.status is InvoiceStatus.OPEN
    note = await CreditNote.get(number="NC 1/2026")
    assert (note.invoice_id, note.applied_cents, note.credit_cents) == (invoice.id, 24_400, 0)  # type: ignore[attr-defined]
    [row] = await load_open_invoices()
    assert row.balance_cents == 97_600
    debtor = await Debtor.get(external_ref="IT01234567890")
    statement = await load_statement(debtor, TODAY)
    assert [item.balance_cents for item in statement.items] == [97_600]
    [reminder] = await debtor_reminders(settings)
    assert reminder.context["totals"] == {"EUR": 97_600}
    assert await staff_messages() == []
    again = await run(write(tmp_path / "sdi.zip", archive))
    assert again.credit_notes.unchanged == 1 and again.invoices.unchanged == 1
    assert (await Invoice.get(number="FPR 12/2026")).balance_cents == 97_600


async def test_a_credit_note_larger_than_what_is_open_is_a_credit_shown_to_staff(
    db: str, tmp_path: Path, settings: Settings
) -> None:
    await run(write(tmp_path / "f.xml", invoice_xml([INVOICE])))
    report = await run(
        write(tmp_path / "nc.xml", invoice_xml([credit_note("NC 2/2026", "1500.00")]))
    )
    assert report.ok, report.render()
    assert "610.00 EUR is a credit for Rossi Costruzioni S.r.l." in report.render()
    invoice = await Invoice.get(number="FPR 12/2026")
    assert (invoice.balance_cents, invoice.status) == (0, InvoiceStatus.CANCELLED)
    note = await CreditNote.get(number="NC 2/2026")
    assert (note.amount_cents, note.applied_cents, note.credit_cents) == (183_000, 122_000, 61_000)
    [message] = await staff_messages()
    text = plain(render(message.template, "it", **message.context))
    assert "Credito a favore di Rossi Costruzioni S.r.l. (IT01234567890)" in text
    assert "NC 2/2026 di 1.830,00 €" in text
    assert "1.220,00 € la chiudono, 610,00 € restano a credito del cliente" in text
    english = plain(render(message.template, "en", **message.context))
    assert "€1,220.00 closes it, €610.00 stays in the customer's favour" in english
    # No reminder for a zero or negative amount: the closed invoice is not chased at all.
    reminders = await debtor_reminders(settings)
    assert reminders == []


async def test_no_reminder_shows_a_zero_or_negative_amount_after_credit_notes(
    db: str, tmp_path: Path, settings: Settings
) -> None:
    second = Body("FPR 13/2026", DAY, "100.00", payments=(Payment("122.00", DAY),))
    await run(write(tmp_path / "f.xml", invoice_xml([INVOICE, second])))
    await run(write(tmp_path / "nc.xml", invoice_xml([credit_note("NC 3/2026", "2000.00")])))
    [reminder] = await debtor_reminders(settings)
    balances = [line["balance_cents"] for line in reminder.context["invoices"]]
    assert balances == [12_200]  # only the other invoice, whole
    assert all(total > 0 for total in reminder.context["totals"].values())
    debtor = await Debtor.get(external_ref="IT01234567890")
    context = render_context(make_runtime(settings, FrozenClock(NOW)), debtor, reminder.context, "")
    for channel in Channel:
        text, _, _ = render_for_channel(reminder.template, channel, "it", context)
        assert "122,00" in text  # the other invoice, and the total
        assert "1.220,00" not in text and "-" not in plain(text).replace("- ", "")
        assert "0,00 €" not in plain(text).replace("122,00 €", "")


async def test_a_credit_note_for_an_unknown_invoice_is_reported_and_applied_when_it_comes(
    db: str, tmp_path: Path
) -> None:
    report = await run(
        write(tmp_path / "nc.xml", invoice_xml([credit_note("NC 4/2026", "100.00")]))
    )
    assert report.ok, report.render()
    assert (
        "credit note NC 4/2026: invoice FPR 12/2026 is not known; kept as a credit of 122.00 EUR"
        in report.render()
    )
    [message] = await staff_messages()
    text = plain(render(message.template, "it", **message.context))
    assert "si riferisce alla fattura FPR 12/2026, che non è tra le fatture importate" in text
    assert "122,00 €" in text
    later = await run(write(tmp_path / "f.xml", invoice_xml([INVOICE], progressive="00003")))
    assert later.ok
    invoice = await Invoice.get(number="FPR 12/2026")
    assert invoice.balance_cents == 122_000 - 12_200
    note = await CreditNote.get(number="NC 4/2026")
    assert (note.invoice_id, note.applied_cents) == (invoice.id, 12_200)  # type: ignore[attr-defined]


async def test_a_credit_note_on_an_instalment_invoice_reduces_the_earliest_first(
    db: str, tmp_path: Path
) -> None:
    rate = Body(
        "FPR 20/2026",
        DAY,
        "1000.00",
        payments=tuple(Payment("610.00", DAY + dt.timedelta(days=30 * n)) for n in (1, 2)),
    )
    await run(write(tmp_path / "f.xml", invoice_xml([rate])))
    await run(
        write(tmp_path / "nc.xml", invoice_xml([credit_note("NC 5/2026", "600.00", "FPR 20/2026")]))
    )
    rows = await Invoice.all().order_by("due_date")
    assert [(r.number, r.balance_cents, r.status) for r in rows] == [
        ("FPR 20/2026 (1/2)", 0, InvoiceStatus.CANCELLED),
        ("FPR 20/2026 (2/2)", 61_000 - 12_200, InvoiceStatus.OPEN),
    ]


async def test_a_csv_credit_note_row_reduces_its_invoice_and_reimport_changes_nothing(
    db: str, tmp_path: Path
) -> None:
    debtors = tmp_path / "debtors.csv"
    debtors.write_text("external_ref,name\nC1,Rossi S.r.l.\n", encoding="utf-8")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "number,debtor_ref,issue_date,due_date,amount,paid_amount,credit_note_for\n"
        "F-1,C1,2026-10-01,2026-10-31,1000.00,400.00,\n"
        "NC-1,C1,2026-10-05,,600.00,,F-1\n",
        encoding="utf-8",
    )

    async def once() -> str:
        report = await run_import(
            debtors=debtors,
            invoices=invoices,
            dry_run=False,
            default_language="it",
            default_timezone="Europe/Rome",
            payment_terms_days=30,
        )
        assert report.ok, report.render()
        return report.render()

    first = await once()
    assert "credit notes:   1 created, 0 unchanged" in first
    invoice = await Invoice.get(number="F-1")
    assert (invoice.balance_cents, invoice.status) == (0, InvoiceStatus.PAID)
    assert await Invoice.filter(number="NC-1").count() == 0
    second = await once()
    assert "credit notes:   0 created, 1 unchanged" in second
    assert "invoices:       0 created, 0 updated, 1 unchanged" in second
    invoice = await Invoice.get(number="F-1")
    assert (invoice.balance_cents, invoice.status) == (0, InvoiceStatus.PAID)
