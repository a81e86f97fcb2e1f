"""Every debtor flow typed by SMS, through signed Twilio webhooks, checked in the database.

The flows know nothing of channels; what this proves is the SMS side of them: numbered or typed
answers (accents left out, as people type on a phone), replies on the same number, effects stored.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Dispute,
    Invoice,
    InvoiceStatus,
    Message,
    PaymentClaim,
    PaymentPlan,
    PromiseToPay,
)
from bot.providers.twilio.segments import count_segments
from scheduler.dispatch import Dispatcher
from tests.providers.twilio.twilio_app import SMS_FROM, debtor_with, twilio_stack


async def chat_by_sms(settings: Settings, point: ContactPoint, texts: list[str]) -> list[str]:
    """Send each text as an inbound SMS; return the bot's answers in order."""
    answers: list[str] = []
    async with twilio_stack(settings) as stack:
        for text in texts:
            before = len(stack.fake.requests)
            response = await stack.inbound(stack.fake.inbound_params(point.address, SMS_FROM, text))
            assert response.status_code == 200
            sent = stack.fake.requests[before:]
            assert sent, f"no answer to {text!r}"
            assert all(request["To"] == point.address for request in sent)
            answers.extend(request["Body"] for request in sent)
    return answers


async def overdue_debtor() -> tuple[ContactPoint, Debtor]:
    point = await debtor_with(Channel.SMS)
    await Invoice.create(
        number="F-SMS-9",
        debtor=point.debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=90_000,
    )
    return point, point.debtor


async def test_pay_now_by_number(settings: Settings, db: str) -> None:
    point, _ = await overdue_debtor()
    answers = await chat_by_sms(settings, point, ["menu", "1"])
    assert "Risponda 1 Paga ora" in answers[0]
    assert "/pay/" in answers[-1]


async def test_instalments_typed_then_confirmed(settings: Settings, db: str) -> None:
    point, debtor = await overdue_debtor()
    answers = await chat_by_sms(settings, point, ["menu", "paga a rate", "3 rate", "si, confermo"])
    assert "300,00" in answers[2]  # three instalments of 300,00
    # The schedule's SMS form: every date and amount on one line, within two segments.
    assert answers[2].startswith("Piano in 3 rate per 900,00 €, scadenze: ")
    assert answers[2].count("300,00 €") == 3
    assert count_segments(answers[2]).segments <= 2
    plan = await PaymentPlan.get(debtor_id=debtor.id)
    assert plan.instalment_count == 3 and plan.total_cents == 90_000


async def test_a_promise_from_the_preset_buttons(settings: Settings, db: str) -> None:
    point, debtor = await overdue_debtor()
    await chat_by_sms(settings, point, ["menu", "Paghero il", "tra 3 giorni"])
    promise = await PromiseToPay.get(debtor_id=debtor.id)
    assert promise.promised_date > dt.date(2026, 1, 1)


async def test_already_paid_without_a_receipt(settings: Settings, db: str) -> None:
    point, debtor = await overdue_debtor()
    await chat_by_sms(settings, point, ["menu", "ho gia pagato", "oggi", "nessuna ricevuta"])
    claim = await PaymentClaim.get(debtor_id=debtor.id)
    assert claim.paid_on is not None
    assert (await Debtor.get(id=debtor.id)).paused_until is not None


async def test_a_dispute_with_a_typed_description(settings: Settings, db: str) -> None:
    point, debtor = await overdue_debtor()
    answers = await chat_by_sms(
        settings, point, ["menu", "contesta", "non e una mia fattura", "Mai ordinato nulla"]
    )
    assert "F-SMS-9" in answers[-1]
    dispute = await Dispute.get(debtor_id=debtor.id)
    assert dispute.text == "Mai ordinato nulla"
    assert (await Invoice.get(number="F-SMS-9")).status is InvoiceStatus.DISPUTED


async def test_talk_to_a_person_relays_the_next_message_to_staff(
    settings: Settings, db: str
) -> None:
    point, debtor = await overdue_debtor()
    await chat_by_sms(settings, point, ["menu", "parla con una persona", "Mi chiami domani"])
    relayed = await Message.filter(audience="staff", debtor_id=debtor.id).order_by("id")
    assert relayed and "Mi chiami domani" in str(relayed[-1].context)


@pytest.mark.parametrize("confirm", ["si, confermo", "1"])
async def test_stop_is_confirmed_then_honoured(settings: Settings, db: str, confirm: str) -> None:
    point, _ = await overdue_debtor()
    await chat_by_sms(settings, point, ["menu", "non ricevere piu messaggi", confirm])
    assert (await ContactPoint.get(id=point.id)).opted_out_at is not None


async def test_a_staff_answer_during_a_hand_off_reaches_the_debtor_by_sms(
    settings: Settings, db: str
) -> None:
    """What the staff chat's reply handler (bot/handlers/staff_commands.py) says reaches an SMS
    debtor."""
    from bot.conversations.notify import notify_debtor
    from bot.conversations.replies import Reply
    from bot.handlers.staff_commands import STAFF_MESSAGE_TEMPLATE
    from bot.texts import render

    point, debtor = await overdue_debtor()
    async with twilio_stack(settings) as stack:
        for text in ("menu", "parla con una persona"):
            await stack.inbound(stack.fake.inbound_params(point.address, SMS_FROM, text))
        words = render(
            STAFF_MESSAGE_TEMPLATE, "it", staff_name="Giulia", company="ACME", text="La chiamo io"
        )
        before = len(stack.fake.requests)
        await notify_debtor(stack.runtime, debtor, [Reply(text=words)])
        await Dispatcher(stack.runtime).drain()
        [sent] = stack.fake.requests[before:]
    assert sent["To"] == point.address and "La chiamo io" in sent["Body"]
