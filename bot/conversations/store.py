"""What a conversation reads and writes in the database: its state, the debtor's open invoices,
and the `FlowContext` the pure flows are given, built from those rows.

Every inbound message of a known debtor comes through `open_invoices` and `locked_conversation`,
so both are hand-written SQL (bot/sql.py); the rest keeps the ORM.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from bot import sql
from bot.conversations.replies import label_words
from bot.flows.context import FlowContext, Input, OpenInvoice
from bot.flows.states import WRITTEN_LANGUAGE, discount_offered, initial_state
from bot.models import Channel, Conversation, Debtor, Invoice, InvoiceStatus, Message
from bot.payments.bank import bank_transfer
from bot.runtime import Runtime
from bot.texts import language_or_default

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
    language = language_or_default(
        written if isinstance(written, str) else debtor.language, settings.default_language
    )
    band = runtime.policy.credit.band_named(debtor.risk_band)  # its effects (bot/policy_credit.py)
    return FlowContext(
        language=language,
        company=settings.company_name,
        invoices=tuple(OpenInvoice(i.number, i.balance_cents, i.due_date) for i in invoices),
        policy=runtime.policy,
        today=now.astimezone(settings.zone).date(),
        now=now,
        discount_offered=discount_offered(state, runtime.policy) and band.offer_discount,
        currency=currency,
        bank=bank,
        inactivity_timeout=dt.timedelta(hours=settings.conversation_timeout_hours),
        business_day=runtime.business_day,
        label_words=label_words(language),
        auto_plans=band.auto_plans,
    )


async def debtor_context(runtime: Runtime, debtor: Debtor) -> FlowContext:
    """What the pure flows know about this debtor right now, outside an inbound exchange (a
    staff decision, a hand-back): the open invoices, and no discount on offer (a staff decision
    answers no reminder)."""
    return flow_context(runtime, debtor, await open_invoices(debtor), initial_state())


def flow_input(message: Message) -> Input:
    attachments = message.attachments if isinstance(message.attachments, list) else []
    return Input(
        option=message.chosen_option or "",
        text=message.body or "",
        attachments=tuple(a for a in attachments if isinstance(a, dict)),
    )


async def locked_conversation(debtor_id: int) -> tuple[int, dict[str, Any]]:
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


@lru_cache(maxsize=1)
def _conversation_and_invoices_query() -> str:
    marks = ", ".join("?" for _ in CHASED_STATUSES)
    return (
        f"SELECT c.id, c.state, {sql.select_list(Invoice, 'i')} FROM conversation c "
        f"LEFT JOIN invoice i ON i.debtor_id = c.debtor_id AND i.status IN ({marks}) "
        "WHERE c.debtor_id = ? ORDER BY i.due_date, i.id FOR UPDATE OF c"
    )


async def invoices_before_lock(debtor: Debtor) -> tuple[Invoice, ...] | None:
    """SQLite: the open invoices, read before the conversation's transaction (its one
    connection, shared by every request, is held one statement shorter). PostgreSQL: None, they
    come with the conversation (`conversation_and_invoices`)."""
    return None if sql.is_postgres() else await open_invoices(debtor)


async def conversation_and_invoices(
    debtor: Debtor, invoices: tuple[Invoice, ...] | None
) -> tuple[int, dict[str, Any], tuple[Invoice, ...]]:
    """Inside a transaction: `locked_conversation` and, unless read before (`invoices`),
    `open_invoices`. On PostgreSQL one statement (each is a round trip there) when the
    conversation exists; the lock still guards only the conversation, not the invoices."""
    if invoices is not None:
        return (*await locked_conversation(debtor.id), invoices)
    statuses = [status.value for status in CHASED_STATUSES]
    rows = await sql.fetch(_conversation_and_invoices_query(), [*statuses, debtor.id])
    if not rows:
        return (*await locked_conversation(debtor.id), await open_invoices(debtor))
    conversation_id, state = rows[0][0], rows[0][1]
    decoded = Conversation._meta.fields_map["state"].to_python_value(state)
    read = (sql.instance(Invoice, row, start=2) for row in rows if row[2] is not None)
    invoices = tuple(invoice for invoice in read if invoice.balance_cents > 0)
    return conversation_id, decoded if isinstance(decoded, dict) else {}, invoices


async def get_state(debtor: Debtor) -> dict[str, Any]:
    """The debtor's stored conversation state; a fresh one when the debtor never spoke."""
    conversation = await Conversation.get_or_none(debtor_id=debtor.id)
    if conversation is None or not conversation.state:
        return initial_state()
    return dict(conversation.state)


async def set_state(debtor: Debtor, state: dict[str, Any], channel: Channel | None = None) -> None:
    """Store the debtor's conversation state (and, when given, the channel they last used)."""
    conversation, _ = await Conversation.get_or_create(debtor_id=debtor.id)
    await save_state(conversation.id, state, channel)


def state_saved(
    conversation_id: int, state: dict[str, Any], channel: Channel | None = None
) -> sql.Statement:
    """The UPDATE that stores a conversation's state (and the channel last used, when given)."""
    postgres = sql.is_postgres()
    return (
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


async def save_state(
    conversation_id: int, state: dict[str, Any], channel: Channel | None = None
) -> None:
    await sql.execute(*state_saved(conversation_id, state, channel))
