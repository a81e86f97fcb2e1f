"""What becomes of a leased outbox row: sent, back in the outbox after a backoff, or finished
(failed or cancelled, with staff told when every channel failed).

Every write is conditional on the lease the worker holds (scheduler/outbox_lease.py): a worker
that lost its lease cannot overwrite what the worker that took the row over recorded. This module
knows nothing of reminders; scheduler/dispatch.py decides, this records.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.models import Channel, Debtor, Message, MessageStatus
from bot.outbox import queue_staff_alert
from scheduler.outbox_lease import Lease

log = logging.getLogger(__name__)


class DispatchOutcome(StrEnum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # a transient error; back in the outbox after the backoff
    RESCHEDULED = "rescheduled"  # outside quiet hours or over the cap; moved, not dropped
    CANCELLED = "cancelled"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"  # another worker took the row over (our lease had expired)


class Backoff(Protocol):
    @property
    def backoff_base(self) -> dt.timedelta: ...
    @property
    def backoff_cap(self) -> dt.timedelta: ...
    @property
    def max_attempts(self) -> int: ...


def backoff_delay(
    attempt: int, config: Backoff, rng: random.Random, retry_after: float | None = None
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


@dataclass
class Recorder:
    """Writes a leased row's outcome, on the runtime's clock."""

    now: Callable[[], dt.datetime]
    config: Backoff
    rng: random.Random

    def owned(self, row: Message, lease: Lease) -> Any:
        """The row as a queryset that matches only while our lease holds."""
        return Message.filter(id=row.id, status=MessageStatus.SENDING, lease_until=lease.until)

    async def sent(
        self,
        row: Message,
        lease: Lease,
        channel: Channel,
        contact_point_id: int | None,
        provider_id: str,
        text: str,
    ) -> DispatchOutcome:
        now = self.now()
        updated = await self.owned(row, lease).update(
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
            # The dispatcher held the lease for longer than the send may take: only a clock
            # that jumped, or a process frozen mid-send, gets here.
            log.error("message %s sent but its lease had passed to another worker", row.id)
            return DispatchOutcome.LOST_LEASE
        return DispatchOutcome.SENT

    async def rescheduled(self, row: Message, lease: Lease, moment: dt.datetime) -> DispatchOutcome:
        await self.owned(row, lease).update(
            status=MessageStatus.PENDING, scheduled_at=moment, lease_until=None
        )
        return DispatchOutcome.RESCHEDULED

    async def retry_later(
        self,
        row: Message,
        lease: Lease,
        reason: str,
        retry_after: float | None,
        context: dict[str, Any] | None = None,
    ) -> DispatchOutcome:
        attempts = row.attempts + 1
        delay = backoff_delay(attempts, self.config, self.rng, retry_after)
        await self.owned(row, lease).update(
            status=MessageStatus.PENDING,
            scheduled_at=self.now() + delay,
            lease_until=None,
            attempts=attempts,
            last_error=reason[:2000],
            context=context if context is not None else row.context,
        )
        return DispatchOutcome.RETRY_LATER

    async def retry_or_fail(
        self, row: Message, lease: Lease, reason: str, retry_after: float | None
    ) -> DispatchOutcome:
        if row.attempts + 1 < self.config.max_attempts:
            return await self.retry_later(row, lease, reason, retry_after)
        log.error("staff message %s failed after %s attempts: %s", row.id, row.attempts + 1, reason)
        return await self.finish(row, lease, MessageStatus.FAILED, error=reason)

    async def finish(
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
        await self.owned(row, lease).update(**changes)
        return (
            DispatchOutcome.FAILED if status is MessageStatus.FAILED else DispatchOutcome.CANCELLED
        )

    async def cancel(self, row: Message, lease: Lease, reason: str) -> DispatchOutcome:
        log.info("message %s cancelled: %s", row.id, reason)
        return await self.finish(
            row, lease, MessageStatus.CANCELLED, error=str(reason), release_key=True
        )

    async def fail_everywhere(
        self, row: Message, lease: Lease, debtor: Debtor, context: dict[str, Any]
    ) -> DispatchOutcome:
        errors = context.get("errors", [])
        outcome = await self.finish(
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
            now=self.now(),
            debtor=debtor,
            idempotency_key=f"delivery_failed:{row.id}",
        )
        return outcome
