"""WhatsApp through the real twilio client against a fake Twilio: the 24-hour window, approved
templates by Content SID, error 63016, and inbound WhatsApp messages with buttons and media."""

from __future__ import annotations

import json

import pytest

from bot.channels.base import Option, OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel, Direction, Message, MessageStatus
from bot.providers.twilio.whatsapp import WhatsAppSender, template_keys
from bot.texts import render
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, WHATSAPP_FROM, debtor_with, twilio_stack

pytestmark = pytest.mark.usefixtures("db")

CONTENT_SID = "HX" + "1" * 32
SIDS = {"overdue_1": CONTENT_SID}
VARIABLES = {"1": "Rossi Impianti S.r.l.", "2": "1.234,56 €"}
OPTIONS = (Option("pay", "Paga ora"), Option("plan", "Chiedi un piano di rate"))


def reminder(
    *, session_open: bool, template: str = "reminders/overdue_1.whatsapp.txt"
) -> OutgoingMessage:
    return OutgoingMessage(
        Channel.WHATSAPP,
        DEBTOR_PHONE,
        "La fattura FT-12 è scaduta.",
        options=OPTIONS,
        template=template,
        template_variables=VARIABLES,
        session_open=session_open,
    )


async def test_inside_the_window_free_text_with_numbered_choices(settings: Settings) -> None:
    async with twilio_stack(settings, twilio_whatsapp_content_sids=SIDS) as stack:
        sid = await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=True))
        [sent] = stack.fake.requests
    assert sid.startswith("SM")
    assert sent["To"] == f"whatsapp:{DEBTOR_PHONE}"
    assert sent["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert sent["Body"] == (
        "La fattura FT-12 è scaduta.\n\n"
        "Risponda con il numero:\n1 Paga ora\n2 Chiedi un piano di rate"
    )
    assert "ContentSid" not in sent
    assert sent["StatusCallback"] == "https://sollecito.example/twilio/status"


async def test_outside_the_window_the_approved_template_is_sent(settings: Settings) -> None:
    async with twilio_stack(settings, twilio_whatsapp_content_sids=SIDS) as stack:
        await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=False))
        [sent] = stack.fake.requests
    assert sent["ContentSid"] == CONTENT_SID
    assert json.loads(sent["ContentVariables"]) == VARIABLES
    assert "Body" not in sent


async def test_outside_the_window_without_template_falls_back(settings: Settings) -> None:
    async with twilio_stack(settings) as stack:
        with pytest.raises(SendError) as caught:
            await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=False))
        assert stack.fake.requests == []
    assert caught.value.outcome is SendOutcome.FALLBACK
    assert "TWILIO_WHATSAPP_CONTENT_SIDS" in caught.value.reason


async def test_63016_takes_the_template_path(settings: Settings) -> None:
    async with twilio_stack(settings, twilio_whatsapp_content_sids=SIDS) as stack:
        stack.fake.fail_next(63016)
        await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=True))
        [refused] = stack.fake.refused
        [sent] = stack.fake.requests
    assert refused["code"] == 63016 and "Body" in refused
    assert sent["ContentSid"] == CONTENT_SID


async def test_63016_without_template_falls_back(settings: Settings) -> None:
    point = await debtor_with(Channel.WHATSAPP)
    async with twilio_stack(settings) as stack:
        stack.fake.fail_next(63016)
        with pytest.raises(SendError) as caught:
            await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=True))
        assert stack.fake.requests == []
    assert caught.value.outcome is SendOutcome.FALLBACK
    await point.refresh_from_db()
    assert point.reachable  # a closed window says nothing about the number


async def test_unsubscribed_whatsapp_number_is_recorded_on_its_contact_point(
    settings: Settings,
) -> None:
    point = await debtor_with(Channel.WHATSAPP)
    sms = await debtor_with(Channel.SMS, ref="D-002")
    async with twilio_stack(settings) as stack:
        stack.fake.fail_next(21610)
        with pytest.raises(SendError) as caught:
            await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=True))
    assert caught.value.outcome is SendOutcome.UNREACHABLE
    await point.refresh_from_db()
    await sms.refresh_from_db()
    assert point.opted_out_at is not None
    assert sms.opted_out_at is None  # the SMS consent of the same number is its own


def test_content_sids_are_found_by_template_name() -> None:
    assert template_keys("reminders/overdue_1.whatsapp.txt") == [
        "reminders/overdue_1.whatsapp.txt",
        "reminders/overdue_1",
        "overdue_1",
    ]
    sender = WhatsAppSender(twilio=None, from_number="whatsapp:+39", content_sids=SIDS)  # type: ignore[arg-type]
    assert sender.content_sid_for("overdue_1") == CONTENT_SID
    assert sender.content_sid_for("reminders/overdue_1.whatsapp.txt") == CONTENT_SID
    assert sender.content_sid_for("overdue_2") is None


async def test_inbound_whatsapp_text_is_answered_on_whatsapp(settings: Settings) -> None:
    point = await debtor_with(Channel.WHATSAPP, language="en")
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}", f"whatsapp:{WHATSAPP_FROM}", "Hello", ProfileName="Mario"
        )
        response = await stack.inbound(params)
        assert response.status_code == 200
        [sent] = stack.fake.requests
    assert sent["To"] == f"whatsapp:{DEBTOR_PHONE}"
    assert sent["From"] == f"whatsapp:{WHATSAPP_FROM}"
    # "Hello" is a greeting: who writes and why, in one line, then the numbered options.
    who = render("flows/words/who.txt", "en", company=settings.company_name)
    assert sent["Body"].startswith(who.strip())
    inbound = await Message.get(direction=Direction.INBOUND)
    assert inbound.channel is Channel.WHATSAPP
    assert inbound.debtor_id == point.debtor.id  # type: ignore[attr-defined]
    await point.refresh_from_db()
    assert point.last_inbound_at is not None  # the 24-hour window is open now


async def test_inbound_button_and_media_are_normalised(settings: Settings) -> None:
    await debtor_with(Channel.WHATSAPP)
    async with twilio_stack(settings) as stack:
        button = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}",
            f"whatsapp:{WHATSAPP_FROM}",
            "",
            ButtonPayload="plan",
            ButtonText="Chiedi un piano di rate",
        )
        await stack.inbound(button)
        media_url = f"{stack.fake.base_url}/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"
        photo = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}",
            f"whatsapp:{WHATSAPP_FROM}",
            "Ecco la ricevuta",
            NumMedia="1",
            MediaUrl0=media_url,
            MediaContentType0="image/jpeg",
        )
        await stack.inbound(photo)
    first, second = await Message.filter(direction=Direction.INBOUND).order_by("id")
    assert first.chosen_option == "plan"
    assert first.body == "Chiedi un piano di rate"
    assert second.body == "Ecco la ricevuta"
    assert second.attachments == [{"url": media_url, "mime_type": "image/jpeg"}]


async def test_read_receipt_updates_delivery(settings: Settings) -> None:
    point = await debtor_with(Channel.WHATSAPP)
    async with twilio_stack(settings, twilio_whatsapp_content_sids=SIDS) as stack:
        sid = await stack.runtime.sender(Channel.WHATSAPP).send(reminder(session_open=False))
        row = await Message.create(
            direction=Direction.OUTBOUND,
            channel=Channel.WHATSAPP,
            contact_point=point,
            status=MessageStatus.SENT,
            provider_id=sid,
        )
        for status in ("sent", "read", "delivered"):  # WhatsApp's "delivered" can arrive late
            await stack.status(stack.fake.status_params(sid, status))
    await row.refresh_from_db()
    assert row.status is MessageStatus.READ
