"""The outbox worker: claims due messages, picks the channel, renders, sends, records.

Claiming is one statement: due rows (pending and scheduled, or `sending` with an expired lease)
are set to `sending` with `lease_until`; on PostgreSQL the inner SELECT uses FOR UPDATE SKIP LOCKED
so any number of workers share the outbox without taking the same row; on SQLite one worker runs.
A worker killed after claiming leaves rows whose lease expires; the next claim takes them again.

Before sending, a debtor message is checked again: invoices paid meanwhile, a dispute, plan or
promise, a staff pause, or opt-out everywhere cancel it; quiet hours and the weekly contact cap
move it later (never drop it). Then the contact points are tried in routing order: a transient
error (RETRY) is retried with exponential backoff and jitter up to `max_attempts`, then the next
channel; FALLBACK moves on at once; UNREACHABLE marks the address dead and moves on. When every
channel failed the message is marked failed and staff get an alert. Staff messages go to the staff
chat on Telegram and skip quiet hours and caps. See docs/ARCHITECTURE.md, "Delivery guarantees".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot import sql
from bot.answers import (
    ChatLink,
    answer_context,
    available_kinds,
    carries_personal_link,
    chat_links,
    first_contacts,
    no_answer_context,
)
from bot.channels.base import Option, OutgoingMessage, SendError, SendOutcome
from bot.flows.engine import get_state, set_state
from bot.flows.states import after_reminder
from bot.models import (
    CLOSED_STATUSES,
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    Message,
    MessageStatus,
)
from bot.outbox import DEBTOR, STAFF, queue_staff_alert
from bot.reachability import mark_unreachable
from bot.runtime import Runtime
from bot.texts import TEMPLATES_DIR, render
from scheduler.cadence import (
    Coverage,
    OpenInvoice,
    SkipReason,
    company_today,
    invoice_totals,
    load_coverage,
)
from scheduler.calendar import CONTACT_WINDOW, next_allowed_moment, next_contact_moment
from scheduler.routing import DEFAULT_CHANNEL_ORDER, Contact, contact_state, route

log = logging.getLogger(__name__)

HANDOFF_FLOW = "handoff"  # bot/flows/menu.py: the stage "handoff.relay"

WHATSAPP_SESSION = dt.timedelta(hours=24)


@dataclass(frozen=True)
class DispatchConfig:
    batch_size: int = 50
    lease: dt.timedelta = dt.timedelta(minutes=5)  # far longer than any provider timeout
    max_attempts: int = 5  # per contact point, for transient errors
    backoff_base: dt.timedelta = dt.timedelta(seconds=30)
    backoff_cap: dt.timedelta = dt.timedelta(hours=1)
    idle_sleep: float = 5.0  # seconds between polls when the outbox has nothing due


def backoff_delay(
    attempt: int, config: DispatchConfig, rng: random.Random, retry_after: float | None = None
) -> dt.timedelta:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, drawn from [half, full].

    The jitter spreads retries of many messages hit by the same outage. A provider's own
    Retry-After is a floor.
    """
    ceiling = min(
        config.backoff_cap.total_seconds(),
        config.backoff_base.total_seconds() * 2 ** max(attempt - 1, 0),
    )
    delay = rng.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return dt.timedelta(seconds=delay)


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # a transient error; back in the outbox after the backoff
    RESCHEDULED = "rescheduled"  # outside quiet hours or over the cap; moved, not dropped
    CANCELLED = "cancelled"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"  # another worker took the row over (our lease had expired)


_CLAIM_SQL = (
    "UPDATE message SET status = 'sending', lease_until = ?, updated_at = ? "
    "WHERE id IN (SELECT id FROM message WHERE direction = 'out' AND ("
    "(status = 'pending' AND scheduled_at <= ?) OR (status = 'sending' AND lease_until < ?)) "
    "ORDER BY scheduled_at, id LIMIT ?{lock}) RETURNING id, lease_until"
)


@dataclass
class Dispatcher:
    runtime: Runtime
    config: DispatchConfig = field(default_factory=DispatchConfig)
    rng: random.Random = field(default_factory=random.Random)
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    async def claim(self) -> list[tuple[int, dt.datetime]]:
        """Take up to batch_size due rows: (id, lease_until) of each."""
        now = self.runtime.now()
        postgres = sql.is_postgres()
        lease = now + self.config.lease
        query = _CLAIM_SQL.format(lock=" FOR UPDATE SKIP LOCKED" if postgres else "")
        rows = await sql.fetch(
            query,
            (
                sql.db_time(lease, postgres),
                sql.db_time(now, postgres),
                sql.db_time(now, postgres),
                sql.db_time(now, postgres),
                self.config.batch_size,
            ),
        )
        claimed = sorted((int(r[0]), sql.parse_time(r[1])) for r in rows)
        return [(message_id, lease_until) for message_id, lease_until in claimed if lease_until]

    async def run_once(self) -> dict[Outcome, int]:
        """Claim one batch and process it; the count of each outcome."""
        counts: dict[Outcome, int] = {}
        claimed = await self.claim()
        if not claimed:
            return counts
        # The claimed rows, their debtors and what pauses a chase (plans, disputes, promises)
        # are read once for the whole batch.
        rows = {row.id: row for row in await Message.filter(id__in=[c[0] for c in claimed])}
        debtor_ids = {row.debtor_id for row in rows.values() if row.debtor_id is not None}  # type: ignore[attr-defined]
        debtors = {debtor.id: debtor for debtor in await Debtor.filter(id__in=debtor_ids)}
        today = company_today(self.runtime.now(), self.runtime)
        coverage = await load_coverage(today, debtor_ids)
        for message_id, lease_until in claimed:
            row = rows.get(message_id)
            if row is None:
                outcome = Outcome.CANCELLED
            else:
                outcome = await self._send(row, lease_until, coverage, debtors)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    async def drain(self, max_batches: int = 1000) -> dict[Outcome, int]:
        """Process batches until nothing is due (tests, the bench, a one-shot run)."""
        total: dict[Outcome, int] = {}
        for _ in range(max_batches):
            counts = await self.run_once()
            if not counts:
                break
            for outcome, n in counts.items():
                total[outcome] = total.get(outcome, 0) + n
        return total

    async def run(
        self,
        stop: asyncio.Event | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        """Dispatch until `stop` is set; when nothing is due, pause `idle_sleep` seconds (or
        call the injected `sleep`), waking at once when `stop` is set."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                counts = await self.run_once()
            except Exception:
                log.exception("dispatch batch failed; retrying after a pause")
                counts = {}
            if counts:
                continue
            if sleep is not None:
                await sleep(self.config.idle_sleep)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.config.idle_sleep)

    # --- one message ------------------------------------------------------------------------

    async def process(
        self, message_id: int, lease_until: dt.datetime, coverage: Coverage | None = None
    ) -> Outcome:
        """Send one claimed row. `coverage` may be preloaded for the batch's debtors."""
        row = await Message.get_or_none(id=message_id)
        if row is None:
            return Outcome.CANCELLED
        return await self._send(row, lease_until, coverage, {})

    async def _send(
        self,
        row: Message,
        lease_until: dt.datetime,
        coverage: Coverage | None,
        debtors: dict[int, Debtor],
    ) -> Outcome:
        """`debtors` holds those preloaded for the batch; any other is read here."""
        if row.audience == STAFF:
            return await self._send_staff(row, lease_until)
        debtor = debtors.get(row.debtor_id)  # type: ignore[attr-defined]
        if debtor is None:
            debtor = await Debtor.get_or_none(id=row.debtor_id)  # type: ignore[attr-defined]
        return await self._send_debtor(row, lease_until, coverage, debtor)

    async def _send_staff(self, row: Message, lease_until: dt.datetime) -> Outcome:
        chat_id = self.runtime.settings.telegram_staff_chat_id
        if chat_id is None:
            return await self._finish(
                row, lease_until, MessageStatus.FAILED, error="TELEGRAM_STAFF_CHAT_ID is not set"
            )
        language = self.runtime.settings.default_language
        text = row.body or render(row.template, language, **self._staff_context(row))
        outgoing = OutgoingMessage(
            channel=Channel.TELEGRAM,
            address=str(chat_id),
            text=text,
            options=_options(row.options),
            template=row.template,
            message_id=row.id,
        )
        try:
            provider_id = await self.runtime.sender(Channel.TELEGRAM).send(outgoing)
        except SendError as exc:
            if exc.outcome is SendOutcome.RETRY:
                return await self._retry_or_fail(row, lease_until, exc.reason, exc.retry_after)
            return await self._finish(row, lease_until, MessageStatus.FAILED, error=exc.reason)
        except Exception as exc:  # a sender bug must not lose the alert: treat it as transient
            log.exception("staff message %s: unexpected error", row.id)
            return await self._retry_or_fail(row, lease_until, repr(exc), None)
        return await self._record_sent(row, lease_until, Channel.TELEGRAM, None, provider_id, text)

    def _staff_context(self, row: Message) -> dict[str, Any]:
        return {"company": self.runtime.settings.company_name, **_dated(row.context)}

    async def _send_debtor(
        self,
        row: Message,
        lease_until: dt.datetime,
        coverage: Coverage | None,
        debtor: Debtor | None,
    ) -> Outcome:
        now = self.runtime.now()
        if debtor is None:
            return await self._finish(row, lease_until, MessageStatus.CANCELLED, error="no debtor")
        is_reply = bool(row.context.get("reply"))
        if not is_reply and debtor.paused_until is not None and debtor.paused_until > now:
            return await self._cancel(row, lease_until, SkipReason.PAUSED)

        points = await ContactPoint.filter(debtor_id=debtor.id)
        contacts = [_contact(p) for p in points]
        context = dict(row.context)
        if row.context.get("kind") == "reminder":
            invoices, reason = await self._still_chased(debtor.id, context, now, coverage)
            if reason is not None:
                return await self._cancel(row, lease_until, reason)
            context["invoices"] = invoices
            context["totals"] = invoice_totals(_open_invoices(invoices))

        candidates = self._candidates(row, contacts, context)
        if not candidates:
            if not context.get("failed_contacts"):
                state = contact_state(contacts)
                reason = SkipReason.OPTED_OUT if state == "opted_out" else SkipReason.UNREACHABLE
                if state == "none":
                    reason = SkipReason.NO_CONTACT
                return await self._cancel(row, lease_until, reason)
            return await self._fail_everywhere(row, lease_until, debtor, context)

        moment = await self._allowed_moment(row, debtor, now, is_reply)
        if moment > now:
            await Message.filter(id=row.id, status=MessageStatus.SENDING).update(
                status=MessageStatus.PENDING, scheduled_at=moment, lease_until=None
            )
            return Outcome.RESCHEDULED

        pay_url = await self._pay_url(debtor, context) if not is_reply else ""
        links: list[ChatLink] = []
        first: set[int] = set()
        if not is_reply:  # the way to answer, next to the pay link (bot/answers.py)
            first = await first_contacts(points)
            links = await self._chat_links(debtor, points, candidates, first, now)
        for contact in candidates:
            point = next(p for p in points if p.id == contact.id)
            outgoing = self._outgoing(
                row, debtor, point, context, pay_url, now, links, point.id in first
            )
            try:
                provider_id = await self.runtime.sender(contact.channel).send(outgoing)
            except SendError as exc:
                if exc.outcome is SendOutcome.RETRY:
                    if row.attempts + 1 < self.config.max_attempts:
                        return await self._retry_later(
                            row, lease_until, exc.reason, exc.retry_after, context
                        )
                    log.warning("message %s: %s keeps failing, next channel", row.id, contact)
                elif exc.outcome is SendOutcome.UNREACHABLE:
                    await mark_unreachable(point, exc.reason, now)
                context = _failed(context, contact, exc.reason)
                row.attempts = 0
                row.last_error = f"{contact.channel.value}: {exc.reason}"
                continue
            except Exception as exc:  # a sender bug must not lose the message: transient
                log.exception("message %s: unexpected error on %s", row.id, contact.channel)
                if row.attempts + 1 < self.config.max_attempts:
                    return await self._retry_later(row, lease_until, repr(exc), None, context)
                context = _failed(context, contact, repr(exc))
                row.attempts = 0
                continue
            row.context = context
            outcome = await self._record_sent(
                row, lease_until, contact.channel, contact.id, provider_id, outgoing.text
            )
            if outcome is Outcome.SENT and not is_reply and outgoing.options:
                await self._remember_options(debtor, row, outgoing, now)
            return outcome
        return await self._fail_everywhere(row, lease_until, debtor, context)

    async def _remember_options(
        self, debtor: Debtor, row: Message, outgoing: OutgoingMessage, now: dt.datetime
    ) -> None:
        """The debtor's next answer refers to this message: "1" is what they saw as 1.

        A conversation handed to a person stays with that person until staff hand it back.
        """
        state = await get_state(debtor)
        if state.get("flow") == HANDOFF_FLOW:
            return
        keys = [option.key for option in outgoing.options]
        await set_state(debtor, after_reminder(row.step, now, keys))

    def _candidates(
        self, row: Message, contacts: list[Contact], context: dict[str, Any]
    ) -> list[Contact]:
        failed = set(context.get("failed_contacts", ()))
        if context.get("reply") or row.contact_point_id is not None:  # type: ignore[attr-defined]
            fixed = [c for c in contacts if c.id == row.contact_point_id]  # type: ignore[attr-defined]
            return [c for c in fixed if c.reachable and c.id not in failed]
        channels = [Channel(c) for c in context.get("channels", ())] or list(DEFAULT_CHANNEL_ORDER)
        if row.channel is not None and row.channel not in channels:
            channels.insert(0, row.channel)
        ordered = route(contacts, channels, formal=bool(context.get("formal")))
        return [c for c in ordered if c.id not in failed]

    async def _allowed_moment(
        self, row: Message, debtor: Debtor, now: dt.datetime, is_reply: bool
    ) -> dt.datetime:
        policy = self.runtime.policy
        if is_reply:  # an answer to the debtor's own message: quiet hours, but no cap
            return next_allowed_moment(now, debtor.timezone, policy)
        recent = (
            await Message.filter(
                debtor_id=debtor.id,
                direction=Direction.OUTBOUND,
                audience=DEBTOR,
                sent_at__gt=now - CONTACT_WINDOW,
            )
            .exclude(step="")
            .exclude(id=row.id)
            .values_list("sent_at", flat=True)
        )
        return next_contact_moment(now, debtor.timezone, policy, [t for t in recent if t])

    async def _still_chased(
        self,
        debtor_id: int,
        context: dict[str, Any],
        now: dt.datetime,
        coverage: Coverage | None,
    ) -> tuple[list[dict[str, Any]], SkipReason | None]:
        """The reminder's invoices that are still chased now, or why none is."""
        ids = [int(i["id"]) for i in context.get("invoices", ())]
        invoices = {inv.id: inv for inv in await Invoice.filter(id__in=ids)}
        today = company_today(now, self.runtime)
        if coverage is None:
            coverage = await load_coverage(today, [debtor_id])
        kept: list[dict[str, Any]] = []
        reasons: set[SkipReason] = set()
        for entry in context.get("invoices", ()):
            invoice = invoices.get(int(entry["id"]))
            if invoice is None or invoice.status in CLOSED_STATUSES or invoice.balance_cents <= 0:
                continue
            snapshot = _as_open(invoice)
            reason = coverage.reason(debtor_id, snapshot, today)
            if reason is not None:
                reasons.add(reason)
                continue
            kept.append({**entry, "balance_cents": invoice.balance_cents})
        if kept:
            return kept, None
        if not reasons:
            return [], SkipReason.SETTLED
        return [], reasons.pop() if len(reasons) == 1 else SkipReason.COVERED

    async def _chat_links(
        self,
        debtor: Debtor,
        points: list[ContactPoint],
        candidates: list[Contact],
        first: set[int],
        now: dt.datetime,
    ) -> list[ChatLink]:
        """The chat links the candidates may carry; a personal Telegram token is minted only
        when one of them will carry it."""
        settings, policy = self.runtime.settings, self.runtime.policy
        kinds = available_kinds(settings, policy)
        personal = any(
            carries_personal_link(kinds, c.channel, first_contact=c.id in first, policy=policy)
            for c in candidates
        )
        return await chat_links(settings, policy, debtor, now, points=points, personal=personal)

    async def _pay_url(self, debtor: Debtor, context: dict[str, Any]) -> str:
        if context.get("kind") != "reminder":
            return str(context.get("pay_url", ""))
        from bot.payments.links import make_pay_link

        ids = [int(i["id"]) for i in context.get("invoices", ())]
        return await make_pay_link(self.runtime.settings, debtor, "balance", invoice_ids=ids)

    def _outgoing(
        self,
        row: Message,
        debtor: Debtor,
        point: ContactPoint,
        context: dict[str, Any],
        pay_url: str,
        now: dt.datetime,
        links: list[ChatLink] | None = None,
        first_contact: bool = False,
    ) -> OutgoingMessage:
        channel = point.channel
        session_open = point.last_inbound_at is not None and (
            now - point.last_inbound_at < WHATSAPP_SESSION
        )
        if row.context.get("reply") and row.body:
            text, subject, html = row.body, "", ""
        else:
            ctx = render_context(self.runtime, debtor, context, pay_url)
            ctx.update(
                answer_context(
                    self.runtime.settings,
                    self.runtime.policy,
                    channel,
                    links or [],
                    first_contact=first_contact,
                )
            )
            text, subject, html = render_for_channel(row.template, channel, debtor.language, ctx)
        outgoing = OutgoingMessage(
            channel=channel,
            address=point.address,
            text=text,
            options=_options(row.options),
            subject=subject,
            html=html,
            template=row.template,
            template_variables=_whatsapp_variables(self.runtime, debtor, context, pay_url),
            message_id=row.id,
            session_open=session_open,
            language=debtor.language,
        )
        if channel is Channel.SMS:
            outgoing = fit_sms_budget(outgoing, self.runtime.policy.contact.sms_segment_budget)
        return outgoing

    # --- recording ----------------------------------------------------------------------------

    def _owned(self, row: Message, lease_until: dt.datetime) -> Any:
        """The row as a queryset that matches only while our lease holds."""
        return Message.filter(id=row.id, status=MessageStatus.SENDING, lease_until=lease_until)

    async def _record_sent(
        self,
        row: Message,
        lease_until: dt.datetime,
        channel: Channel,
        contact_point_id: int | None,
        provider_id: str,
        text: str,
    ) -> Outcome:
        now = self.runtime.now()
        updated = await self._owned(row, lease_until).update(
            status=MessageStatus.SENT,
            channel=channel,
            contact_point_id=contact_point_id,
            provider_id=provider_id,
            body=text,
            sent_at=now,
            lease_until=None,
            attempts=row.attempts + 1,
            context=row.context,
            updated_at=now,
        )
        if not updated:
            log.warning("message %s sent but its lease had passed to another worker", row.id)
            return Outcome.LOST_LEASE
        return Outcome.SENT

    async def _retry_later(
        self,
        row: Message,
        lease_until: dt.datetime,
        reason: str,
        retry_after: float | None,
        context: dict[str, Any] | None = None,
    ) -> Outcome:
        attempts = row.attempts + 1
        delay = backoff_delay(attempts, self.config, self.rng, retry_after)
        await self._owned(row, lease_until).update(
            status=MessageStatus.PENDING,
            scheduled_at=self.runtime.now() + delay,
            lease_until=None,
            attempts=attempts,
            last_error=reason[:2000],
            context=context if context is not None else row.context,
        )
        return Outcome.RETRY_LATER

    async def _retry_or_fail(
        self, row: Message, lease_until: dt.datetime, reason: str, retry_after: float | None
    ) -> Outcome:
        if row.attempts + 1 < self.config.max_attempts:
            return await self._retry_later(row, lease_until, reason, retry_after)
        log.error("staff message %s failed after %s attempts: %s", row.id, row.attempts + 1, reason)
        return await self._finish(row, lease_until, MessageStatus.FAILED, error=reason)

    async def _finish(
        self,
        row: Message,
        lease_until: dt.datetime,
        status: MessageStatus,
        *,
        error: str = "",
        context: dict[str, Any] | None = None,
        release_key: bool = False,
    ) -> Outcome:
        changes: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if context is not None:
            changes["context"] = context
        if release_key and row.idempotency_key:
            # Frees the cadence key so planning can queue this step again once the cause is
            # gone (a pause ends, a dispute is resolved); the log keeps the original key.
            changes["idempotency_key"] = f"{row.idempotency_key}#cancelled-{row.id}"[:200]
        await self._owned(row, lease_until).update(**changes)
        return Outcome.FAILED if status is MessageStatus.FAILED else Outcome.CANCELLED

    async def _cancel(self, row: Message, lease_until: dt.datetime, reason: SkipReason) -> Outcome:
        log.info("message %s cancelled: %s", row.id, reason)
        return await self._finish(
            row, lease_until, MessageStatus.CANCELLED, error=str(reason), release_key=True
        )

    async def _fail_everywhere(
        self, row: Message, lease_until: dt.datetime, debtor: Debtor, context: dict[str, Any]
    ) -> Outcome:
        errors = context.get("errors", [])
        outcome = await self._finish(
            row,
            lease_until,
            MessageStatus.FAILED,
            error="; ".join(errors)[:2000] or "no channel left",
            context=context,
        )
        await queue_staff_alert(
            "staff/delivery_failed.txt",
            {
                "debtor_id": debtor.id,
                "debtor_name": debtor.name,
                "message_id": row.id,
                "template": row.template,
                "step": row.step,
                "errors": errors,
            },
            now=self.runtime.now(),
            debtor=debtor,
            idempotency_key=f"delivery_failed:{row.id}",
        )
        return outcome


def fit_sms_budget(message: OutgoingMessage, budget: int) -> OutgoingMessage:
    """Drop reply options from the end until the SMS (text plus numbered options) fits the
    policy's segment budget. The text itself always goes: the SMS templates are written to fit,
    and the pay link is in the text; the options are a convenience."""
    from bot.channels.sms import sms_over_budget

    options = message.options
    while options and sms_over_budget(replace(message, options=options), budget):
        options = options[:-1]
    return replace(message, options=options)


def _contact(point: ContactPoint) -> Contact:
    return Contact(
        id=point.id,
        channel=Channel(point.channel),
        address=point.address,
        is_pec=point.is_pec,
        priority=point.priority,
        opted_out=point.opted_out_at is not None,
        unreachable=point.unreachable_at is not None,
    )


def _failed(context: dict[str, Any], contact: Contact, reason: str) -> dict[str, Any]:
    return {
        **context,
        "failed_contacts": [*context.get("failed_contacts", ()), contact.id],
        "errors": [*context.get("errors", ()), f"{contact.channel.value}: {reason}"[:300]],
    }


def _options(payload: list[dict[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(key=o["key"], label=o["label"]) for o in payload or ())


def _as_open(invoice: Invoice) -> OpenInvoice:
    return OpenInvoice(
        invoice.id,
        invoice.number,
        invoice.due_date,
        invoice.balance_cents,
        invoice.currency,
        str(invoice.status.value if hasattr(invoice.status, "value") else invoice.status),
    )


def _open_invoices(entries: list[dict[str, Any]]) -> list[OpenInvoice]:
    return [
        OpenInvoice(
            int(e["id"]),
            e["number"],
            dt.date.fromisoformat(e["due_date"]),
            int(e["balance_cents"]),
            e["currency"],
            "open",
        )
        for e in entries
    ]


def _dated(context: dict[str, Any]) -> dict[str, Any]:
    """Context values stored as ISO dates (JSON has no date type) back as dates for templates,
    also inside lists of entries (a plan's schedule, an invoice list)."""
    result: dict[str, Any] = {}
    for key, value in context.items():
        if key.endswith(("_date", "_until")) and isinstance(value, str):
            try:
                result[key] = dt.date.fromisoformat(value)
                continue
            except ValueError:
                pass
        if isinstance(value, list):
            value = [_dated(item) if isinstance(item, dict) else item for item in value]
        result[key] = value
    return result


def render_context(
    runtime: Runtime, debtor: Debtor, context: dict[str, Any], pay_url: str
) -> dict[str, Any]:
    """What a debtor template sees: the row's context plus names, dates as dates, totals."""
    # Most overdue first, whatever order the database aggregated them in.
    invoices = sorted(
        (
            {**_dated(entry), "due_date": dt.date.fromisoformat(entry["due_date"])}
            for entry in context.get("invoices", ())
        ),
        key=lambda entry: (entry["due_date"], entry.get("id", 0)),
    )
    totals = dict(context.get("totals") or {})
    currency = invoices[0]["currency"] if invoices else "EUR"
    settings = runtime.settings
    dated = _dated(context)
    return {
        **dated,
        "company": settings.company_name,
        "debtor_name": debtor.name,
        "invoices": invoices,
        "invoice_count": len(invoices),
        "currency": currency,
        "total_cents": totals.get(currency, context.get("total_cents", 0)),
        "other_totals": {c: v for c, v in totals.items() if c != currency},
        "due_date": invoices[0]["due_date"] if invoices else dated.get("due_date"),
        "days_overdue": context.get("days_overdue", 0),
        "pay_url": pay_url,
        "iban": settings.bank_iban,
        "beneficiary": settings.bank_beneficiary or settings.company_name,
        **no_answer_context(),  # the dispatcher fills these in for the channel it sends on
    }


def _template_base(template: str) -> str:
    """ "overdue_1" -> "reminders/overdue_1"; a path such as "receipts/paid.txt" stays a path."""
    if "/" in template:
        return template.removesuffix(".txt")
    return f"reminders/{template}"


def _exists(language: str, name: str) -> bool:
    return (TEMPLATES_DIR / language / name).is_file()


def sms_friendly(text: str) -> str:
    """Babel's no-break spaces, typographic quotes and "…" as GSM-7 characters (one of them would
    turn the whole SMS into UCS-2: 70 characters a segment instead of 160). The SMS sender does it
    again on everything it sends (bot/channels/segments.py, `gsm_text`)."""
    from bot.channels.segments import gsm_text

    return gsm_text(text)


def render_for_channel(
    template: str, channel: Channel, language: str, context: dict[str, Any]
) -> tuple[str, str, str]:
    """(text, subject, html) of a template for a channel: the SMS variant for SMS, subject and
    HTML alternative for e-mail, the chat text otherwise."""
    base = _template_base(template)
    lang = language if language in ("it", "en") else "it"
    if channel is Channel.SMS:
        name = f"{base}.sms.txt" if _exists(lang, f"{base}.sms.txt") else f"{base}.txt"
        return sms_friendly(render(name, lang, **context)), "", ""
    if channel in (Channel.TELEGRAM, Channel.WHATSAPP) and _exists(lang, f"{base}.chat.txt"):
        # A chat form of its own (the final notice: formal wording only in the formal channel).
        return render(f"{base}.chat.txt", lang, **context), "", ""
    text = render(f"{base}.txt", lang, **context)
    if channel is Channel.EMAIL:
        subject = (
            render(f"{base}.subject.txt", lang, **context)
            if _exists(lang, f"{base}.subject.txt")
            else ""
        )
        html = render(f"{base}.html", lang, **context) if _exists(lang, f"{base}.html") else ""
        return text, subject, html
    return text, "", ""


def _whatsapp_variables(
    runtime: Runtime, debtor: Debtor, context: dict[str, Any], pay_url: str
) -> dict[str, str]:
    """Variables of the approved WhatsApp template (used outside the 24-hour session)."""
    from bot.texts import money

    totals = context.get("totals") or {}
    currency = next(iter(totals), "EUR")
    return {
        "1": debtor.name,
        "2": money(int(totals.get(currency, 0)), currency, debtor.language),
        "3": str(len(context.get("invoices", ()))),
        "4": pay_url,
    }


async def run_worker(
    runtime: Runtime,
    *,
    stop: asyncio.Event | None = None,
    config: DispatchConfig | None = None,
) -> None:
    """The outbox worker loop, for `python -m scheduler worker` and `python -m bot run`."""
    dispatcher = Dispatcher(runtime, config or DispatchConfig())
    log.info("outbox worker %s started", dispatcher.name)
    await dispatcher.run(stop)
