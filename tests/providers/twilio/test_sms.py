"""SMS through the real twilio client against a fake Twilio, and Twilio's webhooks with real
signatures posted over HTTP to the app."""

from __future__ import annotations

import pytest

from bot.channels.base import Attachment, Option, OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.conversations.replies import Reply
from bot.flows.vocabulary import Keyword, match_keyword
from bot.inbound import find_contact_point
from bot.models import Channel, ContactPoint, Direction, Message, MessageStatus
from bot.providers.twilio.client import TwilioMessaging
from bot.providers.twilio.sms import SmsSender, sms_body, sms_over_budget
from bot.providers.twilio.webhook import EMPTY_TWIML
from bot.reply_sending import send_reply
from bot.texts import render
from tests.providers.twilio.fake_twilio import FakeTwilio
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM, debtor_with, twilio_stack

pytestmark = pytest.mark.usefixtures("db")

OPTIONS = (Option("pay", "Paga ora"), Option("plan", "Rate"), Option("talk", "Operatore"))


async def test_signed_inbound_sms_gets_a_reply_sms(settings: Settings) -> None:
    point = await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        response = await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "Ciao"))

        assert response.status_code == 200
        assert response.text == EMPTY_TWIML
        assert response.headers["content-type"].startswith("text/xml")
        [sent] = stack.fake.requests
        assert sent["To"] == DEBTOR_PHONE
        assert sent["From"] == SMS_FROM
        # "Ciao" is a greeting: who writes and why, in one line, then the numbered options.
        who = render("flows/words/who.txt", "it", company=settings.company_name)
        assert sent["Body"].startswith(who.strip())
        assert sent["StatusCallback"] == "https://sollecito.example/twilio/status"

    inbound = await Message.get(direction=Direction.INBOUND)
    assert inbound.body == "Ciao"
    assert inbound.channel is Channel.SMS
    assert inbound.debtor_id == point.debtor.id  # type: ignore[attr-defined]
    assert inbound.status is MessageStatus.HANDLED
    reply = await Message.get(direction=Direction.OUTBOUND)
    assert reply.provider_id and reply.provider_id.startswith("SM")
    assert reply.status is MessageStatus.SENT
    await point.refresh_from_db()
    assert point.last_inbound_at is not None


async def test_unknown_number_gets_a_reply_that_reveals_nothing(settings: Settings) -> None:
    async with twilio_stack(settings) as stack:
        await stack.inbound(stack.fake.inbound_params("+393339999999", SMS_FROM, "Chi siete?"))
        [sent] = stack.fake.requests
    assert sent["To"] == "+393339999999"
    assert sent["Body"] == render("replies/unknown_sender.txt", "it", company=settings.company_name)


@pytest.mark.parametrize("signature", ["forged-signature", ""])
async def test_forged_or_missing_signature_gets_403_and_changes_nothing(
    settings: Settings, signature: str
) -> None:
    await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "STOP")
        response = await stack.inbound(params, signature=signature)
        assert response.status_code == 403
        status = await stack.status(
            stack.fake.status_params("SMx", "delivered"), signature=signature
        )
        assert status.status_code == 403
        assert stack.fake.requests == []
    assert await Message.all().count() == 0
    assert (await ContactPoint.get()).opted_out_at is None


async def test_signature_for_another_url_is_rejected(settings: Settings) -> None:
    """A signature is bound to the public URL: one made for the app's own address fails."""
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "Ciao")
        wrong = stack.fake.signature(stack.app_url + "/twilio/inbound", params)
        response = await stack.inbound(params, signature=wrong)
    assert response.status_code == 403
    assert await Message.all().count() == 0


async def test_retried_delivery_is_handled_once(settings: Settings) -> None:
    await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(
            DEBTOR_PHONE, SMS_FROM, "Ciao", message_sid="SM" + "a" * 32
        )
        first = await stack.inbound(params)
        second = await stack.inbound(params)
        assert (first.status_code, second.status_code) == (200, 200)
        assert len(stack.fake.requests) == 1
    assert await Message.filter(direction=Direction.INBOUND).count() == 1


async def test_stop_then_start(settings: Settings) -> None:
    point = await debtor_with(Channel.SMS)
    company = settings.company_name
    async with twilio_stack(settings) as stack:
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "Stop"))
        await point.refresh_from_db()
        assert point.opted_out_at is not None
        assert not point.reachable
        assert stack.fake.requests[-1]["Body"] == render(
            "optout/opt_out.txt", "it", company=company
        )

        # "sì" is an everyday answer, but from an opted-out number it means "opt me back in".
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "Sì"))
        await point.refresh_from_db()
        assert point.opted_out_at is None
        assert point.opted_in_at is not None
        assert stack.fake.requests[-1]["Body"] == render("optout/opt_in.txt", "it", company=company)

        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "ARRÈSTA"))
        await point.refresh_from_db()
        assert point.opted_out_at is not None

        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, " start! "))
        await point.refresh_from_db()
        assert point.reachable
        assert len(stack.fake.requests) == 4
    inbound = await Message.filter(direction=Direction.INBOUND).order_by("id")
    assert [m.body for m in inbound] == ["Stop", "Sì", "ARRÈSTA", " start! "]
    assert all(m.status is MessageStatus.HANDLED for m in inbound)


async def test_help_gets_the_help_text_in_the_debtors_language(settings: Settings) -> None:
    await debtor_with(Channel.SMS, language="en")
    async with twilio_stack(settings, smtp_reply_to="crediti@example.it") as stack:
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, "aiuto"))
        [sent] = stack.fake.requests
    expected = render(
        "optout/help.txt", "en", company=settings.company_name, reply_to="crediti@example.it"
    )
    assert sent["Body"] == expected
    assert "crediti@example.it" in expected
    assert (await ContactPoint.get()).reachable


def test_keywords_match_whole_messages_only() -> None:
    assert match_keyword("STOPALL", opted_out=False).keyword is Keyword.OPT_OUT  # type: ignore[union-attr]
    assert match_keyword("Cancellà", opted_out=False).keyword is Keyword.OPT_OUT  # type: ignore[union-attr]
    assert match_keyword("unstop", opted_out=True).keyword is Keyword.OPT_IN  # type: ignore[union-attr]
    assert match_keyword("INFO", opted_out=False).keyword is Keyword.HELP  # type: ignore[union-attr]
    assert match_keyword("please stop writing", opted_out=False) is None
    assert match_keyword("yes", opted_out=False) is None  # an answer, not an opt-in
    assert match_keyword("yes", opted_out=True).keyword is Keyword.OPT_IN  # type: ignore[union-attr]
    found = match_keyword("basta", opted_out=False)
    assert found is not None and found.language == "it"


async def test_stop_from_unknown_number_is_confirmed_and_recorded_nowhere(
    settings: Settings,
) -> None:
    async with twilio_stack(settings) as stack:
        await stack.inbound(stack.fake.inbound_params("+393330000000", SMS_FROM, "STOP"))
        [sent] = stack.fake.requests
    assert sent["Body"] == render("optout/opt_out.txt", "it", company=settings.company_name)
    assert await Message.filter(direction=Direction.INBOUND).count() == 1


async def test_status_callbacks_move_delivery_forward_only(settings: Settings) -> None:
    point = await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        sender = stack.runtime.sender(Channel.SMS)
        sid = await sender.send(OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Promemoria"))
        row = await Message.create(
            direction=Direction.OUTBOUND,
            channel=Channel.SMS,
            contact_point=point,
            debtor_id=point.debtor.id,  # type: ignore[attr-defined]
            status=MessageStatus.SENT,
            provider_id=sid,
        )
        for status in ("queued", "sent", "delivered", "sent"):  # the late "sent" comes last
            response = await stack.status(stack.fake.status_params(sid, status))
            assert response.status_code == 204
        await row.refresh_from_db()
        assert row.status is MessageStatus.DELIVERED

        response = await stack.status(stack.fake.status_params("SMunknown", "delivered"))
        assert response.status_code == 204


async def test_undelivered_callback_stores_the_error_and_marks_a_dead_number(
    settings: Settings,
) -> None:
    point = await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        row = await Message.create(
            direction=Direction.OUTBOUND,
            channel=Channel.SMS,
            contact_point=point,
            status=MessageStatus.SENT,
            provider_id="SM" + "b" * 32,
        )
        await stack.status(stack.fake.status_params(row.provider_id, "sent"))
        await stack.status(stack.fake.status_params(row.provider_id, "failed", "30005"))
    await row.refresh_from_db()
    assert row.status is MessageStatus.UNDELIVERED
    assert "30005" in row.last_error
    await point.refresh_from_db()
    assert point.unreachable_at is not None and "30005" in point.unreachable_reason


async def test_options_become_a_reply_line_and_a_bare_number_picks_one(settings: Settings) -> None:
    point = await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        sender = stack.runtime.sender(Channel.SMS)
        message = OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Fattura scaduta.", options=OPTIONS)
        sid = await sender.send(message)
        assert stack.fake.requests[-1]["Body"] == (
            "Fattura scaduta.\n\nRisponda 1 Paga ora, 2 Rate, 3 Operatore"
        )
        english = OutgoingMessage(
            Channel.SMS, DEBTOR_PHONE, "Overdue.", options=OPTIONS[:2], language="en"
        )
        await sender.send(english)
        assert stack.fake.requests[-1]["Body"] == "Overdue.\n\nReply 1 Paga ora, 2 Rate"

        await Message.create(
            direction=Direction.OUTBOUND,
            channel=Channel.SMS,
            contact_point=point,
            status=MessageStatus.SENT,
            provider_id=sid,
            options=[{"key": o.key, "label": o.label} for o in OPTIONS],
        )
        await stack.inbound(stack.fake.inbound_params(DEBTOR_PHONE, SMS_FROM, " 2 "))
    inbound = await Message.get(direction=Direction.INBOUND)
    assert inbound.chosen_option == "plan"


@pytest.mark.parametrize(
    ("code", "outcome", "opted_out", "unreachable"),
    [
        (21610, SendOutcome.UNREACHABLE, True, False),
        (21211, SendOutcome.UNREACHABLE, False, True),
        (21614, SendOutcome.UNREACHABLE, False, True),
        (20429, SendOutcome.RETRY, False, False),
        (20500, SendOutcome.RETRY, False, False),
        (20503, SendOutcome.RETRY, False, False),
    ],
)
async def test_twilio_errors_map_to_outcomes(
    settings: Settings, code: int, outcome: SendOutcome, opted_out: bool, unreachable: bool
) -> None:
    point = await debtor_with(Channel.SMS)
    async with twilio_stack(settings) as stack:
        stack.fake.fail_next(code)
        with pytest.raises(SendError) as caught:
            await stack.runtime.sender(Channel.SMS).send(
                OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Promemoria")
            )
        assert [r["code"] for r in stack.fake.refused] == [code]
    assert caught.value.outcome is outcome
    assert str(code) in caught.value.reason
    await point.refresh_from_db()
    assert (point.opted_out_at is not None) is opted_out
    assert (point.unreachable_at is not None) is unreachable


async def test_network_failure_is_retried_later(settings: Settings) -> None:
    fake = await FakeTwilio().start()
    base_url = fake.base_url
    await fake.stop()  # nothing listens there any more
    twilio = TwilioMessaging(fake.account_sid, fake.auth_token, base_url, "")
    sender = SmsSender(twilio=twilio, from_number=SMS_FROM)
    try:
        with pytest.raises(SendError) as caught:
            await sender.send(OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Promemoria"))
    finally:
        await sender.close()
    assert caught.value.outcome is SendOutcome.RETRY


async def test_attachments_ask_for_another_channel(settings: Settings) -> None:
    async with twilio_stack(settings) as stack:
        qr = Attachment("qr.png", b"\x89PNG", "image/png")
        with pytest.raises(SendError) as caught:
            await stack.runtime.sender(Channel.SMS).send(
                OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Bonifico", attachments=(qr,))
            )
        assert stack.fake.requests == []
    assert caught.value.outcome is SendOutcome.FALLBACK


def test_budget_check_counts_the_sms_as_sent_options_included() -> None:
    text = "a" * 280
    assert sms_over_budget(OutgoingMessage(Channel.SMS, DEBTOR_PHONE, text), 2) is None
    with_options = OutgoingMessage(Channel.SMS, DEBTOR_PHONE, text, options=OPTIONS)
    found = sms_over_budget(with_options, 2)
    assert found is not None and found.segments == 3
    assert sms_body(with_options).endswith("Risponda 1 Paga ora, 2 Rate, 3 Operatore")


async def test_wrong_credentials_ask_for_another_channel(settings: Settings) -> None:
    async with twilio_stack(settings) as stack:
        twilio = TwilioMessaging(stack.fake.account_sid, "wrong-token", stack.fake.base_url, "")
        sender = SmsSender(twilio=twilio, from_number=SMS_FROM)
        try:
            with pytest.raises(SendError) as caught:
                await sender.send(OutgoingMessage(Channel.SMS, DEBTOR_PHONE, "Promemoria"))
        finally:
            await sender.close()
        assert stack.fake.requests == []
    assert caught.value.outcome is SendOutcome.FALLBACK
    assert "20003" in caught.value.reason


async def test_conversation_replies_number_their_options_in_the_debtors_language(
    settings: Settings,
) -> None:
    await debtor_with(Channel.SMS, language="en")
    point = await find_contact_point(Channel.SMS, DEBTOR_PHONE)  # as receive() finds it
    async with twilio_stack(settings) as stack:
        answer = Reply(text="How would you like to pay?", options=OPTIONS[:2])
        await send_reply(stack.runtime, Channel.SMS, DEBTOR_PHONE, point, answer)
        [sent] = stack.fake.requests
    assert sent["Body"] == "How would you like to pay?\n\nReply 1 Paga ora, 2 Rate"
