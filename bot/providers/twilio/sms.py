"""SMS sending through Twilio.

Reply options become a "Reply 1 Pay now, 2 ..." line (from a template); files cannot travel by
SMS, so a message with attachments asks for another channel. Twilio's refusals become SendError
outcomes, and what they say about the number (unsubscribed, invalid, not a mobile) is recorded on
the contact point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bot import clock
from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.channels.numbered import with_numbered_options
from bot.config import Settings
from bot.models import Channel
from bot.providers.twilio.client import TwilioFailure, TwilioMessaging, send_error_for
from bot.providers.twilio.segments import SegmentCount, gsm_text, over_budget


def sms_body(message: OutgoingMessage, default_language: str = "it") -> str:
    """The exact SMS text the sender will send: the message plus its numbered options, with
    GSM-7 stand-ins for no-break spaces, "…" and typographic quotes (`gsm_text`)."""
    language = message.language or default_language
    return gsm_text(with_numbered_options(message.text, message.options, Channel.SMS, language))


def sms_over_budget(
    message: OutgoingMessage, budget: int, default_language: str = "it"
) -> SegmentCount | None:
    """For the dispatcher: the segment count when this SMS would exceed the policy's budget
    (policy.contact.sms_segment_budget), else None. Counts what is really sent, options included.
    """
    return over_budget(sms_body(message, default_language), budget)


@dataclass
class SmsSender:
    twilio: TwilioMessaging
    from_number: str  # E.164 number or alphanumeric sender id
    default_language: str = "it"
    now: Callable[[], dt.datetime] = clock.now
    channel: Channel = Channel.SMS

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsSender:
        return cls(
            twilio=TwilioMessaging.from_settings(settings),
            from_number=settings.twilio_sms_from,
            default_language=settings.default_language,
        )

    def compose(self, message: OutgoingMessage) -> str:
        return sms_body(message, self.default_language)

    async def send(self, message: OutgoingMessage) -> str:
        if message.attachments:
            raise SendError(SendOutcome.FALLBACK, "SMS cannot carry attachments")
        try:
            return await self.twilio.create_message(
                to=message.address, from_=self.from_number, body=self.compose(message)
            )
        except TwilioFailure as failure:
            raise await send_error_for(failure, Channel.SMS, message.address, self.now()) from None

    async def close(self) -> None:
        await self.twilio.close()
