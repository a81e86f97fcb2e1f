"""What a running process holds: settings, the policy, the senders, the clock.

Built once at start-up from the settings and passed down; nothing below reads configuration from
anywhere else. Tests build their own with fakes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import clock
from bot.channels.base import Sender
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.escalation.rates import check_rate_tables
from bot.models import Channel
from bot.policy import Policy, load_policy

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    senders: dict[Channel, Sender] = field(default_factory=dict)
    now: Callable[[], dt.datetime] = clock.now

    def __post_init__(self) -> None:
        # The runtime's clock is the process's clock: rows the database layer stamps read it too.
        clock.install(self.now)

    def today(self) -> dt.date:
        """The company's calendar day now: near midnight the UTC date is a different one."""
        return self.now().astimezone(self.settings.zone).date()

    def business_day(self, day: dt.date) -> dt.date:
        """`day` when the company works then, else its next business day (the policy's calendar:
        weekends and the country's holidays). The flows get it through their context."""
        from scheduler.calendar import next_business_day  # pure: the calendar, no I/O

        return next_business_day(day, self.policy)

    def sender(self, channel: Channel) -> Sender:
        return self.senders[channel]

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()


def build_senders(settings: Settings) -> dict[Channel, Sender]:
    """A live sender for each channel with credentials, the sandbox for the others."""
    senders: dict[Channel, Sender] = {}
    for channel in Channel:
        senders[channel] = _live_sender(settings, channel) or SandboxSender(channel)
    if settings.pec_enabled:  # certified mail from the PEC mailbox, the rest as before
        from bot.providers.email.pec import with_pec

        senders[Channel.EMAIL] = with_pec(settings, senders[Channel.EMAIL])
    return senders


def _live_sender(settings: Settings, channel: Channel) -> Sender | None:
    # Imported here so a process without a channel's credentials never loads its client library.
    if channel is Channel.TELEGRAM and settings.telegram_enabled:
        from bot.providers.telegram.sender import TelegramSender

        return TelegramSender.from_settings(settings)
    if channel is Channel.SMS and settings.sms_enabled:
        from bot.providers.twilio.sms import SmsSender

        return SmsSender.from_settings(settings)
    if channel is Channel.WHATSAPP and settings.whatsapp_enabled:
        from bot.providers.twilio.whatsapp import WhatsAppSender

        return WhatsAppSender.from_settings(settings)
    if channel is Channel.EMAIL and settings.email_enabled:
        from bot.providers.email.sender import EmailSender

        return EmailSender.from_settings(settings)
    return None


def build_runtime(settings: Settings) -> Runtime:
    policy = load_policy(settings.policy_file)
    # A rate table with a gap, an overlap or a negative rate ends the start (file and line).
    check_rate_tables(clock.now().astimezone(settings.zone).date())
    log.info(settings.channel_summary())
    return Runtime(settings=settings, policy=policy, senders=build_senders(settings))
