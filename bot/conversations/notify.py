"""Telling a debtor something outside an inbound exchange: a staff decision, a closed
conversation, a staff member's words.

Nothing the debtor just wrote is being answered, so these are proactive messages: queued in the
outbox for the chat the debtor last used, they wait for the debtor's contact window and count
against the weekly cap like any reminder (scheduler/proactive.py), and WhatsApp outside its
24-hour window carries them as a template.
"""

from __future__ import annotations

from bot.conversations.replies import Reply, render_replies
from bot.flows.context import ReplySpec
from bot.models import ContactPoint, Conversation, Debtor
from bot.outbox import queue_message
from bot.runtime import Runtime
from scheduler.routing import DEFAULT_CHANNEL_ORDER


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


async def notify_debtor(
    runtime: Runtime, debtor: Debtor, replies: list[Reply], kind: str = "notice"
) -> None:
    """Queue `replies` for the debtor as proactive messages, their text already written."""
    point = await reply_contact_point(debtor)
    if point is None:
        return
    now = runtime.now()
    for reply in replies:
        await queue_message(
            debtor=debtor,
            template=reply.template,
            # The SMS form goes along: the dispatcher picks the channel when it sends.
            context={"kind": kind, "prewritten": True, "sms_body": reply.short_text},
            scheduled_at=now,
            options=reply.options,
            contact_point=point,
            body=reply.text,
        )


async def tell_debtor(
    runtime: Runtime,
    debtor: Debtor,
    specs: list[ReplySpec],
    filled: dict[str, object] | None = None,
) -> None:
    """Render the flows' replies in the debtor's language and queue them (a staff decision)."""
    replies = render_replies(specs, debtor.language, filled)
    await notify_debtor(runtime, debtor, replies, kind="staff_decision")
