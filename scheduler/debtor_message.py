"""A debtor's outbox row when its turn comes: is it still worth sending, to which contact points,
and as what message.

A reminder keeps only the invoices still chased now (paid, disputed, promised or in a plan
meanwhile drop out) and its "not yet due" line only those still not due; the contact points are
tried in routing order (an answer goes back where the debtor wrote, or nowhere); the message is
rendered for each channel with its pay link and the chat links the policy enables. After a sent
reminder the debtor's next answer refers to it. The dispatcher (scheduler/dispatch.py) asks; the
outbox mechanics (leases, retries, recording) are not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.answers import (
    ChatLink,
    answer_context,
    available_kinds,
    carries_personal_link,
    chat_links,
)
from bot.channels.base import Option, OutgoingMessage
from bot.conversations.store import get_state, set_state
from bot.flows.stages import handed_off
from bot.flows.states import after_reminder
from bot.models import CLOSED_STATUSES, Channel, ContactPoint, Debtor, Invoice, Message
from bot.outbox import attachments_of, delivery_key
from bot.runtime import Runtime
from scheduler.cadence import company_today
from scheduler.coverage import (
    Coverage,
    InvoiceSnapshot,
    SkipReason,
    invoice_totals,
    load_coverage,
)
from scheduler.proactive import whatsapp_session_open
from scheduler.rendering import fit_sms_budget, render_context, render_for_channel
from scheduler.routing import DEFAULT_CHANNEL_ORDER, Contact, route
from scheduler.whatsapp_variables import Facts, message_kind, variables_for


async def still_chased(
    runtime: Runtime,
    debtor_id: int,
    context: dict[str, Any],
    now: dt.datetime,
    coverage: Coverage | None,
) -> tuple[list[dict[str, Any]], SkipReason | None]:
    """The reminder's invoices that are still chased now, or why none is."""
    ids = [int(i["id"]) for i in context.get("invoices", ())]
    invoices = {inv.id: inv for inv in await Invoice.filter(id__in=ids)}
    today = company_today(now, runtime)
    if coverage is None:
        coverage = await load_coverage(today, [debtor_id])
    kept: list[dict[str, Any]] = []
    reasons: set[SkipReason] = set()
    for entry in context.get("invoices", ()):
        invoice = invoices.get(int(entry["id"]))
        if invoice is None or invoice.status in CLOSED_STATUSES or invoice.balance_cents <= 0:
            continue
        reason = coverage.reason(debtor_id, _snapshot(invoice), today)
        if reason is not None:
            reasons.add(reason)
            continue
        kept.append({**entry, "balance_cents": invoice.balance_cents})
    if kept:
        return kept, None
    if not reasons:
        return [], SkipReason.SETTLED
    return [], reasons.pop() if len(reasons) == 1 else SkipReason.COVERED


async def refresh_reminder(
    runtime: Runtime,
    debtor_id: int,
    context: dict[str, Any],
    now: dt.datetime,
    coverage: Coverage | None,
) -> SkipReason | None:
    """Bring a reminder's invoices, totals and "not yet due" line up to now, in `context`; or
    why it is no longer sent."""
    invoices, reason = await still_chased(runtime, debtor_id, context, now, coverage)
    if reason is not None:
        return reason
    context["invoices"] = invoices
    context["totals"] = invoice_totals(snapshots(invoices))
    await _still_upcoming(runtime, context, now)
    return None


async def _still_upcoming(runtime: Runtime, context: dict[str, Any], now: dt.datetime) -> None:
    """The "not yet due" line keeps only invoices still open and still not due."""
    entries = context.pop("upcoming", None) or []
    context.pop("upcoming_totals", None)
    ids = [int(e["id"]) for e in entries]
    if not ids:
        return
    today = company_today(now, runtime)
    invoices = {inv.id: inv for inv in await Invoice.filter(id__in=ids)}
    kept = [
        {**e, "balance_cents": inv.balance_cents}
        for e in entries
        if (inv := invoices.get(int(e["id"]))) is not None
        and inv.status not in CLOSED_STATUSES
        and inv.balance_cents > 0
        and inv.due_date >= today
    ]
    if kept:
        context["upcoming"] = kept
        context["upcoming_totals"] = invoice_totals(snapshots(kept))


def candidates(row: Message, contacts: list[Contact], context: dict[str, Any]) -> list[Contact]:
    """The contact points to try, in order, leaving out those that already failed."""
    failed = set(context.get("failed_contacts", ()))
    chosen = [c for c in contacts if c.id == row.contact_point_id and c.reachable]  # type: ignore[attr-defined]
    if context.get("reply"):  # an answer goes back where the debtor wrote, or not at all
        return [c for c in chosen if c.id not in failed]
    channels = [Channel(c) for c in context.get("channels", ())] or list(DEFAULT_CHANNEL_ORDER)
    if row.channel is not None and row.channel not in channels:
        channels.insert(0, row.channel)
    # A notice queued for the chat the debtor last used goes there first, then anywhere.
    ordered = chosen + [
        c for c in route(contacts, channels, formal=bool(context.get("formal"))) if c not in chosen
    ]
    return [c for c in ordered if c.id not in failed]


async def links_for(
    runtime: Runtime,
    debtor: Debtor,
    points: list[ContactPoint],
    tried: list[Contact],
    first: set[int],
    now: dt.datetime,
) -> list[ChatLink]:
    """The chat links the contact points tried may carry; a personal Telegram token is minted
    only when one of them will carry it."""
    settings, policy = runtime.settings, runtime.policy
    kinds = available_kinds(settings, policy)
    personal = any(
        carries_personal_link(kinds, c.channel, first_contact=c.id in first, policy=policy)
        for c in tried
    )
    return await chat_links(settings, policy, debtor, now, points=points, personal=personal)


async def pay_url_for(runtime: Runtime, debtor: Debtor, context: dict[str, Any]) -> str:
    if context.get("kind") != "reminder":
        return str(context.get("pay_url", ""))
    from bot.payments.links import make_pay_link

    ids = [int(i["id"]) for i in context.get("invoices", ())]
    return await make_pay_link(runtime.settings, debtor, "balance", invoice_ids=ids)


async def remember_options(
    debtor: Debtor, row: Message, outgoing: OutgoingMessage, now: dt.datetime
) -> None:
    """The debtor's next answer refers to this message: "1" is what they saw as 1.

    A conversation handed to a person stays with that person until staff hand it back.
    """
    state = await get_state(debtor)
    if handed_off(state):
        return
    keys = [option.key for option in outgoing.options]
    await set_state(debtor, after_reminder(row.step, now, keys))


def outgoing_message(
    runtime: Runtime,
    row: Message,
    debtor: Debtor,
    point: ContactPoint,
    context: dict[str, Any],
    pay_url: str,
    now: dt.datetime,
    links: list[ChatLink] | None = None,
    first_contact: bool = False,
) -> OutgoingMessage:
    """The row as the message for this contact point: its prewritten text, or its template
    rendered for the channel with the way to answer."""
    channel = point.channel
    if (row.context.get("reply") or row.context.get("prewritten")) and row.body:
        short = row.context.get("sms_body") if channel is Channel.SMS else ""
        text, subject, html = short or row.body, "", ""
    else:
        ctx = render_context(runtime, debtor, context, pay_url)
        ctx.update(
            answer_context(
                runtime.settings, runtime.policy, channel, links or [], first_contact=first_contact
            )
        )
        text, subject, html = render_for_channel(row.template, channel, debtor.language, ctx)
    outgoing = OutgoingMessage(
        channel=channel,
        address=point.address,
        text=text,
        options=options_of(row.options),
        # A reply's files (the statement's PDF) go again with it, a formal notice its PDF; a
        # reminder has none.
        attachments=attachments_of(row.attachments) if _carries_files(row) else (),
        subject=subject,
        html=html,
        template=row.template,
        template_variables=_whatsapp_variables(runtime, row, debtor, context, pay_url, channel),
        message_id=row.id,
        delivery_key=delivery_key(runtime.settings.secret_key, row),
        session_open=whatsapp_session_open(point.last_inbound_at, now),
        language=debtor.language,
        # A formal notice to a PEC address goes from the PEC mailbox (bot/providers/email/pec.py).
        certified=point.is_pec and row.context.get("kind") == "formal_notice",
    )
    if channel is Channel.SMS:
        outgoing = fit_sms_budget(outgoing, runtime.policy.contact.sms_segment_budget)
    return outgoing


def _carries_files(row: Message) -> bool:
    return bool(row.context.get("reply")) or row.context.get("kind") == "formal_notice"


def _whatsapp_variables(
    runtime: Runtime,
    row: Message,
    debtor: Debtor,
    context: dict[str, Any],
    pay_url: str,
    channel: Channel,
) -> dict[str, str]:
    """The approved template's variables (used outside the 24-hour session), from the
    message's own kind: a receipt's are not a reminder's."""
    if channel is not Channel.WHATSAPP:
        return {}
    kind = message_kind(row.template, row.context)
    facts = Facts(debtor.name, debtor.language, runtime.settings.company_name, pay_url)
    return variables_for(kind, context, facts)


def contact_of(point: ContactPoint) -> Contact:
    return Contact(
        id=point.id,
        channel=Channel(point.channel),
        address=point.address,
        is_pec=point.is_pec,
        priority=point.priority,
        opted_out=point.opted_out_at is not None,
        unreachable=point.unreachable_at is not None,
    )


def with_failure(context: dict[str, Any], contact: Contact, reason: str) -> dict[str, Any]:
    """The context with this contact point listed as failed, and why."""
    return {
        **context,
        "failed_contacts": [*context.get("failed_contacts", ()), contact.id],
        "errors": [*context.get("errors", ()), f"{contact.channel.value}: {reason}"[:300]],
    }


def options_of(payload: list[dict[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(key=o["key"], label=o["label"]) for o in payload or ())


def _snapshot(invoice: Invoice) -> InvoiceSnapshot:
    return InvoiceSnapshot(
        invoice.id,
        invoice.number,
        invoice.due_date,
        invoice.balance_cents,
        invoice.currency,
        str(invoice.status.value if hasattr(invoice.status, "value") else invoice.status),
    )


def snapshots(entries: list[dict[str, Any]]) -> list[InvoiceSnapshot]:
    """A reminder context's invoice entries as the planner's snapshots (for their totals)."""
    return [
        InvoiceSnapshot(
            int(e["id"]),
            e["number"],
            dt.date.fromisoformat(e["due_date"]),
            int(e["balance_cents"]),
            e["currency"],
            "open",
        )
        for e in entries
    ]
