"""The one rule every message to a debtor passes in the outbox: when it may go, and where.

Every debtor message is an outbox row, and the dispatcher asks this module about each one just
before sending it, whoever queued it (cadence, promise and instalment checks, receipts, staff
decisions, a closed conversation, a staff member's relayed words):

- **When.** Only an immediate answer to something the debtor just wrote (`context.reply`, written
  by bot/reply_sending.py) skips the weekly contact cap; it still waits for the contact window
  when the worker resends it. Every other message is proactive: it waits for the debtor's next
  allowed hour and day (quiet hours, weekdays, holidays in the debtor's time zone) and counts
  against the cap, and the proactive messages already sent in the last 7 days count against it,
  whatever their kind.
- **WhatsApp session.** Whether the 24-hour customer-service window is open is computed from the
  contact point's `last_inbound_at` at send time, never assumed; outside it the WhatsApp sender only
  sends an approved template.
- **Consent.** WhatsApp needs a recorded opt-in on the contact point; with the policy's
  `consent.lawful_basis = "consent"`, SMS and e-mail need one too. A contact point without it is
  skipped, and the preview and the staff card say why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from bot.models import Channel, ContactPoint, Direction, Message
from bot.outbox import DEBTOR
from bot.policy import Policy
from scheduler.calendar import CONTACT_WINDOW, next_allowed_moment, next_contact_moment

WHATSAPP_SESSION = dt.timedelta(hours=24)

CHANNEL_NAMES = {
    Channel.WHATSAPP: "WhatsApp",
    Channel.SMS: "SMS",
    Channel.EMAIL: "E-mail",
    Channel.TELEGRAM: "Telegram",
}


def is_immediate_answer(context: dict[str, Any]) -> bool:
    """An answer to what the debtor just wrote: the only message that may skip the cap."""
    return bool(context.get("reply"))


def whatsapp_session_open(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    """WhatsApp's customer-service window: open for 24 hours after the debtor last wrote."""
    return last_inbound_at is not None and now - last_inbound_at < WHATSAPP_SESSION


def needs_opt_in(channel: Channel, policy: Policy) -> bool:
    """WhatsApp always; SMS and e-mail when the policy's lawful basis is consent."""
    if channel is Channel.WHATSAPP:
        return True
    basis = policy.consent.lawful_basis
    return basis == "consent" and channel in (Channel.SMS, Channel.EMAIL)


def consent_missing(point: ContactPoint, policy: Policy) -> bool:
    return point.opted_in_at is None and needs_opt_in(Channel(point.channel), policy)


def consent_reason(channel: Channel) -> str:
    """'WhatsApp: no opt-in recorded': why a row was not sent (its last_error, the preview)."""
    return f"{CHANNEL_NAMES[Channel(channel)]}: no opt-in recorded"


def split_by_consent(
    points: Iterable[ContactPoint], policy: Policy
) -> tuple[list[ContactPoint], list[ContactPoint]]:
    """(the points that may be written to, those skipped for lack of a recorded opt-in)."""
    allowed: list[ContactPoint] = []
    skipped: list[ContactPoint] = []
    for point in points:
        (skipped if consent_missing(point, policy) else allowed).append(point)
    return allowed, skipped


async def skipped_for_consent(debtor_ids: list[int], policy: Policy) -> list[ContactPoint]:
    """The contact points of these debtors that messages skip for lack of an opt-in (opted-out
    ones aside: they are skipped anyway), for the preview and the staff card."""
    channels = [c for c in Channel if needs_opt_in(c, policy)]
    return list(
        await ContactPoint.filter(
            debtor_id__in=debtor_ids,
            channel__in=channels,
            opted_in_at__isnull=True,
            opted_out_at__isnull=True,
        ).order_by("debtor_id", "id")
    )


def _proactive(context: dict[str, Any] | None) -> bool:
    return not is_immediate_answer(context or {})


async def proactive_sent_recently(
    debtor_id: int, now: dt.datetime, exclude_id: int | None = None
) -> list[dt.datetime]:
    """When the proactive messages of the last 7 days were sent: every outbound debtor message
    but the immediate answers, reminders and receipts and staff decisions alike."""
    query = Message.filter(
        debtor_id=debtor_id,
        direction=Direction.OUTBOUND,
        audience=DEBTOR,
        sent_at__gt=now - CONTACT_WINDOW,
    )
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    rows = await query.values_list("sent_at", "context")
    return [sent for sent, context in rows if sent is not None and _proactive(context)]


async def allowed_moment(
    row: Message, debtor_id: int, timezone: str, now: dt.datetime, policy: Policy
) -> dt.datetime:
    """The first moment from `now` at which this row may go to the debtor."""
    if is_immediate_answer(row.context or {}):
        return next_allowed_moment(now, timezone, policy)
    recent = await proactive_sent_recently(debtor_id, now, exclude_id=row.id)
    return next_contact_moment(now, timezone, policy, recent)
