"""E-mail through aiosmtplib to a real SMTP server (aiosmtpd) on 127.0.0.1, and the PEC choice."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.channels.base import Attachment, Option, OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel, ContactPoint, Debtor
from bot.providers.email.sender import EmailSender, choose_email_contact
from bot.texts import render

DEBTOR_EMAIL = "amministrazione@rossi.example.it"
OPTIONS = (Option("pay", "Paga ora"), Option("plan", "Chiedi un piano di rate"))


class RecordingHandler:
    """Accepts mail and keeps it; refuses the recipients or data it is told to."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.refuse_recipient: dict[str, str] = {}
        self.data_reply = "250 Message accepted for delivery"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse_recipient:
            return self.refuse_recipient[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.data_reply.startswith("250"):
            return self.data_reply
        self.envelopes.append(envelope)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return self.data_reply


class LocalController(Controller):
    """aiosmtpd's Controller on 127.0.0.1 and a free port: bound to port 0, read back once up."""

    def __init__(self, handler: RecordingHandler) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        super()._trigger_server()


@pytest.fixture
def smtp() -> Iterator[LocalController]:
    controller = LocalController(RecordingHandler())
    controller.start()
    yield controller
    controller.stop()


def sender_for(settings: Settings, port: int, **extra: Any) -> EmailSender:
    live = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "Solleciti Demo <solleciti@demo.example.it>",
            "smtp_reply_to": "crediti@demo.example.it",
            "smtp_security": "none",
            **extra,
        }
    )
    return EmailSender.from_settings(live)


def handler_of(smtp: LocalController) -> RecordingHandler:
    return smtp.handler  # type: ignore[no-any-return]


async def test_multipart_alternative_with_reply_to(
    settings: Settings, smtp: LocalController
) -> None:
    sender = sender_for(settings, smtp.port)
    text = "Gentile cliente,\nla fattura <FT-12> di Rossi & Figli è scaduta.\n\nCordiali saluti"
    message_id = await sender.send(
        OutgoingMessage(
            Channel.EMAIL, DEBTOR_EMAIL, text, options=OPTIONS, subject="Fattura FT-12 scaduta"
        )
    )

    [received] = handler_of(smtp).received
    [envelope] = handler_of(smtp).envelopes
    assert envelope.rcpt_tos == [DEBTOR_EMAIL]
    assert envelope.mail_from == "solleciti@demo.example.it"
    assert received["Message-ID"] == message_id
    assert message_id.endswith("@demo.example.it>")
    assert received["Reply-To"] == "crediti@demo.example.it"
    assert received["Subject"] == "Fattura FT-12 scaduta"
    assert received["To"] == DEBTOR_EMAIL
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    expected_plain = render(
        "email/layout.txt", "it", body=text, options=list(OPTIONS), company=settings.company_name
    )
    assert plain.get_content().replace("\r\n", "\n").strip() == expected_plain
    assert settings.company_name in expected_plain
    body = html.get_content()
    assert "la fattura &lt;FT-12&gt; di Rossi &amp; Figli è scaduta." in body  # autoescaped
    assert "<p>Gentile cliente,<br>la fattura" in body
    assert "<FT-12>" not in body
    # Issue 14, item 9: no e-mail is read by the product, so none invites a reply: the options
    # are not listed as "reply with the number" (the text itself says how to answer).
    for part in (plain.get_content(), body):
        assert "rispondere a questa e-mail" not in part.lower()
        assert "Chiedi un piano di rate" not in part and "1. Paga ora" not in part


async def test_html_from_a_template_is_used_as_is_and_attachments_travel(
    settings: Settings, smtp: LocalController
) -> None:
    sender = sender_for(settings, smtp.port)
    pdf = Attachment("FT-12.pdf", b"%PDF-1.4 fake", "application/pdf")
    await sender.send(
        OutgoingMessage(
            Channel.EMAIL,
            DEBTOR_EMAIL,
            "Reminder",
            html="<p><strong>Reminder</strong></p>",
            attachments=(pdf,),
            language="en",
        )
    )
    [received] = handler_of(smtp).received
    assert received.get_content_type() == "multipart/mixed"
    html = received.get_body(preferencelist=("html",))
    assert html is not None and "<p><strong>Reminder</strong></p>" in html.get_content()
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "FT-12.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake"
    expected_subject = render("email/default_subject.txt", "en", company=settings.company_name)
    assert received["Subject"] == expected_subject


async def test_refused_recipient_is_unreachable(
    settings: Settings, smtp: LocalController, db: str
) -> None:
    debtor = await Debtor.create(external_ref="D-1", name="Rossi")
    point = await ContactPoint.create(debtor=debtor, channel=Channel.EMAIL, address=DEBTOR_EMAIL)
    handler_of(smtp).refuse_recipient[DEBTOR_EMAIL] = "550 5.1.1 No such user"
    with pytest.raises(SendError) as caught:
        await sender_for(settings, smtp.port).send(
            OutgoingMessage(Channel.EMAIL, DEBTOR_EMAIL, "Promemoria")
        )
    assert caught.value.outcome is SendOutcome.UNREACHABLE
    await point.refresh_from_db()
    assert point.unreachable_at is not None and "550" in point.unreachable_reason


@pytest.mark.parametrize(
    ("rcpt_reply", "data_reply", "outcome"),
    [
        ("451 4.3.0 Try again later", "", SendOutcome.RETRY),
        ("", "451 4.3.0 Local problem", SendOutcome.RETRY),
        ("", "554 5.7.1 Message rejected as spam", SendOutcome.FALLBACK),
    ],
)
async def test_smtp_replies_map_to_outcomes(
    settings: Settings,
    smtp: LocalController,
    db: str,
    rcpt_reply: str,
    data_reply: str,
    outcome: SendOutcome,
) -> None:
    handler = handler_of(smtp)
    if rcpt_reply:
        handler.refuse_recipient[DEBTOR_EMAIL] = rcpt_reply
    if data_reply:
        handler.data_reply = data_reply
    with pytest.raises(SendError) as caught:
        await sender_for(settings, smtp.port).send(
            OutgoingMessage(Channel.EMAIL, DEBTOR_EMAIL, "Promemoria")
        )
    assert caught.value.outcome is outcome


async def test_no_server_means_retry(settings: Settings) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SendError) as caught:
        await sender_for(settings, port).send(
            OutgoingMessage(Channel.EMAIL, DEBTOR_EMAIL, "Promemoria")
        )
    assert caught.value.outcome is SendOutcome.RETRY


async def test_starttls_required_but_not_offered_asks_for_another_channel(
    settings: Settings, smtp: LocalController
) -> None:
    with pytest.raises(SendError) as caught:
        await sender_for(settings, smtp.port, smtp_security="starttls").send(
            OutgoingMessage(Channel.EMAIL, DEBTOR_EMAIL, "Promemoria")
        )
    assert caught.value.outcome is SendOutcome.FALLBACK
    assert handler_of(smtp).received == []


async def test_pec_is_chosen_for_formal_notices_only(db: str) -> None:
    debtor = await Debtor.create(external_ref="D-2", name="Bianchi")

    async def point(address: str, *, pec: bool = False, priority: int = 0) -> ContactPoint:
        return await ContactPoint.create(
            debtor=debtor, channel=Channel.EMAIL, address=address, is_pec=pec, priority=priority
        )

    ordinary = await point("info@bianchi.example.it", priority=1)
    preferred = await point("amministrazione@bianchi.example.it", priority=0)
    pec = await point("bianchi@pec.example.it", pec=True)
    phone = await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331234567")
    points = await ContactPoint.filter(debtor=debtor)

    assert choose_email_contact(points, formal=True) == pec
    assert choose_email_contact(points, formal=False) == preferred

    preferred.unreachable_at = pec.created_at
    await preferred.save()
    points = await ContactPoint.filter(debtor=debtor)
    assert choose_email_contact(points, formal=False) == ordinary

    only_pec = [p for p in points if p.is_pec or p.channel is Channel.SMS]
    assert choose_email_contact(only_pec, formal=False) == pec  # the other kind as fallback
    no_pec = [p for p in points if not p.is_pec]
    assert choose_email_contact(no_pec, formal=True) == ordinary
    assert choose_email_contact([phone], formal=True) is None


async def test_a_resend_after_a_crash_carries_the_same_message_id(
    db: str, settings: Settings, smtp: LocalController
) -> None:
    """The at-least-once window on e-mail: the server took the message, the worker died before
    recording it, the next worker sends it again -- recognisably the same message."""
    import asyncio
    import datetime as dt

    from bot.models import Message, MessageStatus
    from scheduler.cadence import plan
    from scheduler.dispatch import DispatchConfig, Dispatcher
    from scheduler.outbox_record import DispatchOutcome
    from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
    clock = FrozenClock(now)
    real = sender_for(settings, smtp.port)

    class DiesAfterSending:
        channel = Channel.EMAIL

        async def send(self, message: OutgoingMessage) -> str:
            await real.send(message)
            raise asyncio.CancelledError  # killed before the row is recorded

        async def close(self) -> None:
            return None

    runtime = make_runtime(settings, clock, {Channel.EMAIL: DiesAfterSending()})  # type: ignore[dict-item]
    debtor = await make_debtor(channels=(Channel.EMAIL,))
    await make_invoice(debtor, now.date() - dt.timedelta(days=8))
    await plan(runtime)
    with pytest.raises(asyncio.CancelledError):
        await Dispatcher(runtime, DispatchConfig()).run_once()
    runtime.senders[Channel.EMAIL] = real
    clock.advance(minutes=6)  # the dead worker's lease has run out
    assert await Dispatcher(runtime, DispatchConfig()).drain() == {DispatchOutcome.SENT: 1}

    first, second = handler_of(smtp).received
    assert first["Message-ID"] == second["Message-ID"]
    # A keyed digest of the row: stable, and no row ids given away.
    assert re.fullmatch(r"<[0-9a-f]{32}\.sollecito@demo\.example\.it>", first["Message-ID"])
    row = await Message.get(audience="debtor")
    assert row.status is MessageStatus.SENT and row.provider_id == first["Message-ID"]
