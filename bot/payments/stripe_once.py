"""A Stripe event applied once: its ProcessedEvent row and its effects in one transaction.

A second delivery of the same event finds the row and is a "duplicate". An IntegrityError from
another event about the same payment committing first (completed and async_payment_succeeded
arriving together, a refund beside its dispute) runs it again, at most APPLY_ATTEMPTS times, and
then it finds what the other one recorded. Used by bot/payments/checkout.py (payments) and
bot/payments/stripe_reversals.py (refunds, disputes, failed debits)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.models import ProcessedEvent

log = logging.getLogger(__name__)

PROVIDER = "stripe"
APPLY_ATTEMPTS = 3


async def apply_once(event_id: str, event_type: str, apply: Callable[[], Awaitable[str]]) -> str:
    """Run `apply` (inside the transaction) unless the event was applied before; returns what it
    did, in a word, or "duplicate"."""
    for attempt in range(1, APPLY_ATTEMPTS + 1):
        try:
            async with in_transaction():
                await ProcessedEvent.create(provider=PROVIDER, event_id=event_id)
                outcome = await apply()
        except IntegrityError:
            if await ProcessedEvent.exists(provider=PROVIDER, event_id=event_id):
                return "duplicate"
            if attempt >= APPLY_ATTEMPTS:
                raise
            continue
        log.info("stripe event %s %s: %s", event_id, event_type, outcome)
        return outcome
    raise AssertionError("unreachable")
