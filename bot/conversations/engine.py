"""The conversation engine: runs the pure conversation (bot/flows/states.py) against the database.

For each inbound message it loads the debtor's stored state (one per debtor, whatever the
channel: a debtor who got an SMS may go on in Telegram), builds the context from the debtor's own
open invoices (bot/conversations/store.py), steps, applies the effects
(bot/conversations/apply.py) and stores the new state in the same transaction, and renders the
replies (bot/conversations/replies.py). An unknown address gets a polite answer that reveals
nothing; an unexpected failure an apology, with the state left as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

from tortoise.transactions import in_transaction

from bot.conversations.apply import apply_effects
from bot.conversations.exchange import Exchange
from bot.conversations.notify import notify_debtor
from bot.conversations.replies import Reply, render_replies, reply
from bot.conversations.store import (
    conversation_and_invoices,
    flow_context,
    flow_input,
    invoices_before_lock,
    locked_conversation,
    open_invoices,
    save_state,
    state_saved,
)
from bot.flows.states import WRITTEN_LANGUAGE, close_if_inactive, initial_state, step
from bot.flows.understanding import language_of
from bot.models import AuditEvent, Channel, Conversation, Debtor, Message
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime
from bot.sql import Statement, execute
from bot.texts import language_or_default

log = logging.getLogger(__name__)


# Stores a message's answer inside the transaction that steps its conversation (bot.inbound),
# with the statements given (the new state), in one round trip where the database allows.
RecordAnswer = Callable[[list[Reply], Sequence[Statement]], Awaitable[None]]


async def handle_message(
    runtime: Runtime,
    debtor: Debtor | None,
    message: Message,
    record: RecordAnswer | None = None,
) -> list[Reply]:
    """Answer one stored inbound message: step the debtor's conversation, apply its effects.

    The new state, the effects and, through `record`, the answer itself are saved in one
    transaction: a message is answered once or not at all. If anything fails the state is left as
    it was and the debtor gets a polite apology, never silence.
    """
    language = debtor.language if debtor else runtime.settings.default_language
    language = language_or_default(language, runtime.settings.default_language)
    if debtor is None:
        company = runtime.settings.company_name
        unknown = reply("replies/unknown_sender.txt", language, company=company)
        return await _answer_alone(record, [unknown])
    try:
        return await _converse(runtime, debtor, message, record)
    except Exception:
        log.exception("conversation of debtor %s failed on message %s", debtor.id, message.id)
        return await _apologise(runtime, debtor, message, record, language)


async def _apologise(
    runtime: Runtime,
    debtor: Debtor,
    message: Message,
    record: RecordAnswer | None,
    language: str,
) -> list[Reply]:
    """The apology says "un nostro collega la ricontatterà": staff hear of it in the same
    transaction that records the answer, once per inbound message."""
    replies = [reply("flows/sorry.txt", language)]
    channel = message.channel
    context = {
        "debtor_id": debtor.id,
        "debtor_name": debtor.name,
        "debtor_ref": debtor.external_ref,
        "channel": channel.value if isinstance(channel, Channel) else str(channel or ""),
        "text": (message.body or "")[:500],
    }
    async with in_transaction():
        if record is not None:
            await record(replies, ())
        await queue_staff_alert(
            "staff/conversation_failed.txt",
            context,
            now=runtime.now(),
            debtor=debtor,
            idempotency_key=f"conversation_failed:{message.id}",
        )
    return replies


async def _answer_alone(record: RecordAnswer | None, replies: list[Reply]) -> list[Reply]:
    if record is not None:
        async with in_transaction():
            await record(replies, ())
    return replies


async def _converse(
    runtime: Runtime, debtor: Debtor, message: Message, record: RecordAnswer | None
) -> list[Reply]:
    # The lock guards the conversation, not the invoices (a payment may land while we answer
    # either way): SQLite reads them before it, its one writer held one statement shorter;
    # PostgreSQL in the statement that locks the conversation, one round trip fewer.
    before = await invoices_before_lock(debtor)
    async with in_transaction():
        conversation_id, stored, invoices = await conversation_and_invoices(debtor, before)
        state = dict(stored) if stored else initial_state()
        written = language_of(message.body or "")
        if written is not None:  # replies follow the language the debtor writes in
            state[WRITTEN_LANGUAGE] = written
        ctx = flow_context(runtime, debtor, invoices, state)
        outcome = step(state, flow_input(message), ctx)
        exchange = Exchange(runtime, debtor, message, ctx, invoices)
        applied = await apply_effects(exchange, list(outcome.effects))
        specs = applied.attach([*outcome.replies, *applied.replies])
        replies = render_replies(specs, ctx.language, applied.filled)
        saved = state_saved(conversation_id, outcome.new_state, message.channel)
        if record is not None:
            await record(replies, [saved])
        else:
            await execute(*saved)
    return replies


# Conversations at these flows wait for nothing: there is nothing to close.
RESTING_FLOWS = ("idle", "menu")


async def close_idle_conversations(runtime: Runtime) -> list[int]:
    """For the clock: close every conversation left mid-way longer than the timeout, politely.

    Returns the ids of the debtors told. A debtor who wrote meanwhile is left alone: the state is
    read again under a lock before it is closed.
    """
    now = runtime.now()
    cutoff = now - dt.timedelta(hours=runtime.settings.conversation_timeout_hours)
    candidates = await Conversation.filter(updated_at__lt=cutoff).exclude(flow__in=RESTING_FLOWS)
    closed: list[int] = []
    for candidate in candidates:
        debtor = await Debtor.get_or_none(id=candidate.debtor_id)  # type: ignore[attr-defined]
        if debtor is None:
            continue
        try:
            replies = await _close_if_idle(runtime, debtor)
        except Exception:  # one debtor's bad state must not keep the others open
            log.exception("closing the conversation of debtor %s failed", debtor.id)
            continue
        if replies:
            await notify_debtor(runtime, debtor, replies, kind="conversation_closed")
            closed.append(debtor.id)
    return closed


async def _close_if_idle(runtime: Runtime, debtor: Debtor) -> list[Reply]:
    async with in_transaction():
        conversation_id, stored = await locked_conversation(debtor.id)
        state = dict(stored) if stored else initial_state()
        ctx = flow_context(runtime, debtor, await open_invoices(debtor), state)
        outcome = close_if_inactive(state, ctx)
        if outcome is None:
            return []
        await save_state(conversation_id, outcome.new_state)
        await AuditEvent.create(
            actor="system",
            action="conversation.closed",
            subject=f"debtor:{debtor.id}",
            data={"flow": state.get("flow"), "stage": state.get("stage")},
        )
    return render_replies(outcome.replies, ctx.language)
