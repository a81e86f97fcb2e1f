"""Credit alerts for the staff chat: a debtor taken over their credit limit by an import (or its
new invoices), and a debtor whose risk band got worse. Both carry the credit card: the figures
and the reasons (bot/credit/card.py, `staff/credit_alert.txt`).

Scoring stores the band on the debtor (`risk_band`, `risk_scored_at`); a band is "worse" when it
comes later in the policy's list than the one stored. The first scoring of a debtor stores its
band without an alert (there was no band to move from), so turning the feature on does not flood
the staff chat. The nightly job (`rescore_all`, scheduler/clock.py) scores every debtor; an
import scores the debtors whose exposure it changed.

Over the limit after an import: alerted when the debtor was within the limit before it, or was
already over and the import added to what they owe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.credit.card import CreditCard, build_card, card_context
from bot.credit.exposure import Exposure, load_exposure
from bot.credit.history import load_facts
from bot.credit.score import Facts
from bot.models import Debtor
from bot.outbox import queue_staff_alert
from bot.policy import Policy
from bot.policy_credit import Credit

ALERT_TEMPLATE = "staff/credit_alert.txt"
CHUNK = 2_000  # debtors scored (their rows read, their bands stored) at a time
# Up to this many debtors, their facts and exposure are read for them alone (IN lists); more,
# and they are read for every debtor at once: each query is then one linear pass, where SQLite's
# plan for a long IN list over the allocations grows with the list times the payments.
FEW_DEBTORS = 200


@dataclass(frozen=True)
class CreditScope:
    """What scoring needs: the company's day and time zone, the clock, the bands."""

    today: dt.date
    now: dt.datetime
    zone: ZoneInfo
    credit: Credit


def credit_scope(settings: Settings, policy: Policy, now: dt.datetime) -> CreditScope:
    zone = settings.zone
    return CreditScope(
        today=now.astimezone(zone).date(),
        now=now,
        zone=zone,
        credit=policy.credit,
    )


@dataclass
class CreditCheck:
    scored: int = 0
    worse: list[CreditCard] = field(default_factory=list)
    over_limit: list[CreditCard] = field(default_factory=list)
    alerts: int = 0


@dataclass(frozen=True)
class Limits:
    """Each debtor's limit and exposure at one moment (only debtors with a limit)."""

    limits: dict[int, int]
    exposures: dict[int, Exposure]

    def over(self, debtor_id: int) -> bool:
        limit = self.limits.get(debtor_id)
        total = self.exposures.get(debtor_id, Exposure()).total_cents
        return limit is not None and total > limit

    def total(self, debtor_id: int) -> int:
        return self.exposures.get(debtor_id, Exposure()).total_cents


async def load_limits(today: dt.date) -> Limits:
    """Every debtor's limit and exposure: two queries, whatever the number of debtors."""
    rows = await Debtor.filter(credit_limit_cents__isnull=False).values_list(
        "id", "credit_limit_cents"
    )
    return Limits({int(i): int(limit) for i, limit in rows}, await load_exposure(today))


def newly_over(before: Limits, after: Limits) -> list[int]:
    """Debtors over their limit after, who were within it before or now owe more."""
    return sorted(
        debtor_id
        for debtor_id in after.limits
        if after.over(debtor_id)
        and (not before.over(debtor_id) or after.total(debtor_id) > before.total(debtor_id))
    )


def changed_exposure(before: Limits, after: Limits) -> list[int]:
    """Debtors whose exposure an import changed."""
    ids = set(before.exposures) | set(after.exposures)
    return sorted(i for i in ids if before.exposures.get(i) != after.exposures.get(i))


async def check_credit(
    scope: CreditScope, debtor_ids: Sequence[int], over_limit: Sequence[int] = ()
) -> CreditCheck:
    """Score these debtors, store their bands, and alert staff for a worse band or (for the ids
    in `over_limit`) a limit passed. One alert per debtor, with both reasons when both hold."""
    result = CreditCheck()
    over = set(over_limit)
    ids = sorted(set(debtor_ids) | over)
    some = ids if len(ids) <= FEW_DEBTORS else None
    facts = await load_facts(scope.zone, some) if ids else {}
    exposures = await load_exposure(scope.today, some) if ids else {}
    for start in range(0, len(ids), CHUNK):
        debtors = await Debtor.filter(id__in=ids[start : start + CHUNK], erased_at__isnull=True)
        cards = [
            build_card(
                debtor,
                exposures.get(debtor.id, Exposure()),
                facts.get(debtor.id, Facts()),
                scope.today,
                scope.credit,
            )
            for debtor in debtors
        ]
        await _store_bands(cards, scope.now)
        for card in cards:
            result.scored += 1
            worse = scope.credit.worse(card.stored_band, card.score.band)
            passed = card.debtor_id in over and card.over_limit
            if worse:
                result.worse.append(card)
            if passed:
                result.over_limit.append(card)
            if worse or passed:
                result.alerts += await _alert(scope, card, worse=worse, over_limit=passed)
    return result


async def rescore_all(scope: CreditScope) -> CreditCheck:
    """The nightly scoring of every debtor not erased."""
    ids = await Debtor.filter(erased_at__isnull=True).order_by("id").values_list("id", flat=True)
    return await check_credit(scope, [int(i) for i in ids])


async def _store_bands(cards: Sequence[CreditCard], now: dt.datetime) -> None:
    by_band: dict[str, list[int]] = {}
    for card in cards:
        by_band.setdefault(card.score.band, []).append(card.debtor_id)
    for band, ids in by_band.items():
        await Debtor.filter(id__in=ids).update(risk_band=band, risk_scored_at=now)


async def _alert(scope: CreditScope, card: CreditCard, *, worse: bool, over_limit: bool) -> int:
    context = {
        **card_context(card),
        "over_limit": over_limit,
        "previous_band": card.stored_band if worse else "",
    }
    day = scope.today.isoformat()
    parts = [f"credit:{card.debtor_id}:{day}"]
    if worse:
        parts.append(f"band-{card.score.band}")
    if over_limit:
        parts.append(f"over-{card.exposure.total_cents}")
    debtor = await Debtor.get(id=card.debtor_id)
    queued = await queue_staff_alert(
        ALERT_TEMPLATE, context, now=scope.now, debtor=debtor, idempotency_key=":".join(parts)
    )
    return 1 if queued is not None else 0
