"""One phone or chat for two companies (a bookkeeper): the bot asks which company a message is
about, and applies an opt-out, a claim or a plan only to the company chosen.

Driven through the real inbound path: signed Twilio webhooks for SMS and WhatsApp against a fake
Twilio, the Telegram webhook against a fake Bot API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    Message,
    PaymentClaim,
    PaymentPlan,
)
from bot.runtime import Runtime
from bot.texts import render
from bot.web import create_app
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import (
    COMPANY,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.providers.twilio.twilio_app import (
    DEBTOR_PHONE,
    SMS_FROM,
    WHATSAPP_FROM,
    TwilioStack,
    twilio_stack,
)
from tests.support.live_server import serve
from tests.support.telegram_chat import TelegramDebtor

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
CHAT = 4004
ROSSI = "Rossi Impianti S.r.l."
BIANCHI = "Bianchi Costruzioni S.p.A."


async def two_companies(channel: Channel, address: str) -> tuple[ContactPoint, ContactPoint]:
    """Two debtors whose contact points share one address, each with an overdue invoice."""
    points = []
    for ref, name, amount in (("R-1", ROSSI, 90_000), ("B-1", BIANCHI, 120_000)):
        debtor = await Debtor.create(external_ref=ref, name=name, language="it")
        await Invoice.create(
            number=f"F-{ref}",
            debtor=debtor,
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            amount_cents=amount,
        )
        points.append(
            await ContactPoint.create(
                debtor=debtor,
                channel=channel,
                address=address,
                verified_at=NOW,
                opted_in_at=NOW,  # WhatsApp is written to only with a recorded opt-in
                opt_in_source="test data",
            )
        )
    return points[0], points[1]


async def last_written_to(point: ContactPoint) -> None:
    """A reminder went to this contact point last: what the old code attributed answers to."""
    await Message.create(
        debtor_id=point.debtor_id,  # type: ignore[attr-defined]
        contact_point=point,
        direction=Direction.OUTBOUND,
        channel=point.channel,
        template="overdue_1",
        step="overdue_1",
        status="sent",
        sent_at=NOW - dt.timedelta(hours=2),
        scheduled_at=NOW - dt.timedelta(hours=2),
    )


class Phone:
    """A person writing by SMS or WhatsApp through signed webhooks; returns the bodies sent back."""

    def __init__(self, stack: TwilioStack, channel: Channel) -> None:
        self.stack = stack
        prefix = "whatsapp:" if channel is Channel.WHATSAPP else ""
        self.sender = f"{prefix}{DEBTOR_PHONE}"
        self.to = f"{prefix}{WHATSAPP_FROM if prefix else SMS_FROM}"

    async def say(self, text: str) -> list[str]:
        before = len(self.stack.fake.requests)
        response = await self.stack.inbound(
            self.stack.fake.inbound_params(self.sender, self.to, text)
        )
        assert response.status_code == 200
        sent = self.stack.fake.requests[before:]
        assert all(request["To"] == self.sender for request in sent)
        return [request["Body"] for request in sent]


def question(language: str = "it") -> str:
    return render("replies/which_debtor.txt", language, company="ACME").strip()


@pytest.fixture
async def sms(settings: Settings, db: str) -> AsyncIterator[TwilioStack]:
    async with twilio_stack(settings, NOW, company_name="ACME") as stack:
        yield stack


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
async def test_stop_asks_which_company_and_opts_out_only_the_one_chosen(
    sms: TwilioStack, channel: Channel
) -> None:
    rossi, bianchi = await two_companies(channel, DEBTOR_PHONE)
    await last_written_to(rossi)
    phone = Phone(sms, channel)

    [asked] = await phone.say("STOP")
    assert asked.startswith(question())
    assert f"1 {ROSSI}" in asked and f"2 {BIANCHI}" in asked and "3 Tutte" in asked
    # Nothing is applied before the person has chosen.
    assert await ContactPoint.filter(opted_out_at__isnull=False).count() == 0

    [confirmed] = await phone.say("2")
    assert (
        confirmed
        == render("optout/shared_opt_out.txt", "it", company="ACME", names=[BIANCHI]).strip()
    )
    assert "per Bianchi Costruzioni S.p.A. non riceverà più messaggi" in confirmed
    assert (await ContactPoint.get(id=bianchi.id)).opted_out_at == NOW
    assert (await ContactPoint.get(id=rossi.id)).opted_out_at is None


async def test_stop_for_all_companies_opts_out_every_one(sms: TwilioStack) -> None:
    await two_companies(Channel.SMS, DEBTOR_PHONE)
    phone = Phone(sms, Channel.SMS)
    await phone.say("stop")
    [confirmed] = await phone.say("3")
    assert f"per {ROSSI} e {BIANCHI} non riceverà più messaggi" in confirmed
    assert await ContactPoint.filter(opted_out_at__isnull=True).count() == 0


async def test_in_english_for_english_speaking_companies(sms: TwilioStack) -> None:
    rossi, bianchi = await two_companies(Channel.SMS, DEBTOR_PHONE)
    await Debtor.all().update(language="en")
    phone = Phone(sms, Channel.SMS)
    [asked] = await phone.say("STOP")
    assert asked.startswith(
        "ACME: this contact belongs to more than one company. Which one is your message about?"
    )
    assert f"1 {ROSSI}, 2 {BIANCHI}, 3 All of them" in asked
    [confirmed] = await phone.say("1")
    assert confirmed == (
        f"ACME: for {ROSSI} you will receive no more messages on this number. "
        "Reply START to receive them again."
    )
    assert (await ContactPoint.get(id=rossi.id)).opted_out_at == NOW
    assert (await ContactPoint.get(id=bianchi.id)).opted_out_at is None


async def test_already_paid_by_sms_is_claimed_for_the_company_chosen(sms: TwilioStack) -> None:
    rossi, bianchi = await two_companies(Channel.SMS, DEBTOR_PHONE)
    await last_written_to(rossi)
    phone = Phone(sms, Channel.SMS)

    [asked] = await phone.say("ho gia pagato")
    assert asked.startswith(question()) and "Tutte" not in asked
    # Bianchi: the original message now goes on for Bianchi, asking the day it was paid.
    [asked_date] = await phone.say("2")
    assert asked_date.startswith(render("flows/already_paid/ask_date.txt", "it").strip()[:40])
    for text in ("oggi", "nessuna ricevuta"):
        await phone.say(text)  # the conversation carries on with Bianchi, no new question
    claim = await PaymentClaim.get(debtor_id=bianchi.debtor_id)  # type: ignore[attr-defined]
    assert claim.paid_on is not None
    assert await PaymentClaim.filter(debtor_id=rossi.debtor_id).count() == 0  # type: ignore[attr-defined]
    assert (await Debtor.get(id=rossi.debtor_id)).paused_until is None  # type: ignore[attr-defined]
    original = await Message.get(direction=Direction.INBOUND, body="ho gia pagato")
    assert original.debtor_id == bianchi.debtor_id  # type: ignore[attr-defined]


async def test_a_plan_request_on_whatsapp_goes_to_the_company_typed_by_name(
    sms: TwilioStack,
) -> None:
    rossi, bianchi = await two_companies(Channel.WHATSAPP, DEBTOR_PHONE)
    await last_written_to(bianchi)
    phone = Phone(sms, Channel.WHATSAPP)

    [asked] = await phone.say("paga a rate")
    assert asked.startswith(question())
    assert f"1 {ROSSI}\n2 {BIANCHI}" in asked  # WhatsApp's numbered list, one per line
    [choose] = await phone.say("rossi impianti s.r.l.")
    assert "900,00" in choose  # Rossi's balance, not Bianchi's 1.200,00
    [confirm] = await phone.say("3 rate")
    assert "300,00" in confirm
    await phone.say("si, confermo")
    plan = await PaymentPlan.get(debtor_id=rossi.debtor_id)  # type: ignore[attr-defined]
    assert plan.total_cents == 90_000 and plan.instalment_count == 3
    assert await PaymentPlan.filter(debtor_id=bianchi.debtor_id).count() == 0  # type: ignore[attr-defined]


async def test_a_new_question_after_a_reminder(sms: TwilioStack) -> None:
    """Once a reminder is written to the address again, the next answer asks again."""
    _, bianchi = await two_companies(Channel.SMS, DEBTOR_PHONE)
    phone = Phone(sms, Channel.SMS)
    await phone.say("menu")
    await phone.say("1")
    await last_written_to(bianchi)
    [asked] = await phone.say("menu")
    assert asked.startswith(question())


# --- Telegram --------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def telegram_url(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[str]:
    runtime: Runtime
    async with (
        live_runtime(telegram_settings(settings, fake), NOW) as runtime,
        serve(create_app(runtime)) as url,
    ):
        yield url


async def test_telegram_asks_with_buttons_and_the_choice_takes_the_opt_out(
    telegram_url: str, fake: FakeTelegram
) -> None:
    rossi, bianchi = await two_companies(Channel.TELEGRAM, str(CHAT))
    await last_written_to(bianchi)
    chat = TelegramDebtor(telegram_url, fake, CHAT)

    [asked] = await chat.say("non voglio più ricevere messaggi")
    assert asked == render("replies/which_debtor.txt", "it", company=COMPANY).strip()
    assert chat.last_buttons() == [f"who:{rossi.debtor_id}", f"who:{bianchi.debtor_id}"]  # type: ignore[attr-defined]

    [confirm] = await chat.press(f"who:{rossi.debtor_id}")  # type: ignore[attr-defined]
    assert confirm == render("flows/stop/confirm.txt", "it").strip()
    await chat.press("yes")
    assert (await ContactPoint.get(id=rossi.id)).opted_out_at == NOW
    assert (await ContactPoint.get(id=bianchi.id)).opted_out_at is None


async def test_one_company_per_address_is_not_asked(sms: TwilioStack) -> None:
    """The ordinary case is unchanged: an address of one debtor answers at once."""
    rossi, _ = await two_companies(Channel.SMS, DEBTOR_PHONE)
    rossi.address = "+393339990000"  # Rossi moves to a number of its own
    await rossi.save(update_fields=["address"])
    phone = Phone(sms, Channel.SMS)
    [answer] = await phone.say("menu")
    assert question() not in answer
