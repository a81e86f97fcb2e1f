"""WhatsApp sending through Twilio.

WhatsApp allows free text only inside the 24-hour session that opens when the debtor writes to
us (`OutgoingMessage.session_open`, computed by the caller from ContactPoint.last_inbound_at).
Outside it only approved templates may be sent: each of our templates maps to a Twilio Content SID
in TWILIO_WHATSAPP_CONTENT_SIDS and is sent with its variables. Without an approved template the
message asks for another channel. Twilio's error 63016 (the session had in fact closed) leads to
the template path, or to fallback.

Free-text options are numbered choices: quick-reply buttons exist only in approved templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bot import clock
from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.channels.numbered import with_numbered_options
from bot.config import Settings
from bot.models import Channel
from bot.providers.twilio.client import (
    OUTSIDE_WHATSAPP_WINDOW,
    TwilioFailure,
    TwilioMessaging,
    send_error_for,
)

WHATSAPP_PREFIX = "whatsapp:"


def whatsapp_address(phone: str) -> str:
    """Twilio addresses WhatsApp numbers as "whatsapp:+39..."; contact points store plain E.164."""
    return phone if phone.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + phone


def plain_phone(address: str) -> str:
    return address.removeprefix(WHATSAPP_PREFIX)


def template_keys(template: str) -> list[str]:
    """Names a template may be configured under: as given, without extensions, the bare name.

    "reminders/overdue_1.whatsapp.txt" -> that, "reminders/overdue_1", "overdue_1".
    """
    path = PurePosixPath(template)
    stem = path.name.split(".", 1)[0]
    keys = [template, str(path.parent / stem) if str(path.parent) != "." else stem, stem]
    return list(dict.fromkeys(key for key in keys if key))


@dataclass
class WhatsAppSender:
    twilio: TwilioMessaging
    from_number: str
    content_sids: Mapping[str, str] = field(default_factory=dict)
    default_language: str = "it"
    now: Callable[[], dt.datetime] = clock.now
    channel: Channel = Channel.WHATSAPP

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppSender:
        return cls(
            twilio=TwilioMessaging.from_settings(settings),
            from_number=whatsapp_address(settings.twilio_whatsapp_from),
            content_sids=dict(settings.twilio_whatsapp_content_sids),
            default_language=settings.default_language,
        )

    def content_sid_for(self, template: str) -> str | None:
        """The approved template's Content SID for one of ours, if configured."""
        return next(
            (self.content_sids[key] for key in template_keys(template) if key in self.content_sids),
            None,
        )

    def compose(self, message: OutgoingMessage) -> str:
        language = message.language or self.default_language
        return with_numbered_options(message.text, message.options, Channel.WHATSAPP, language)

    async def send(self, message: OutgoingMessage) -> str:
        if message.attachments:
            raise SendError(SendOutcome.FALLBACK, "WhatsApp through Twilio needs files at a URL")
        if message.session_open:
            try:
                return await self.twilio.create_message(
                    to=whatsapp_address(message.address),
                    from_=self.from_number,
                    body=self.compose(message),
                )
            except TwilioFailure as failure:
                if failure.code != OUTSIDE_WHATSAPP_WINDOW:
                    raise await self._error(failure, message) from None
        return await self._send_template(message)

    async def _send_template(self, message: OutgoingMessage) -> str:
        content_sid = self.content_sid_for(message.template) if message.template else None
        if content_sid is None:
            raise SendError(
                SendOutcome.FALLBACK,
                "outside the WhatsApp 24-hour window and no approved template configured for "
                f"{message.template or 'this message'!r} (TWILIO_WHATSAPP_CONTENT_SIDS)",
            )
        empty = [key for key, value in message.template_variables.items() if not value.strip()]
        if empty:
            # Twilio would refuse it (error 21656); another channel can carry the message.
            raise SendError(
                SendOutcome.FALLBACK,
                f"WhatsApp template {message.template!r}: variable {', '.join(empty)} is empty; "
                "not sent (see scheduler/whatsapp_variables.py for what each kind fills in)",
            )
        try:
            return await self.twilio.create_message(
                to=whatsapp_address(message.address),
                from_=self.from_number,
                content_sid=content_sid,
                content_variables=message.template_variables,
            )
        except TwilioFailure as failure:
            raise await self._error(failure, message) from None

    async def _error(self, failure: TwilioFailure, message: OutgoingMessage) -> SendError:
        address = plain_phone(message.address)
        return await send_error_for(failure, Channel.WHATSAPP, address, self.now())

    async def close(self) -> None:
        await self.twilio.close()
