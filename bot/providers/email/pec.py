"""The company's PEC mailbox (posta elettronica certificata) as part of the e-mail channel.

A PEC mailbox is SMTP with authentication, usually over implicit TLS on port 465 (PEC_SMTP_*).
Only a message sent from it to a PEC address gets the provider's receipts (accettazione,
avvenuta consegna), the legal proof of delivery of a formal notice. So the e-mail channel's
sender becomes a pair when PEC_SMTP_HOST and PEC_SMTP_FROM are set: a message marked
`certified` (a formal notice to a PEC address, scheduler/debtor_message.py) goes from the PEC
mailbox, everything else from the ordinary one as before. Without a PEC mailbox a formal notice
to a PEC address goes through the ordinary SMTP settings, and staff are told it carries no legal
proof of delivery (docs/notice.md). The Message-ID is built the same way in both (the outbox
row's delivery key), and it is the provider id the PEC receipts are matched by.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.base import OutgoingMessage, Sender
from bot.config import Settings
from bot.models import Channel
from bot.providers.email.sender import EmailSender


def pec_sender(settings: Settings) -> EmailSender:
    return EmailSender(
        host=settings.pec_smtp_host,
        port=settings.pec_smtp_port,
        from_address=settings.pec_smtp_from,
        username=settings.pec_smtp_user,
        password=settings.pec_smtp_password,
        reply_to=settings.smtp_reply_to,
        security=settings.pec_smtp_security,
        company=settings.company_name,
        default_language=settings.default_language,
    )


@dataclass
class WithPec:
    """The e-mail channel's sender: certified messages from the PEC mailbox, the others from
    the ordinary sender (live or sandbox)."""

    ordinary: Sender
    pec: Sender
    channel: Channel = Channel.EMAIL

    async def send(self, message: OutgoingMessage) -> str:
        sender = self.pec if message.certified else self.ordinary
        return await sender.send(message)

    async def close(self) -> None:
        await self.ordinary.close()
        await self.pec.close()


def with_pec(settings: Settings, ordinary: Sender) -> WithPec:
    return WithPec(ordinary=ordinary, pec=pec_sender(settings))
