"""E-mail sending over SMTP (aiosmtplib): plain text with an HTML alternative, both from templates.

The message text (and, when the caller rendered one, its HTML) is wrapped in the e-mail layout
templates (templates/<lang>/email/layout.txt and layout.html, the latter autoescaped). The product
reads no inbound e-mail, so no e-mail invites a reply: reply options are not listed, and the
message itself points to the chat links and the company's phone (reminders/_answer.txt,
bot/answers.py). Reply-To is SMTP_REPLY_TO, so a reply written anyway reaches a person's mailbox.
The Message-ID is the provider id; for an outbox row it is built from the row (`delivery_key`), so
a resend carries the same one.

PEC (posta elettronica certificata) mailboxes are ordinary SMTP over TLS, so the same sender
reaches them; which address a message goes to is `choose_email_contact`'s decision: formal notices
prefer a PEC address, everyday reminders an ordinary one (many PEC boxes refuse ordinary mail).

SMTP failures: 4xx replies and connection problems are worth a retry; a recipient refused with a
5xx is a dead address (recorded on the contact point); other 5xx refusals (authentication,
content) ask for another channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
from markupsafe import Markup

from bot import clock
from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel, ContactPoint
from bot.reachability import mark_address_unreachable
from bot.texts import render

SMTP_TIMEOUT_SECONDS = 60.0


def choose_email_contact(points: Iterable[ContactPoint], formal: bool) -> ContactPoint | None:
    """The e-mail contact point a message should go to, or None if the debtor has none reachable.

    Formal notices (a policy step with `formal = true`) go to a PEC address when there is one,
    since certified mail is what gives them legal weight; everyday messages go to an ordinary
    address when there is one. Either way the other kind is the fallback, and among equals the
    lower `priority` wins.
    """
    reachable = [p for p in points if p.channel is Channel.EMAIL and p.reachable]
    preferred = [p for p in reachable if p.is_pec == formal] or reachable
    return min(preferred, key=lambda p: (p.priority, p.id), default=None)


def paragraphs(text: str) -> list[list[str]]:
    """Text as paragraphs (split on blank lines) of lines, for the HTML layout."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


@dataclass
class EmailSender:
    host: str
    port: int
    from_address: str  # "Name <address>" or a bare address
    username: str = ""
    password: str = ""
    reply_to: str = ""
    security: str = "starttls"  # starttls | tls | none
    company: str = ""
    default_language: str = "it"
    now: Callable[[], dt.datetime] = clock.now
    channel: Channel = Channel.EMAIL
    # A CA bundle to trust instead of the system's (a server with a private certificate).
    cert_bundle: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_address=settings.smtp_from,
            username=settings.smtp_user,
            password=settings.smtp_password,
            reply_to=settings.smtp_reply_to,
            security=settings.smtp_security,
            company=settings.company_name,
            default_language=settings.default_language,
        )

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        language = message.language or self.default_language
        subject = message.subject or render(
            "email/default_subject.txt", language, company=self.company
        )
        text = render("email/layout.txt", language, body=message.text, company=self.company)
        html = render(
            "email/layout.html",
            language,
            subject=subject,
            # The caller's HTML comes from an autoescaped .html template: already safe.
            html_body=Markup(message.html) if message.html else "",
            paragraphs=paragraphs(message.text),
            company=self.company,
        )
        email = EmailMessage()
        email["Subject"] = subject
        email["From"] = self.from_address
        email["To"] = message.address
        if self.reply_to:
            email["Reply-To"] = self.reply_to
        email["Date"] = format_datetime(self.now())
        email["Message-ID"] = message_id_for(message, _domain(self.from_address))
        email.set_content(text)
        email.add_alternative(html, subtype="html")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.mime_type.partition("/")
            email.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return email

    async def send(self, message: OutgoingMessage) -> str:
        email = self.compose(message)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                cert_bundle=self.cert_bundle or None,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            reason = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if all(code >= 500 for code in codes):
                await mark_address_unreachable(Channel.EMAIL, message.address, reason, self.now())
                raise SendError(SendOutcome.UNREACHABLE, f"recipient refused: {reason}") from None
            raise SendError(SendOutcome.RETRY, f"recipient deferred: {reason}") from None
        except aiosmtplib.SMTPResponseException as exc:
            outcome = SendOutcome.RETRY if 400 <= exc.code < 500 else SendOutcome.FALLBACK
            raise SendError(outcome, f"SMTP {exc.code} {exc.message}") from None
        except (
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPServerDisconnected,
            aiosmtplib.SMTPTimeoutError,
            OSError,
        ) as exc:
            raise SendError(SendOutcome.RETRY, f"SMTP {type(exc).__name__}: {exc}") from None
        except aiosmtplib.SMTPException as exc:
            # The server cannot do what the settings ask (STARTTLS, an auth method): retrying
            # will not change that; another channel may carry the message meanwhile.
            raise SendError(SendOutcome.FALLBACK, f"SMTP: {exc}") from None
        return str(email["Message-ID"])

    async def close(self) -> None:
        # One connection per message: nothing stays open between sends.
        return None


def message_id_for(message: OutgoingMessage, domain: str) -> str:
    """The same Message-ID on every attempt at the same outbox row, so a resend after a crash is
    recognisably the same message (mail clients and many mailbox servers fold it); a fresh one
    for a message that is not an outbox row."""
    if message.delivery_key:
        return f"<{message.delivery_key}.sollecito@{domain}>"
    return make_msgid(domain=domain)


def _domain(from_address: str) -> str:
    address = parseaddr(from_address)[1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
