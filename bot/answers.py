"""The way to answer: the chat links a message to a debtor carries next to the pay link.

The policy lists which links (`contact.chat_links`, in order): "telegram" is the debtor's signed,
single-use deep link (bot/linking.py), so the chat is tied to the debtor with one tap;
"whatsapp" is the click-to-chat link (https://wa.me/<number>) to the company's WhatsApp number.
Which of them a message carries depends on the channel it travels on:

| channel | links |
|---|---|
| Telegram | none: the debtor is already in the chat, with buttons |
| WhatsApp | the Telegram link (the WhatsApp chat is the one they are in) |
| SMS | the first available one only: every character costs (the SMS itself can be answered too) |
| e-mail | all; e-mail replies are not read by the product, so e-mails point here and to the phone |
| pay page | all |

A link is available when the deployment can honour it: the Telegram link needs the bot's username
(TELEGRAM_BOT_USERNAME), the WhatsApp one the company's WhatsApp number (TWILIO_WHATSAPP_FROM).
A debtor whose Telegram chat is already linked gets the plain link to the bot, no new token.

The first message to a phone number that never wrote to us and never received anything from us is
a *first contact*: with `contact.first_contact_asks_for_person` the texts say who writes and ask
the reader to tell us if the number is not the debtor's, and no personal Telegram link goes to a
number nobody has confirmed (whoever redeems it sees the debtor's invoices in the chat).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.linking import deep_link, issue_token
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.policy import Policy

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


@dataclass(frozen=True)
class ChatLink:
    kind: str  # "telegram" | "whatsapp"
    url: str

    @property
    def label(self) -> str:
        return "Telegram" if self.kind == TELEGRAM else "WhatsApp"


def whatsapp_chat_url(number: str) -> str:
    """https://wa.me/<digits> for "+39 02 1234 5678", "whatsapp:+390212345678"; "" without one."""
    digits = re.sub(r"\D", "", number.removeprefix("whatsapp:"))
    return f"https://wa.me/{digits}" if len(digits) >= 6 else ""


def telegram_bot_url(username: str) -> str:
    return f"https://t.me/{username.lstrip('@')}" if username else ""


def available_kinds(settings: Settings, policy: Policy) -> tuple[str, ...]:
    """The policy's chat links that this deployment can honour, in the policy's order."""
    honoured = {
        TELEGRAM: bool(settings.telegram_bot_username),
        WHATSAPP: bool(whatsapp_chat_url(settings.twilio_whatsapp_from)),
    }
    return tuple(kind for kind in policy.contact.chat_links if honoured[kind])


def for_channel(links: Sequence[ChatLink], channel: Channel | str | None) -> list[ChatLink]:
    """The links a message on `channel` carries (see the table in the module docstring)."""
    match Channel(channel) if channel else None:
        case Channel.TELEGRAM:
            return []
        case Channel.WHATSAPP:
            return [link for link in links if link.kind != WHATSAPP]
        case Channel.SMS:
            return list(links[:1])
        case _:
            return list(links)


def carries_personal_link(
    kinds: Sequence[str], channel: Channel | str, *, first_contact: bool, policy: Policy
) -> bool:
    """Whether a message on `channel` would carry a personal Telegram link, given the available
    kinds: a token is minted only for a message that will carry it."""
    if TELEGRAM not in kinds:
        return False
    asks = first_contact and policy.contact.first_contact_asks_for_person
    candidates = [ChatLink(kind, "") for kind in kinds if not (asks and kind == TELEGRAM)]
    return any(link.kind == TELEGRAM for link in for_channel(candidates, channel))


async def chat_links(
    settings: Settings,
    policy: Policy,
    debtor: Debtor,
    now: dt.datetime,
    *,
    points: Iterable[ContactPoint] = (),
    personal: bool = True,
) -> list[ChatLink]:
    """Every chat link the debtor may be offered now, in the policy's order.

    `points` are the debtor's contact points when the caller has them (a linked Telegram chat
    needs no new token). `personal` False leaves out a new signed Telegram link (a first contact).
    A Telegram token is issued only here, so only when a message will carry it.
    """
    links: list[ChatLink] = []
    for kind in available_kinds(settings, policy):
        if kind == WHATSAPP:
            links.append(ChatLink(WHATSAPP, whatsapp_chat_url(settings.twilio_whatsapp_from)))
            continue
        username = settings.telegram_bot_username
        linked = any(
            point.channel == Channel.TELEGRAM and point.reachable and point.verified_at
            for point in points
        )
        if linked:
            links.append(ChatLink(TELEGRAM, telegram_bot_url(username)))
        elif personal:
            ttl = dt.timedelta(days=settings.telegram_link_ttl_days)
            token = await issue_token(debtor, settings.signing_key(), now, ttl)
            links.append(ChatLink(TELEGRAM, deep_link(username, token)))
    return links


async def first_contacts(points: Sequence[ContactPoint]) -> set[int]:
    """The phone contact points (SMS, WhatsApp) that never wrote to us and were never written to."""
    phones = [
        point
        for point in points
        if point.channel in PHONE_CHANNELS
        and point.last_inbound_at is None
        and point.verified_at is None
    ]
    if not phones:
        return set()
    written = set(
        await Message.filter(
            contact_point_id__in=[point.id for point in phones],
            direction=Direction.OUTBOUND,
            status=MessageStatus.SENT,
        ).values_list("contact_point_id", flat=True)
    )
    return {point.id for point in phones if point.id not in written}


def answer_context(
    settings: Settings,
    policy: Policy,
    channel: Channel | str,
    links: Sequence[ChatLink],
    *,
    first_contact: bool = False,
) -> dict[str, Any]:
    """What a debtor template needs to say how to answer, for a message on `channel`."""
    asks = first_contact and policy.contact.first_contact_asks_for_person
    if asks:
        links = [link for link in links if link.kind != TELEGRAM or "?start=" not in link.url]
    carried = for_channel(links, channel)
    return {
        "channel": Channel(channel).value,
        "chat_links": carried,
        "phone": settings.company_phone,
        "first_contact": asks,
    }


def no_answer_context(channel: Channel | str | None = None) -> dict[str, Any]:
    """The same keys with nothing to offer (texts rendered outside the dispatcher)."""
    return {
        "channel": Channel(channel).value if channel else "",
        "chat_links": [],
        "phone": "",
        "first_contact": False,
    }
