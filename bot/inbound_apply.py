"""Applying a stored inbound message: one transaction holds its effect, its replies and its mark.

`receive_from` stores the event (bot/inbound.py) and applies it with `apply_message`, which sends
it where its meaning (bot/flows/vocabulary.py) says: a Telegram /start links the chat, a keyword
opts out, back in or asks for help (bot/inbound_commands.py), anything else steps the debtor's
conversation (bot.conversations.engine.handle_message). Each writes what it changes, the reply rows
and the message marked handled in one transaction: a crash leaves either nothing applied (the row
stays `received`; the provider's retry, or `bot.receive.answer_unhandled_inbound` at start-up,
applies it once) or everything (a retry does nothing). Then the replies are sent
(bot/reply_sending.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversations.engine import handle_message
from bot.conversations.replies import Reply
from bot.flows.vocabulary import KeywordMatch
from bot.inbound import InboundEvent, Received, record_answer, store
from bot.inbound_commands import apply_keyword, apply_start
from bot.inbound_outsourced import answer_outsourced
from bot.models import ContactPoint, Message
from bot.reply_sending import deliver, reply_fields
from bot.runtime import Runtime
from bot.sql import Statement


async def receive_from(
    runtime: Runtime,
    event: InboundEvent,
    contact_point: ContactPoint | None,
    keyword: KeywordMatch | None = None,
) -> Received | None:
    """Store and apply a message from an address of one debtor (or of none we know). None when
    the delivery was handled already.

    The inbound row is stored on its own, before anything can go wrong, and with it the contact
    point notes when its debtor last wrote (WhatsApp's 24-hour window opens whether or not answering
    works); `keyword` is the message read as one (bot.receive)."""
    now = runtime.now()
    message = await store(event, contact_point, now)
    if message is None:
        return None
    return await apply_message(runtime, event, message, contact_point, keyword)


async def apply_message(
    runtime: Runtime,
    event: InboundEvent,
    message: Message,
    contact_point: ContactPoint | None,
    keyword: KeywordMatch | None,
) -> Received:
    """The one place a stored message's meaning picks what is applied."""
    if event.start:
        return await apply_start(runtime, event, message)
    if keyword is not None:
        return await apply_keyword(runtime, event, message, contact_point, keyword)
    return await answer(runtime, event, message, contact_point)


async def answer(
    runtime: Runtime, event: InboundEvent, message: Message, contact_point: ContactPoint | None
) -> Received:
    """Answer a stored inbound message as its contact point's debtor's, on the event's channel
    and address: the conversation steps, the replies are recorded, then sent."""
    debtor = contact_point.debtor if contact_point else None
    if contact_point is not None and debtor is not None and debtor.outsourced_at is not None:
        # Handed off to a collector: told so, staff get the text (bot/inbound_outsourced.py).
        return await answer_outsourced(runtime, event, message, contact_point, debtor)
    rows: list[Message] = []

    async def record(replies: list[Reply], also: Sequence[Statement]) -> None:
        # Inside the conversation's transaction: the replies to send, the conversation's new
        # state (`also`) and the message answered.
        fields = [
            reply_fields(runtime, event.channel, event.address, contact_point, reply)
            for reply in replies
        ]
        rows[:] = await record_answer(message, fields, also=also)

    replies = await handle_message(runtime, debtor, message, record=record)
    await deliver(runtime, rows, replies, event, contact_point)
    return Received(message=message, debtor=debtor, contact_point=contact_point, replies=replies)


__all__ = ["answer", "apply_message", "receive_from"]
