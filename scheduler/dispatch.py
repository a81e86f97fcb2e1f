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
What a debtor row becomes at its turn (still chased? which contact points? which text?) is
scheduler/debtor_message.py; how a leased row's outcome is written (sent, retried with backoff,
failed, cancelled) is scheduler/outbox_record.py. See docs/ARCHITECTURE.md, "Delivery guarantees".
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
from typing import Any

from bot.answers import ChatLink, first_contacts
from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.chart_reports import chart_attachment
from bot.escalation.notice_sending import KIND as NOTICE_KIND
from bot.escalation.notice_sending import notice_sent
from bot.models import Channel, ContactPoint, Debtor, Message, MessageStatus
from bot.outbox import STAFF, attachments_of, delivery_key
from bot.reachability import mark_unreachable
from bot.runtime import Runtime
from bot.texts import render
from scheduler import outbox_lease
from scheduler.cadence import company_today
from scheduler.coverage import Coverage, SkipReason, load_coverage
from scheduler.debtor_message import (
    candidates,
    contact_of,
    links_for,
    options_of,
    outgoing_message,
    pay_url_for,
    refresh_reminder,
    remember_options,
    with_failure,
)
from scheduler.outbox_lease import Lease
from scheduler.outbox_record import DispatchOutcome, Recorder
from scheduler.proactive import allowed_moment, consent_reason, split_by_consent
from scheduler.rendering import as_dates
from scheduler.routing import Contact, contact_state

log = logging.getLogger(__name__)


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


@dataclass
class Dispatcher:
    runtime: Runtime
    config: DispatchConfig = field(default_factory=DispatchConfig)
    rng: random.Random = field(default_factory=random.Random)
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    record: Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.record = Recorder(lambda: self.runtime.now(), self.config, self.rng)

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
            return await self.record.finish(
                row, lease, MessageStatus.FAILED, error="TELEGRAM_STAFF_CHAT_ID is not set"
            )
        language = self.runtime.settings.default_language
        text = row.body or render(row.template, language, **self._staff_context(row))
        chart = chart_attachment(row.context, language)  # a chart row is drawn as it is sent
        outgoing = OutgoingMessage(
            channel=Channel.TELEGRAM,
            address=str(chat_id),
            text=text,
            options=options_of(row.options),
            attachments=(chart,) if chart else attachments_of(row.attachments),  # a notice's PDF
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
                return await self.record.retry_or_fail(row, lease, exc.reason, exc.retry_after)
            return await self.record.finish(row, lease, MessageStatus.FAILED, error=exc.reason)
        except Exception as exc:  # a sender bug must not lose the alert: treat it as transient
            log.exception("staff message %s: unexpected error", row.id)
            return await self.record.retry_or_fail(row, lease, repr(exc), None)
        return await self.record.sent(row, lease, Channel.TELEGRAM, None, provider_id, text)

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
            return await self.record.finish(row, lease, MessageStatus.CANCELLED, error="no debtor")
        is_reply = bool(row.context.get("reply"))
        # A staff pause stops the chase, not what the debtor is told about a decision.
        chase = not is_reply and not row.context.get("prewritten")
        if chase and debtor.paused_until is not None and debtor.paused_until > now:
            return await self.record.cancel(row, lease, SkipReason.PAUSED)
        if debtor.outsourced_at is not None:  # handed to a collector: nothing more goes to them
            return await self.record.cancel(row, lease, "outsourced")

        points, no_consent = split_by_consent(
            await ContactPoint.filter(debtor_id=debtor.id), self.runtime.policy
        )
        contacts = [contact_of(p) for p in points]
        context = dict(row.context)
        if row.context.get("kind") == "reminder":
            reason = await refresh_reminder(self.runtime, debtor.id, context, now, coverage)
            if reason is not None:
                return await self.record.cancel(row, lease, reason)

        tried = candidates(row, contacts, context)
        if not tried:
            return await self._nowhere(row, lease, debtor, context, contacts, no_consent)

        moment = await allowed_moment(row, debtor.id, debtor.timezone, now, self.runtime.policy)
        if moment > now:
            return await self.record.rescheduled(row, lease, moment)
        return await self._try_channels(row, lease, debtor, points, tried, context, chase, now)

    async def _nowhere(
        self,
        row: Message,
        lease: Lease,
        debtor: Debtor,
        context: dict[str, Any],
        contacts: list[Contact],
        no_consent: list[ContactPoint],
    ) -> DispatchOutcome:
        """No contact point left to try: why, recorded as the row's end."""
        fixed = row.contact_point_id  # type: ignore[attr-defined]
        is_reply = bool(row.context.get("reply"))
        consent = not contacts or (is_reply and any(p.id == fixed for p in no_consent))
        if not context.get("failed_contacts") and no_consent and consent:
            # The cadence key stays taken: planning, which runs several times an hour and
            # does not read consent, would queue the same step again and again.
            reason = "; ".join(sorted({consent_reason(p.channel) for p in no_consent}))
            return await self.record.finish(row, lease, MessageStatus.CANCELLED, error=reason)
        if not context.get("failed_contacts"):
            state = contact_state(contacts)
            skip = SkipReason.OPTED_OUT if state == "opted_out" else SkipReason.UNREACHABLE
            if state == "none":
                skip = SkipReason.NO_CONTACT
            return await self.record.cancel(row, lease, skip)
        return await self.record.fail_everywhere(row, lease, debtor, context)

    async def _try_channels(
        self,
        row: Message,
        lease: Lease,
        debtor: Debtor,
        points: list[ContactPoint],
        tried: list[Contact],
        context: dict[str, Any],
        chase: bool,
        now: dt.datetime,
    ) -> DispatchOutcome:
        """Each contact point in turn until one accepts; a transient error retries later."""
        is_reply = bool(row.context.get("reply"))
        pay_url = await pay_url_for(self.runtime, debtor, context) if not is_reply else ""
        links: list[ChatLink] = []
        first: set[int] = set()
        if not is_reply:  # the way to answer, next to the pay link (bot/answers.py)
            first = await first_contacts(points)
            links = await links_for(self.runtime, debtor, points, tried, first, now)
        for contact in tried:
            point = next(p for p in points if p.id == contact.id)
            outgoing = outgoing_message(
                self.runtime, row, debtor, point, context, pay_url, now, links, point.id in first
            )
            try:
                provider_id = await self._transmit(lease, outgoing)
            except LeaseLost:
                raise
            except SendError as exc:
                if exc.outcome is SendOutcome.RETRY:
                    if row.attempts + 1 < self.config.max_attempts:
                        return await self.record.retry_later(
                            row, lease, exc.reason, exc.retry_after, context
                        )
                    log.warning("message %s: %s keeps failing, next channel", row.id, contact)
                elif exc.outcome is SendOutcome.UNREACHABLE:
                    await mark_unreachable(point, exc.reason, now)
                context = with_failure(context, contact, exc.reason)
                row.attempts = 0
                row.last_error = f"{contact.channel.value}: {exc.reason}"
                continue
            except Exception as exc:  # a sender bug must not lose the message: transient
                log.exception("message %s: unexpected error on %s", row.id, contact.channel)
                if row.attempts + 1 < self.config.max_attempts:
                    return await self.record.retry_later(row, lease, repr(exc), None, context)
                context = with_failure(context, contact, repr(exc))
                row.attempts = 0
                continue
            row.context = context
            outcome = await self.record.sent(
                row, lease, contact.channel, contact.id, provider_id, outgoing.text
            )
            # A reminder's options start a conversation; a notice's belong to the one under way.
            if outcome is DispatchOutcome.SENT and chase and outgoing.options:
                await remember_options(debtor, row, outgoing, now)
            if outcome is DispatchOutcome.SENT and context.get("kind") == NOTICE_KIND:
                await notice_sent(self.runtime, row, contact.id)
            return outcome
        return await self.record.fail_everywhere(row, lease, debtor, context)


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
