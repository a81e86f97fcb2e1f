"""The outbox worker: claims due messages, picks the channel, renders, sends, records.

Claiming is one statement: due rows (pending and scheduled, or `sending` with an expired lease)
are set to `sending` with `lease_until`; on PostgreSQL the inner SELECT uses FOR UPDATE SKIP LOCKED
so any number of workers share the outbox without taking the same row; on SQLite one worker runs.
A worker killed after claiming leaves rows whose lease expires; the next claim takes them again.
Immediately before each send the worker makes sure it holds the row for the whole send, and does
not send a row another worker has taken over (scheduler/outbox_lease.py).

Before sending, a debtor message is checked again: invoices paid meanwhile, a dispute, plan or
promise, a staff pause, or opt-out everywhere cancel it; quiet hours and the weekly contact cap
move it later (never drop it), whoever queued it: the rule is scheduler/proactive.py, and a
contact point without the consent its channel needs is skipped. Then the contact points are tried
in routing order: a transient error (RETRY) is retried with exponential backoff and jitter up to
`max_attempts`, then the next channel; FALLBACK moves on at once; UNREACHABLE marks the address
dead and moves on. When every channel failed the message is marked failed and staff get an alert.
Staff messages go to the staff chat on Telegram and skip quiet hours and caps.
See docs/ARCHITECTURE.md, "Delivery guarantees".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.answers import (
    ChatLink,
    answer_context,
    available_kinds,
    carries_personal_link,
    chat_links,
    first_contacts,
)
from bot.channels.base import Option, OutgoingMessage, SendError, SendOutcome
from bot.flows.engine import get_state, set_state
from bot.flows.states import after_reminder
from bot.models import (
    CLOSED_STATUSES,
    Channel,
    ContactPoint,
    Debtor,
    Invoice,
    Message,
    MessageStatus,
)
from bot.outbox import STAFF, delivery_key, queue_staff_alert
from bot.reachability import mark_unreachable
from bot.runtime import Runtime
from bot.texts import render
from scheduler import outbox_lease
from scheduler.cadence import (
    Coverage,
    InvoiceSnapshot,
    SkipReason,
    company_today,
    invoice_totals,
    load_coverage,
)
from scheduler.outbox_lease import Lease
from scheduler.proactive import (
    allowed_moment,
    consent_reason,
    split_by_consent,
    whatsapp_session_open,
)
from scheduler.rendering import as_dates, fit_sms_budget, render_context, render_for_channel
from scheduler.routing import DEFAULT_CHANNEL_ORDER, Contact, contact_state, route
from scheduler.whatsapp_variables import Facts, message_kind, variables_for

log = logging.getLogger(__name__)

HANDOFF_FLOW = "handoff"  # bot/flows/menu.py: the stage "handoff.relay"


@dataclass(frozen=True)
class DispatchConfig:
    batch_size: int = 50
    # A claimed batch waits for its turn under this lease; each send is then covered by its own.
    lease: dt.timedelta = dt.timedelta(minutes=5)
    # Immediately before each send the worker holds the row at least this long (renewing if less
    # is left), and the send is cut off at `send_timeout`, before that lease can run out: longer
    # than the providers' own timeouts (Twilio 30 s, SMTP 60 s) and the longest Retry-After the
    # Telegram sender waits out within a send.
    send_lease: dt.timedelta = dt.timedelta(minutes=2)
    send_timeout: dt.timedelta = dt.timedelta(seconds=100)
    max_attempts: int = 5  # per contact point, for transient errors
    backoff_base: dt.timedelta = dt.timedelta(seconds=30)
    backoff_cap: dt.timedelta = dt.timedelta(hours=1)
    idle_sleep: float = 5.0  # seconds between polls when the outbox has nothing due

    def __post_init__(self) -> None:
        if self.send_timeout >= self.send_lease:
            raise ValueError("send_timeout must be shorter than send_lease")


class LeaseLost(Exception):
    """Another worker holds the row now: this one must not send it."""


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


class DispatchOutcome(StrEnum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # a transient error; back in the outbox after the backoff
    RESCHEDULED = "rescheduled"  # outside quiet hours or over the cap; moved, not dropped
    CANCELLED = "cancelled"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"  # another worker took the row over (our lease had expired)


@dataclass
class Dispatcher:
    runtime: Runtime
    config: DispatchConfig = field(default_factory=DispatchConfig)
    rng: random.Random = field(default_factory=random.Random)
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    async def claim(self) -> list[tuple[int, dt.datetime]]:
        """Take up to batch_size due rows: (id, lease_until) of each."""
        leases = await self._claim()
        return [(lease.message_id, lease.until) for lease in leases]

    async def _claim(self) -> list[Lease]:
        return await outbox_lease.claim(
            self.runtime.now(), self.config.lease, self.config.batch_size
        )

    async def run_once(self) -> dict[DispatchOutcome, int]:
        """Claim one batch and process it; the count of each outcome."""
        counts: dict[DispatchOutcome, int] = {}
        claimed = await self._claim()
        if not claimed:
            return counts
        # The claimed rows, their debtors and what pauses a chase (plans, disputes, promises)
        # are read once for the whole batch.
        rows = {row.id: row for row in await Message.filter(id__in=[c.message_id for c in claimed])}
        debtor_ids = {row.debtor_id for row in rows.values() if row.debtor_id is not None}  # type: ignore[attr-defined]
        debtors = {debtor.id: debtor for debtor in await Debtor.filter(id__in=debtor_ids)}
        today = company_today(self.runtime.now(), self.runtime)
        coverage = await load_coverage(today, debtor_ids)
        for lease in claimed:
            row = rows.get(lease.message_id)
            if row is None:
                outcome = DispatchOutcome.CANCELLED
            else:
                outcome = await self._send(row, lease, coverage, debtors)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    async def drain(self, max_batches: int = 1000) -> dict[DispatchOutcome, int]:
        """Process batches until nothing is due (tests, the bench, a one-shot run)."""
        total: dict[DispatchOutcome, int] = {}
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
    ) -> DispatchOutcome:
        """Send one claimed row. `coverage` may be preloaded for the batch's debtors."""
        row = await Message.get_or_none(id=message_id)
        if row is None:
            return DispatchOutcome.CANCELLED
        return await self._send(row, Lease(message_id, lease_until), coverage, {})

    async def _send(
        self,
        row: Message,
        lease: Lease,
        coverage: Coverage | None,
        debtors: dict[int, Debtor],
    ) -> DispatchOutcome:
        """`debtors` holds those preloaded for the batch; any other is read here."""
        try:
            if row.audience == STAFF:
                return await self._send_staff(row, lease)
            debtor = debtors.get(row.debtor_id)  # type: ignore[attr-defined]
            if debtor is None:
                debtor = await Debtor.get_or_none(id=row.debtor_id)  # type: ignore[attr-defined]
            return await self._send_debtor(row, lease, coverage, debtor)
        except LeaseLost:
            log.info("message %s: another worker took it over; not sent by %s", row.id, self.name)
            return DispatchOutcome.LOST_LEASE

    async def _transmit(self, lease: Lease, outgoing: OutgoingMessage) -> str:
        """Send under a lease that covers the whole send, or raise LeaseLost without sending.

        The lease is checked (and renewed if short) immediately before the provider is called,
        and the call is cut off before that lease can run out: an answer that never came is
        treated as a transient error, like a crash in the at-least-once window."""
        if not await outbox_lease.hold(lease, self.runtime.now(), self.config.send_lease):
            raise LeaseLost(lease.message_id)
        seconds = self.config.send_timeout.total_seconds()
        try:
            async with asyncio.timeout(seconds):
                return await self.runtime.sender(outgoing.channel).send(outgoing)
        except TimeoutError:
            reason = f"{outgoing.channel.value}: no answer within {seconds:g} s"
            raise SendError(SendOutcome.RETRY, reason) from None

    async def _send_staff(self, row: Message, lease: Lease) -> DispatchOutcome:
        chat_id = self.runtime.settings.telegram_staff_chat_id
        if chat_id is None:
            return await self._finish(
                row, lease, MessageStatus.FAILED, error="TELEGRAM_STAFF_CHAT_ID is not set"
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
            delivery_key=delivery_key(self.runtime.settings.secret_key, row),
        )
        try:
            provider_id = await self._transmit(lease, outgoing)
        except LeaseLost:
            raise
        except SendError as exc:
            if exc.outcome is SendOutcome.RETRY:
                return await self._retry_or_fail(row, lease, exc.reason, exc.retry_after)
            return await self._finish(row, lease, MessageStatus.FAILED, error=exc.reason)
        except Exception as exc:  # a sender bug must not lose the alert: treat it as transient
            log.exception("staff message %s: unexpected error", row.id)
            return await self._retry_or_fail(row, lease, repr(exc), None)
        return await self._record_sent(row, lease, Channel.TELEGRAM, None, provider_id, text)

    def _staff_context(self, row: Message) -> dict[str, Any]:
        return {"company": self.runtime.settings.company_name, **as_dates(row.context)}

    async def _send_debtor(
        self,
        row: Message,
        lease: Lease,
        coverage: Coverage | None,
        debtor: Debtor | None,
    ) -> DispatchOutcome:
        now = self.runtime.now()
        if debtor is None:
            return await self._finish(row, lease, MessageStatus.CANCELLED, error="no debtor")
        is_reply = bool(row.context.get("reply"))
        # A staff pause stops the chase, not what the debtor is told about a decision.
        chase = not is_reply and not row.context.get("prewritten")
        if chase and debtor.paused_until is not None and debtor.paused_until > now:
            return await self._cancel(row, lease, SkipReason.PAUSED)

        points, no_consent = split_by_consent(
            await ContactPoint.filter(debtor_id=debtor.id), self.runtime.policy
        )
        contacts = [_contact(p) for p in points]
        context = dict(row.context)
        if row.context.get("kind") == "reminder":
            invoices, reason = await self._still_chased(debtor.id, context, now, coverage)
            if reason is not None:
                return await self._cancel(row, lease, reason)
            context["invoices"] = invoices
            context["totals"] = invoice_totals(_open_invoices(invoices))
            await self._still_upcoming(context, now)

        candidates = self._candidates(row, contacts, context)
        if not candidates:
            fixed = row.contact_point_id  # type: ignore[attr-defined]
            consent = not contacts or (is_reply and any(p.id == fixed for p in no_consent))
            if not context.get("failed_contacts") and no_consent and consent:
                # The cadence key stays taken: planning, which runs several times an hour and
                # does not read consent, would queue the same step again and again.
                reason = "; ".join(sorted({consent_reason(p.channel) for p in no_consent}))
                return await self._finish(row, lease, MessageStatus.CANCELLED, error=reason)
            if not context.get("failed_contacts"):
                state = contact_state(contacts)
                reason = SkipReason.OPTED_OUT if state == "opted_out" else SkipReason.UNREACHABLE
                if state == "none":
                    reason = SkipReason.NO_CONTACT
                return await self._cancel(row, lease, reason)
            return await self._fail_everywhere(row, lease, debtor, context)

        moment = await allowed_moment(row, debtor.id, debtor.timezone, now, self.runtime.policy)
        if moment > now:
            await self._owned(row, lease).update(
                status=MessageStatus.PENDING, scheduled_at=moment, lease_until=None
            )
            return DispatchOutcome.RESCHEDULED

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
                provider_id = await self._transmit(lease, outgoing)
            except LeaseLost:
                raise
            except SendError as exc:
                if exc.outcome is SendOutcome.RETRY:
                    if row.attempts + 1 < self.config.max_attempts:
                        return await self._retry_later(
                            row, lease, exc.reason, exc.retry_after, context
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
                    return await self._retry_later(row, lease, repr(exc), None, context)
                context = _failed(context, contact, repr(exc))
                row.attempts = 0
                continue
            row.context = context
            outcome = await self._record_sent(
                row, lease, contact.channel, contact.id, provider_id, outgoing.text
            )
            # A reminder's options start a conversation; a notice's belong to the one under way.
            if outcome is DispatchOutcome.SENT and chase and outgoing.options:
                await self._remember_options(debtor, row, outgoing, now)
            return outcome
        return await self._fail_everywhere(row, lease, debtor, context)

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
        chosen = [c for c in contacts if c.id == row.contact_point_id and c.reachable]  # type: ignore[attr-defined]
        if context.get("reply"):  # an answer goes back where the debtor wrote, or not at all
            return [c for c in chosen if c.id not in failed]
        channels = [Channel(c) for c in context.get("channels", ())] or list(DEFAULT_CHANNEL_ORDER)
        if row.channel is not None and row.channel not in channels:
            channels.insert(0, row.channel)
        # A notice queued for the chat the debtor last used goes there first, then anywhere.
        ordered = chosen + [
            c
            for c in route(contacts, channels, formal=bool(context.get("formal")))
            if c not in chosen
        ]
        return [c for c in ordered if c.id not in failed]

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

    async def _still_upcoming(self, context: dict[str, Any], now: dt.datetime) -> None:
        """The "not yet due" line keeps only invoices still open and still not due."""
        entries = context.pop("upcoming", None) or []
        context.pop("upcoming_totals", None)
        ids = [int(e["id"]) for e in entries]
        if not ids:
            return
        today = company_today(now, self.runtime)
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
            context["upcoming_totals"] = invoice_totals(_open_invoices(kept))

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
        session_open = whatsapp_session_open(point.last_inbound_at, now)
        if (row.context.get("reply") or row.context.get("prewritten")) and row.body:
            short = row.context.get("sms_body") if channel is Channel.SMS else ""
            text, subject, html = short or row.body, "", ""
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
            template_variables=self._whatsapp_variables(row, debtor, context, pay_url, channel),
            message_id=row.id,
            delivery_key=delivery_key(self.runtime.settings.secret_key, row),
            session_open=session_open,
            language=debtor.language,
        )
        if channel is Channel.SMS:
            outgoing = fit_sms_budget(outgoing, self.runtime.policy.contact.sms_segment_budget)
        return outgoing

    def _whatsapp_variables(
        self,
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
        facts = Facts(debtor.name, debtor.language, self.runtime.settings.company_name, pay_url)
        return variables_for(kind, context, facts)

    # --- recording ----------------------------------------------------------------------------

    def _owned(self, row: Message, lease: Lease) -> Any:
        """The row as a queryset that matches only while our lease holds."""
        return Message.filter(id=row.id, status=MessageStatus.SENDING, lease_until=lease.until)

    async def _record_sent(
        self,
        row: Message,
        lease: Lease,
        channel: Channel,
        contact_point_id: int | None,
        provider_id: str,
        text: str,
    ) -> DispatchOutcome:
        now = self.runtime.now()
        updated = await self._owned(row, lease).update(
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
            # `_transmit` held the lease for longer than the send may take: only a clock that
            # jumped, or a process frozen mid-send, gets here.
            log.error("message %s sent but its lease had passed to another worker", row.id)
            return DispatchOutcome.LOST_LEASE
        return DispatchOutcome.SENT

    async def _retry_later(
        self,
        row: Message,
        lease: Lease,
        reason: str,
        retry_after: float | None,
        context: dict[str, Any] | None = None,
    ) -> DispatchOutcome:
        attempts = row.attempts + 1
        delay = backoff_delay(attempts, self.config, self.rng, retry_after)
        await self._owned(row, lease).update(
            status=MessageStatus.PENDING,
            scheduled_at=self.runtime.now() + delay,
            lease_until=None,
            attempts=attempts,
            last_error=reason[:2000],
            context=context if context is not None else row.context,
        )
        return DispatchOutcome.RETRY_LATER

    async def _retry_or_fail(
        self, row: Message, lease: Lease, reason: str, retry_after: float | None
    ) -> DispatchOutcome:
        if row.attempts + 1 < self.config.max_attempts:
            return await self._retry_later(row, lease, reason, retry_after)
        log.error("staff message %s failed after %s attempts: %s", row.id, row.attempts + 1, reason)
        return await self._finish(row, lease, MessageStatus.FAILED, error=reason)

    async def _finish(
        self,
        row: Message,
        lease: Lease,
        status: MessageStatus,
        *,
        error: str = "",
        context: dict[str, Any] | None = None,
        release_key: bool = False,
    ) -> DispatchOutcome:
        changes: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if context is not None:
            changes["context"] = context
        if release_key and row.idempotency_key:
            # Frees the cadence key so planning can queue this step again once the cause is
            # gone (a pause ends, a dispute is resolved); the log keeps the original key.
            changes["idempotency_key"] = f"{row.idempotency_key}#cancelled-{row.id}"[:200]
        await self._owned(row, lease).update(**changes)
        return (
            DispatchOutcome.FAILED if status is MessageStatus.FAILED else DispatchOutcome.CANCELLED
        )

    async def _cancel(self, row: Message, lease: Lease, reason: SkipReason) -> DispatchOutcome:
        log.info("message %s cancelled: %s", row.id, reason)
        return await self._finish(
            row, lease, MessageStatus.CANCELLED, error=str(reason), release_key=True
        )

    async def _fail_everywhere(
        self, row: Message, lease: Lease, debtor: Debtor, context: dict[str, Any]
    ) -> DispatchOutcome:
        errors = context.get("errors", [])
        outcome = await self._finish(
            row,
            lease,
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


def _as_open(invoice: Invoice) -> InvoiceSnapshot:
    return InvoiceSnapshot(
        invoice.id,
        invoice.number,
        invoice.due_date,
        invoice.balance_cents,
        invoice.currency,
        str(invoice.status.value if hasattr(invoice.status, "value") else invoice.status),
    )


def _open_invoices(entries: list[dict[str, Any]]) -> list[InvoiceSnapshot]:
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
