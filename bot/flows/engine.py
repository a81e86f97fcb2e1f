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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from tortoise.transactions import in_transaction

from bot import sql
from bot.channels.base import Attachment, Option
from bot.flows.apply import Exchange, apply_effects
from bot.flows.context import FlowContext, Input, OpenInvoice, ReplySpec, render_reply
from bot.flows.states import (
    WRITTEN_LANGUAGE,
    close_if_inactive,
    discount_offered,
    initial_state,
    step,
)
from bot.flows.understanding import language_of
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
from bot.outbox import queue_message, queue_staff_alert
from bot.payments.bank import bank_transfer
from bot.runtime import Runtime
from bot.texts import language_or_default, render, template_exists
from scheduler.routing import DEFAULT_CHANNEL_ORDER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What a flow says: text plus options; each channel renders options its own way."""

    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    template: str = ""
    # The same reply written for a narrow channel (SMS), where the template has a `.sms.txt` form.
    short_text: str = ""


def reply(
    template: str, language: str, options: tuple[Option, ...] = (), **context: object
) -> Reply:
    short = _sms_form(template)
    return Reply(
        text=render(template, language, **context),
        options=options,
        template=template,
        short_text=render(short, language, **context) if template_exists(language, short) else "",
    )


def _sms_form(template: str) -> str:
    return template.removesuffix(".txt") + ".sms.txt"


CHASED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


@lru_cache(maxsize=1)
def _chased_invoices_query() -> str:
    marks = ", ".join("?" for _ in CHASED_STATUSES)
    return (
        f"SELECT {sql.select_list(Invoice, 'i')} FROM invoice i "
        f"WHERE i.debtor_id = ? AND i.status IN ({marks}) ORDER BY i.due_date, i.id"
    )


async def open_invoices(debtor: Debtor) -> tuple[Invoice, ...]:
    """What the debtor can act on in a conversation: chased invoices with something left to pay
    (disputed and in-plan invoices are handled elsewhere). Asked on every message: hand-written."""
    statuses = [status.value for status in CHASED_STATUSES]
    rows = await sql.fetch(_chased_invoices_query(), [debtor.id, *statuses])
    invoices = (sql.instance(Invoice, row) for row in rows)
    return tuple(invoice for invoice in invoices if invoice.balance_cents > 0)


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
    written = state.get(WRITTEN_LANGUAGE)
    return FlowContext(
        language=language_or_default(
            written if isinstance(written, str) else debtor.language, settings.default_language
        ),
        company=settings.company_name,
        invoices=tuple(OpenInvoice(i.number, i.balance_cents, i.due_date) for i in invoices),
        policy=runtime.policy,
        today=now.astimezone(settings.zone).date(),
        now=now,
        discount_offered=discount_offered(state, runtime.policy),
        currency=currency,
        bank=bank,
        inactivity_timeout=dt.timedelta(hours=settings.conversation_timeout_hours),
        business_day=runtime.business_day,
    )


def flow_input(message: Message) -> Input:
    attachments = message.attachments if isinstance(message.attachments, list) else []
    return Input(
        option=message.chosen_option or "",
        text=message.body or "",
        attachments=tuple(a for a in attachments if isinstance(a, dict)),
    )


# Stores a message's answer inside the transaction that steps its conversation (bot.inbound).
RecordAnswer = Callable[[list[Reply]], Awaitable[None]]


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
            await record(replies)
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
            await record(replies)
    return replies


async def _converse(
    runtime: Runtime, debtor: Debtor, message: Message, record: RecordAnswer | None
) -> list[Reply]:
    # Read before the conversation is locked: the lock guards the conversation, not the invoices
    # (a payment may land while we answer either way), and on SQLite, whose one connection every
    # request shares, the lock is held one statement shorter.
    invoices = await open_invoices(debtor)
    async with in_transaction():
        conversation_id, stored = await _locked_conversation(debtor.id)
        state = dict(stored) if stored else initial_state()
        written = language_of(message.body or "")
        if written is not None:  # replies follow the language the debtor writes in
            state[WRITTEN_LANGUAGE] = written
        ctx = flow_context(runtime, debtor, invoices, state)
        outcome = step(state, flow_input(message), ctx)
        exchange = Exchange(runtime, debtor, message, ctx, invoices)
        applied = await apply_effects(exchange, list(outcome.effects))
        replies = render_replies([*outcome.replies, *applied.replies], ctx.language, applied.filled)
        await _save_state(conversation_id, outcome.new_state, message.channel)
        if record is not None:
            await record(replies)
    return replies


async def _locked_conversation(debtor_id: int) -> tuple[int, dict[str, Any]]:
    """Inside a transaction: the debtor's conversation (id, state), locked, made on the first
    message. Hand-written SQL: every inbound message of a known debtor comes through here.

    Locked: two messages of one debtor arriving together are answered one after the other. SQLite
    has no row locks; there a transaction holds the database's single writer lock instead.
    """
    postgres = sql.is_postgres()
    query = "SELECT id, state FROM conversation WHERE debtor_id = ?" + (
        " FOR UPDATE" if postgres else ""
    )
    rows = await sql.fetch(query, [debtor_id])
    if not rows:
        # Whoever loses a race to make it waits on the winner's row lock, then reads that row.
        first = {"debtor_id": debtor_id, "state": initial_state()}
        await sql.insert(Conversation, first, unless_taken="debtor_id")
        rows = await sql.fetch(query, [debtor_id])
    conversation_id, state = rows[0]
    decoded = Conversation._meta.fields_map["state"].to_python_value(state)
    return conversation_id, decoded if isinstance(decoded, dict) else {}


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
            short_text=_short_text(spec, language, filled),
        )
        for spec in specs
    ]


def _short_text(spec: ReplySpec, language: str, filled: dict[str, object] | None) -> str:
    """The reply's SMS form (templates/<lang>/<name>.sms.txt), or "" when it has none."""
    short = _sms_form(spec.template)
    if not template_exists(language, short):
        return ""
    return render_reply(replace(spec, template=short), language, filled)


async def get_state(debtor: Debtor) -> dict[str, Any]:
    """The debtor's stored conversation state; a fresh one when the debtor never spoke."""
    conversation = await Conversation.get_or_none(debtor_id=debtor.id)
    if conversation is None or not conversation.state:
        return initial_state()
    return dict(conversation.state)


async def set_state(debtor: Debtor, state: dict[str, Any], channel: Channel | None = None) -> None:
    """Store the debtor's conversation state (and, when given, the channel they last used)."""
    conversation, _ = await Conversation.get_or_create(debtor_id=debtor.id)
    await _save_state(conversation.id, state, channel)


async def _save_state(
    conversation_id: int, state: dict[str, Any], channel: Channel | None = None
) -> None:
    postgres = sql.is_postgres()
    await sql.execute(
        f"UPDATE conversation SET state = {sql.json_placeholder(postgres)}, flow = ?, "
        "updated_at = ?, channel = COALESCE(?, channel) WHERE id = ?",
        [
            sql.db_json(Conversation, "state", state),
            str(state.get("flow", "idle"))[:64],  # queried on its own by the clock
            sql.written_at(postgres),
            channel.value if channel is not None else None,
            conversation_id,
        ],
    )


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
    """Tell a debtor something outside an inbound exchange: a staff decision, a closed
    conversation, a staff member's words. Nothing the debtor just wrote is being answered, so
    these are proactive messages: queued in the outbox for the chat the debtor last used, they
    wait for the debtor's contact window and count against the weekly cap like any reminder
    (scheduler/proactive.py), and WhatsApp outside its 24-hour window carries them as a template.
    """
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
        conversation_id, stored = await _locked_conversation(debtor.id)
        state = dict(stored) if stored else initial_state()
        ctx = flow_context(runtime, debtor, await open_invoices(debtor), state)
        outcome = close_if_inactive(state, ctx)
        if outcome is None:
            return []
        await _save_state(conversation_id, outcome.new_state)
        await AuditEvent.create(
            actor="system",
            action="conversation.closed",
            subject=f"debtor:{debtor.id}",
            data={"flow": state.get("flow"), "stage": state.get("stage")},
        )
    return render_replies(outcome.replies, ctx.language)
