"""The flow engine: runs the pure conversation (bot/flows/states.py) against the database.

For each inbound message it loads the debtor's stored state (one per debtor, whatever the
channel: a debtor who got an SMS may go on in Telegram), builds the context from the debtor's own
open invoices, steps, applies the effects (bot/flows/apply.py) and stores the new state in the
same transaction, and renders the replies. An unknown address gets a polite answer that reveals
nothing; an unexpected failure an apology, with the state left as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.channels.base import Attachment, Option
from bot.flows.apply import Exchange, apply_effects
from bot.flows.context import FlowContext, Input, OpenInvoice, ReplySpec, render_reply
from bot.flows.states import close_if_inactive, discount_offered, initial_state, step
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Conversation,
    Debtor,
    Invoice,
    InvoiceStatus,
    Message,
)
from bot.payments.bank import bank_transfer
from bot.runtime import Runtime
from bot.texts import language_or_default, render
from scheduler.routing import DEFAULT_CHANNEL_ORDER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What a flow says: text plus options; each channel renders options its own way."""

    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    template: str = ""


def reply(
    template: str, language: str, options: tuple[Option, ...] = (), **context: object
) -> Reply:
    return Reply(text=render(template, language, **context), options=options, template=template)


CHASED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


async def open_invoices(debtor: Debtor) -> tuple[Invoice, ...]:
    """What the debtor can act on in a conversation: chased invoices with something left to pay
    (disputed and in-plan invoices are handled elsewhere)."""
    rows = await Invoice.filter(debtor_id=debtor.id, status__in=CHASED_STATUSES).order_by(
        "due_date", "id"
    )
    return tuple(row for row in rows if row.balance_cents > 0)


def flow_context(
    runtime: Runtime, debtor: Debtor, invoices: tuple[Invoice, ...], state: dict[str, Any]
) -> FlowContext:
    settings = runtime.settings
    now = runtime.now()
    currency = invoices[0].currency if invoices else "EUR"
    total = sum(invoice.balance_cents for invoice in invoices)
    bank = (
        bank_transfer(settings, debtor.id, [i.number for i in invoices], total, currency)
        if total > 0
        else None
    )
    return FlowContext(
        language=language_or_default(debtor.language, settings.default_language),
        invoices=tuple(OpenInvoice(i.number, i.balance_cents, i.due_date) for i in invoices),
        policy=runtime.policy,
        today=now.astimezone(settings.zone).date(),
        now=now,
        discount_offered=discount_offered(state, runtime.policy),
        currency=currency,
        bank=bank,
        inactivity_timeout=dt.timedelta(hours=settings.conversation_timeout_hours),
    )


def flow_input(message: Message) -> Input:
    attachments = message.attachments if isinstance(message.attachments, list) else []
    return Input(
        option=message.chosen_option or "",
        text=message.body or "",
        attachments=tuple(a for a in attachments if isinstance(a, dict)),
    )


async def handle_message(runtime: Runtime, debtor: Debtor | None, message: Message) -> list[Reply]:
    """Answer one stored inbound message: step the debtor's conversation, apply its effects.

    The new state and the effects are saved in one transaction; if anything fails the state is
    left as it was and the debtor gets a polite apology, never silence.
    """
    language = debtor.language if debtor else runtime.settings.default_language
    language = language_or_default(language, runtime.settings.default_language)
    if debtor is None:
        return [
            reply("replies/unknown_sender.txt", language, company=runtime.settings.company_name)
        ]
    try:
        return await _converse(runtime, debtor, message)
    except Exception:
        log.exception("conversation of debtor %s failed on message %s", debtor.id, message.id)
        return [reply("flows/sorry.txt", language)]


async def _converse(runtime: Runtime, debtor: Debtor, message: Message) -> list[Reply]:
    async with in_transaction():
        conversation = await _locked_conversation(debtor)
        state = dict(conversation.state) if conversation.state else initial_state()
        invoices = await open_invoices(debtor)
        ctx = flow_context(runtime, debtor, invoices, state)
        outcome = step(state, flow_input(message), ctx)
        exchange = Exchange(runtime, debtor, message, ctx, invoices)
        applied = await apply_effects(exchange, list(outcome.effects))
        replies = render_replies([*outcome.replies, *applied.replies], ctx.language, applied.filled)
        await _save_state(conversation, outcome.new_state, message.channel)
    return replies


async def _locked_conversation(debtor: Debtor) -> Conversation:
    """Inside a transaction: the debtor's conversation, locked, made on the first message.

    Locked: two messages of one debtor arriving together are answered one after the other.
    """
    locked = Conversation.filter(debtor_id=debtor.id).select_for_update()
    conversation = await locked.first()
    if conversation is not None:
        return conversation
    try:
        async with in_transaction():  # a savepoint: losing the race to create leaves ours usable
            return await Conversation.create(debtor_id=debtor.id, state=initial_state())
    except IntegrityError:
        return await locked.get()


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
    await _save_state(conversation, state, channel)


async def _save_state(
    conversation: Conversation, state: dict[str, Any], channel: Channel | None = None
) -> None:
    conversation.state = state
    conversation.flow = str(state.get("flow", "idle"))[:64]  # queried on its own by the clock
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
            await notify_debtor(runtime, debtor, replies)
            closed.append(debtor.id)
    return closed


async def _close_if_idle(runtime: Runtime, debtor: Debtor) -> list[Reply]:
    async with in_transaction():
        conversation = await Conversation.filter(debtor_id=debtor.id).select_for_update().get()
        state = dict(conversation.state) if conversation.state else initial_state()
        ctx = flow_context(runtime, debtor, await open_invoices(debtor), state)
        outcome = close_if_inactive(state, ctx)
        if outcome is None:
            return []
        await _save_state(conversation, outcome.new_state)
        await AuditEvent.create(
            actor="system",
            action="conversation.closed",
            subject=f"debtor:{debtor.id}",
            data={"flow": state.get("flow"), "stage": state.get("stage")},
        )
    return render_replies(outcome.replies, ctx.language)
