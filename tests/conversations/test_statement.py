"""The statement of account asked for in the chat ("estratto conto", "quanto devo", "what do I
owe", "statement"): on Telegram the text with the PDF as a document; by SMS the short form and no
file. Through the real inbound path; every figure checked against the rows."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from bot.outbox import STAFF
from bot.registry.statement_pdf import MIME_TYPE
from bot.runtime import Runtime
from scheduler.dispatch import Dispatcher
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM, debtor_with, twilio_stack
from tests.support.pdf_text import pdf_text
from tests.support.telegram_chat import CHAT, NOW, TelegramDebtor


async def books(debtor: Debtor) -> None:
    """One invoice part paid and overdue, one not yet due, one paid; a payment for the first."""
    first = await Invoice.create(
        number="F-S-1", debtor=debtor, issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1), amount_cents=123_456, paid_cents=23_456,
        status=InvoiceStatus.PARTIALLY_PAID,
    )  # fmt: skip
    await Invoice.create(
        number="F-S-2", debtor=debtor, issue_date=dt.date(2026, 11, 10),
        due_date=dt.date(2026, 12, 10), amount_cents=50_000,
    )  # fmt: skip
    await Invoice.create(
        number="F-S-0", debtor=debtor, issue_date=dt.date(2026, 6, 1),
        due_date=dt.date(2026, 7, 1), amount_cents=70_000, paid_cents=70_000,
        status=InvoiceStatus.PAID,
    )  # fmt: skip
    payment = await Payment.create(
        debtor=debtor, amount_cents=23_456, method=PaymentMethod.BANK_TRANSFER,
        received_at=dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    await PaymentAllocation.create(payment=payment, invoice=first, amount_cents=23_456)


async def telegram_debtor() -> Debtor:
    debtor = await Debtor.create(external_ref="C-S", name="Rossi Impianti S.r.l.", language="it")
    await ContactPoint.create(
        debtor=debtor, channel=Channel.TELEGRAM, address=str(CHAT), verified_at=NOW
    )
    await books(debtor)
    return debtor


@pytest.mark.parametrize("words", ["estratto conto", "Quanto devo?", "mi mandate l'estratto conto"])
async def test_on_telegram_the_text_and_the_pdf(
    words: str, app_url: str, fake: FakeTelegram
) -> None:
    debtor = await telegram_debtor()
    chat = TelegramDebtor(app_url, fake)
    [text] = await chat.say(words)
    text = text.replace("\xa0", " ")
    assert text.startswith("Estratto conto di Rossi Impianti S.r.l. al 23 novembre 2026")
    assert "- F-S-1 del 01/09/26: da pagare 1.000,00 € su 1.234,56 €, scadenza 01/10/26" in text
    assert "- F-S-2 del 10/11/26: da pagare 500,00 €, scadenza 10/12/26" in text
    assert "F-S-0" not in text.split("Pagamenti")[0]  # paid: not an open item
    assert "Totale da pagare: 1.500,00 €, di cui scaduto 1.000,00 €." in text
    assert "- 06/11/26: 234,56 € (bonifico), per F-S-1" in text
    assert text.endswith("In allegato lo stesso estratto conto in PDF.")
    [sent] = fake.calls_to("sendDocument")
    name, mime, content = sent.files["document"]
    assert name == "estratto-conto-C-S-2026-11-23.pdf" and mime == MIME_TYPE
    shown = pdf_text(content).replace("\xa0", " ")
    for expected in ("F-S-1", "1.000,00 €", "F-S-2", "Totale da pagare: 1.500,00 €"):
        assert expected in shown
    audit = await AuditEvent.get(action="flow.statement")
    assert audit.subject == f"debtor:{debtor.id}"
    assert audit.data == {"open_items": 2, "total_cents": 150_000, "pdf": True}


async def test_asked_in_english_mid_way_through_a_flow(app_url: str, fake: FakeTelegram) -> None:
    await telegram_debtor()
    chat = TelegramDebtor(app_url, fake)
    await chat.press("promise")  # at promise.choose, asking for the statement instead
    [text] = await chat.say("what do I owe")
    assert text.startswith("Statement of account for Rossi Impianti S.r.l. as of 23 November 2026")
    assert "Total to pay: €1,500.00, of which overdue €1,000.00." in text
    assert len(fake.calls_to("sendDocument")) == 1


async def test_by_sms_the_short_form_and_no_file(settings: Settings, db: str) -> None:
    point = await debtor_with(Channel.SMS, address=DEBTOR_PHONE)
    await books(point.debtor)
    async with twilio_stack(settings, now=NOW) as stack:
        params = stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "estratto conto")
        assert (await stack.inbound(params)).status_code == 200
    [reply] = await Message.filter(direction=Direction.OUTBOUND).exclude(audience=STAFF)
    assert reply.template == "flows/statement/text.txt" and reply.channel is Channel.SMS
    [sent] = stack.fake.requests
    assert sent["Body"].replace("\xa0", " ") == (
        "Estratto conto al 23/11/26: da pagare 1.500,00 € su 2 fatture, scaduto 1.000,00 €. "
        "Ultimo pagamento ricevuto: 234,56 € il 06/11/26."
    )
    assert "MediaUrl" not in sent
    audit = await AuditEvent.get(action="flow.statement")
    assert audit.data["pdf"] is False


async def test_a_reply_telegram_refused_at_once_goes_later_with_its_pdf(
    app_url: str, fake: FakeTelegram, runtime: Runtime
) -> None:
    """The outbox keeps the reply's file: the worker's resend carries the same PDF, so the text's
    "in allegato" stays true."""
    await telegram_debtor()
    fake.server_error("sendDocument", times=1)
    await TelegramDebtor(app_url, fake).say("estratto conto")
    row = await Message.get(direction=Direction.OUTBOUND, template="flows/statement/text.txt")
    assert row.status is MessageStatus.PENDING and row.attachments[0]["mime_type"] == MIME_TYPE
    await Message.filter(id=row.id).update(scheduled_at=NOW)  # its retry is due
    await Dispatcher(runtime).drain()
    first, again = fake.calls_to("sendDocument")
    assert again.files["document"] == first.files["document"]
    assert (await Message.get(id=row.id)).status is MessageStatus.SENT
