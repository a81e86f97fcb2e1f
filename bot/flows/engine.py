"""The flow engine: (state, input) -> (state, replies, effects).

Until the conversation flows land, every message from a known debtor gets a short acknowledgement
and every message from an unknown address a polite answer that reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Attachment, Option
from bot.flows.context import ReplySpec, render_reply
from bot.flows.states import initial_state
from bot.models import Channel, ContactPoint, Conversation, Debtor, Message
from bot.runtime import Runtime
from bot.texts import render
from scheduler.routing import DEFAULT_CHANNEL_ORDER


@dataclass(frozen=True)
class Reply:
    """What a flow says: text plus options; each channel renders options its own way."""

    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    template: str = ""


@dataclass
class Effects:
    """What a step asks the engine to do, applied in one transaction with the new state."""

    alerts: list[tuple[str, dict[str, object]]] = field(default_factory=list)


def reply(
    template: str, language: str, options: tuple[Option, ...] = (), **context: object
) -> Reply:
    return Reply(text=render(template, language, **context), options=options, template=template)


async def handle_message(runtime: Runtime, debtor: Debtor | None, message: Message) -> list[Reply]:
    language = debtor.language if debtor else runtime.settings.default_language
    if debtor is None:
        return [
            reply("replies/unknown_sender.txt", language, company=runtime.settings.company_name)
        ]
    return [reply("replies/ack.txt", language)]


def render_replies(
    specs: list[ReplySpec], language: str, filled: dict[str, object] | None = None
) -> list[Reply]:
    """The pure flows' replies (bot/flows/states.py) as texts to send.

    `filled` supplies what the effects produced, e.g. {"pay_url": ...} for a MakePayLink.
    """
    return [
        Reply(
            text=render_reply(spec, language, filled),
            options=spec.options,
            attachments=spec.attachments,
            template=spec.template,
        )
        for spec in specs
    ]


async def get_state(debtor: Debtor) -> dict[str, Any]:
    """The debtor's stored conversation state; a fresh one when the debtor never spoke."""
    conversation = await Conversation.get_or_none(debtor_id=debtor.id)
    if conversation is None or not conversation.state:
        return initial_state()
    return dict(conversation.state)


async def set_state(debtor: Debtor, state: dict[str, Any], channel: Channel | None = None) -> None:
    """Store the debtor's conversation state (and, when given, the channel they last used)."""
    conversation, _ = await Conversation.get_or_create(debtor_id=debtor.id)
    conversation.state = state
    conversation.flow = str(state.get("flow", "idle"))[:64]
    fields = ["state", "flow", "updated_at"]
    if channel is not None:
        conversation.channel = channel
        fields.append("channel")
    await conversation.save(update_fields=fields)


async def reply_contact_point(debtor: Debtor) -> ContactPoint | None:
    """Where an answer to the debtor goes: the channel they last used, else their preferred one."""
    points = [
        point
        for point in await ContactPoint.filter(debtor_id=debtor.id).order_by("priority", "id")
        if point.opted_out_at is None and point.unreachable_at is None
    ]
    if not points:
        return None
    conversation = await Conversation.get_or_none(debtor_id=debtor.id)
    if conversation is not None and conversation.channel is not None:
        spoken = [p for p in points if p.channel == conversation.channel]
        if spoken:
            return max(spoken, key=lambda p: (p.last_inbound_at is not None, p.last_inbound_at))
    order = {channel: index for index, channel in enumerate(DEFAULT_CHANNEL_ORDER)}
    return min(points, key=lambda p: (p.priority, order.get(p.channel, 99), p.id))


async def notify_debtor(runtime: Runtime, debtor: Debtor, replies: list[Reply]) -> None:
    """Send replies to a debtor outside an inbound exchange (e.g. after a staff decision).

    A send that fails is left in the outbox by send_reply for the dispatcher to retry.
    """
    # Imported here: bot.inbound imports this module for handle_message.
    from bot.inbound import send_reply

    point = await reply_contact_point(debtor)
    if point is None:
        return
    point.debtor = debtor
    for reply in replies:
        await send_reply(runtime, point.channel, point.address, point, reply)
