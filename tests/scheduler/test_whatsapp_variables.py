"""WhatsApp template variables come from the message's own kind, and an empty one never goes out
(Twilio error 21656): per kind, pure; then through the dispatcher and the real twilio client
against the fake Twilio."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel, Message, MessageStatus
from bot.outbox import queue_message
from bot.providers.twilio.whatsapp import WhatsAppSender
from scheduler.dispatch import DispatchConfig, Dispatcher
from scheduler.outbox_record import DispatchOutcome
from scheduler.whatsapp_variables import (
    VARIABLES,
    Facts,
    empty_variables,
    message_kind,
    variables_for,
)
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.providers.twilio.twilio_app import twilio_settings, whatsapp_runtime
from tests.support.scheduler_data import FrozenClock, make_debtor

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
FACTS = Facts("Bar Sport di Rossi", "it", "Forniture Bianchi S.p.A.", "https://pay.example/p/x")
SIDS = {
    "overdue_1": "HX" + "1" * 32,
    "payments/receipt": "HX" + "2" * 32,
    "promise_reminder": "HX" + "3" * 32,
    "instalment_due": "HX" + "4" * 32,
}

REMINDER = {
    "kind": "reminder",
    "totals": {"EUR": 124_456},
    "invoices": [{"id": 1}, {"id": 2}],
}
RECEIPT = {
    "debtor_name": "Bar Sport di Rossi",
    "amount_cents": 50_000,
    "payment_currency": "EUR",
    "paid_invoices": [{"number": "FT-1", "cents": 50_000, "settled": True}],
    "discount_cents": 0,
    "instalment_seq": None,
    "plan_completed": False,
    "remaining_cents": 0,
    "unallocated_cents": 0,
}
PROMISE = {
    "kind": "promise_reminder",
    "promised_date": "2026-11-20",
    "total_cents": 75_000,
    "currency": "EUR",
}
INSTALMENT = {
    "kind": "instalment_due",
    "seq": 2,
    "amount_cents": 30_000,
    "currency": "EUR",
    "due_date": "2026-12-01",
    "pay_url": "https://pay.example/p/i2",
}


@pytest.mark.parametrize(
    ("template", "context", "kind", "expected"),
    [
        (
            "overdue_1",
            REMINDER,
            "reminder",
            {"1": "Bar Sport di Rossi", "2": "1.244,56 €", "3": "2", "4": FACTS.pay_url},
        ),
        (
            "payments/receipt.txt",
            RECEIPT,
            "receipt",
            {"1": "Bar Sport di Rossi", "2": "500,00 €", "3": "0,00 €"},
        ),
        (
            "promise_reminder",
            PROMISE,
            "promise_reminder",
            {"1": "Bar Sport di Rossi", "2": "750,00 €", "3": "20 novembre 2026"},
        ),
        (
            "instalment_due",
            INSTALMENT,
            "instalment_due",
            {
                "1": "Bar Sport di Rossi",
                "2": "300,00 €",
                "3": "1º dicembre 2026",
                "4": FACTS.pay_url,
            },
        ),
        (
            "flows/plan/first_instalment.txt",
            {"reply": True, "address": "+393330000001"},
            "reply",
            {"1": "Bar Sport di Rossi", "2": "Forniture Bianchi S.p.A."},
        ),
    ],
)
def test_each_kind_fills_its_own_variables_and_none_is_empty(
    template: str, context: dict[str, Any], kind: str, expected: dict[str, str]
) -> None:
    assert message_kind(template, context) == kind
    variables = variables_for(kind, context, FACTS)
    assert {k: v.replace("\u00a0", " ") for k, v in variables.items()} == expected
    assert len(variables) == len(VARIABLES[kind])
    assert empty_variables(variables) == []


def test_what_a_row_cannot_supply_comes_out_empty_and_is_flagged() -> None:
    no_link = Facts("Bar Sport di Rossi", "it", "Forniture Bianchi S.p.A.", pay_url="")
    assert empty_variables(variables_for("reminder", REMINDER, no_link)) == ["4"]
    assert empty_variables(variables_for("receipt", {"payment_currency": "EUR"}, FACTS)) == [
        "2",
        "3",
    ]


def test_a_value_goes_on_one_line() -> None:
    facts = Facts("Bar Sport\ndi  Rossi\t", "en", "Forniture  Bianchi", "")
    assert variables_for("reply", {"reply": True}, facts) == {
        "1": "Bar Sport di Rossi",
        "2": "Forniture Bianchi",
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio().start()
    yield server
    await server.stop()


async def test_a_receipt_goes_out_with_the_receipts_variables_not_a_reminders(
    db: str, settings: Settings, fake: FakeTwilio
) -> None:
    clock = FrozenClock(NOW)
    runtime = whatsapp_runtime(settings, fake, clock, SIDS)
    try:
        debtor = await make_debtor("Bar Sport di Rossi", channels=(Channel.WHATSAPP,))
        await queue_message(
            debtor=debtor, template="payments/receipt.txt", context=RECEIPT, scheduled_at=NOW
        )
        assert await Dispatcher(runtime, DispatchConfig()).drain() == {DispatchOutcome.SENT: 1}
    finally:
        await runtime.close()
    [sent] = fake.requests
    assert sent["ContentSid"] == SIDS["payments/receipt"]
    variables = json.loads(sent["ContentVariables"])
    assert [variables[k].replace("\u00a0", " ") for k in ("1", "2", "3")] == [
        "Bar Sport di Rossi",
        "500,00 €",
        "0,00 €",
    ]
    assert "4" not in variables and all(v.strip() for v in variables.values())


async def test_an_instalment_reminder_without_a_pay_link_is_refused_on_whatsapp_not_sent_empty(
    db: str, settings: Settings, fake: FakeTwilio
) -> None:
    clock = FrozenClock(NOW)
    runtime = whatsapp_runtime(settings, fake, clock, SIDS)
    try:
        debtor = await make_debtor(channels=(Channel.WHATSAPP, Channel.EMAIL))
        await queue_message(
            debtor=debtor,
            template="instalment_due",
            context={**INSTALMENT, "pay_url": ""},
            scheduled_at=NOW,
            step="instalment_due",
        )
        assert await Dispatcher(runtime, DispatchConfig()).drain() == {DispatchOutcome.SENT: 1}
    finally:
        await runtime.close()
    assert fake.requests == []  # nothing reached Twilio with an empty variable
    row = await Message.get(audience="debtor")
    assert row.status is MessageStatus.SENT and row.channel is Channel.EMAIL
    [error] = row.context["errors"]
    assert "variable 4 is empty" in error


async def test_the_sender_never_sends_an_empty_variable(
    settings: Settings, fake: FakeTwilio
) -> None:
    sender = WhatsAppSender.from_settings(
        twilio_settings(settings, fake, twilio_whatsapp_content_sids=SIDS)
    )
    message = OutgoingMessage(
        Channel.WHATSAPP,
        "+393330000001",
        "Promemoria",
        template="promise_reminder",
        template_variables={"1": "Bar Sport di Rossi", "2": "750,00 €", "3": " "},
    )
    try:
        with pytest.raises(SendError) as refused:
            await sender.send(message)
    finally:
        await sender.close()
    assert refused.value.outcome is SendOutcome.FALLBACK
    assert "variable 3 is empty" in refused.value.reason
    assert fake.requests == []
