"""The one sending interface every channel implements.

A channel takes an `OutgoingMessage` (already rendered text plus reply options, channel-agnostic)
and returns the provider's message id, or raises a `SendError` whose `outcome` tells the
dispatcher what to do next: retry later, fall back to another channel, or give up on this
address for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.enums import Channel


@dataclass(frozen=True)
class Option:
    """A reply option: `key` is what comes back when chosen, `label` what the debtor reads."""

    key: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file to send along: a QR image, an invoice PDF."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Channel
    address: str  # E.164 phone, e-mail, or Telegram chat id, as stored on the contact point
    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # E-mail only: subject and the HTML alternative rendered from the same template.
    subject: str = ""
    html: str = ""
    # WhatsApp only: the template name, to pick the approved Content SID outside the 24h window.
    template: str = ""
    template_variables: dict[str, str] = field(default_factory=dict)
    # Our message row id, so status callbacks can find it again.
    message_id: int | None = None
    # The same for every attempt at the same outbox row (bot.outbox.delivery_key): a provider
    # that takes an idempotency key (e-mail's Message-ID) sees a resend as the same message.
    delivery_key: str = ""
    # WhatsApp: whether the debtor wrote to us in the last 24 hours (free text allowed).
    session_open: bool = False
    # The debtor's language, for what a channel adds itself (SMS "reply 1, 2, 3", e-mail layout);
    # empty: the sender's default (DEFAULT_LANGUAGE).
    language: str = ""
    # E-mail only: certified mail (PEC), sent from the company's PEC mailbox when one is set.
    certified: bool = False


class SendOutcome(StrEnum):
    RETRY = "retry"  # transient: network, 5xx, rate limit; try again later on this channel
    FALLBACK = "fallback"  # this channel cannot carry it now; try the next channel
    UNREACHABLE = "unreachable"  # this address is dead: blocked, invalid, unsubscribed


class SendError(Exception):
    def __init__(
        self, outcome: SendOutcome, reason: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.retry_after = retry_after


class Sender(Protocol):
    """One small class per channel implements this."""

    channel: Channel

    async def send(self, message: OutgoingMessage) -> str:
        """Send and return the provider's message id; raise SendError on failure."""
        ...

    async def close(self) -> None: ...
