"""A debtor's credit card: the limit, the exposure (overdue and not yet due), the risk score with
its reasons, and what the band does. The same card in the terminal (`python -m bot credit check
REF`), in the staff chat (`/credit REF`) and in the staff alerts (bot/credit/alerts.py).

`card_context` turns a card into plain data (what an outbox row's context holds, JSON);
`render_card` and `score_line` render it from templates/<lang>/credit/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.credit.exposure import Exposure, load_exposure
from bot.credit.history import load_facts
from bot.credit.score import Facts, Score, score
from bot.models import Debtor
from bot.policy_credit import Band, Credit
from bot.texts import render


@dataclass(frozen=True)
class CreditCard:
    debtor_id: int
    name: str
    external_ref: str
    limit_cents: int | None
    exposure: Exposure
    score: Score
    band: Band  # the effects of the band the score falls in
    stored_band: str  # the band the last scoring stored on the debtor ("" before the first)

    @property
    def over_by_cents(self) -> int:
        """How far the exposure is past the limit (0 when within it or without a limit)."""
        if self.limit_cents is None:
            return 0
        return max(self.exposure.total_cents - self.limit_cents, 0)

    @property
    def over_limit(self) -> bool:
        return self.over_by_cents > 0


def build_card(
    debtor: Debtor, exposure: Exposure, facts: Facts, today: dt.date, credit: Credit
) -> CreditCard:
    found = score(facts, today, credit)
    return CreditCard(
        debtor_id=debtor.id,
        name=debtor.name,
        external_ref=debtor.external_ref,
        limit_cents=debtor.credit_limit_cents,
        exposure=exposure,
        score=found,
        band=credit.band_named(found.band),
        stored_band=debtor.risk_band,
    )


async def load_credit_cards(
    today: dt.date, debtors: Sequence[Debtor], *, zone: ZoneInfo, credit: Credit
) -> list[CreditCard]:
    """The cards of several debtors: the exposure and the facts in a few bulk queries."""
    ids = [debtor.id for debtor in debtors]
    exposures = await load_exposure(today, ids)
    facts = await load_facts(zone, ids)
    return [
        build_card(
            debtor,
            exposures.get(debtor.id, Exposure()),
            facts.get(debtor.id, Facts()),
            today,
            credit,
        )
        for debtor in debtors
    ]


async def load_credit_card(
    today: dt.date, debtor: Debtor, *, zone: ZoneInfo, credit: Credit
) -> CreditCard:
    [card] = await load_credit_cards(today, [debtor], zone=zone, credit=credit)
    return card


def card_context(card: CreditCard) -> dict[str, Any]:
    """The card as plain data (JSON): what the templates and an alert's outbox row hold."""
    band = card.band
    return {
        "name": card.name,
        "external_ref": card.external_ref,
        "limit_cents": card.limit_cents,
        "total_cents": card.exposure.total_cents,
        "overdue_cents": card.exposure.overdue_cents,
        "not_due_cents": card.exposure.not_due_cents,
        "open_invoices": card.exposure.open_invoices,
        "over_by_cents": card.over_by_cents,
        "headroom_cents": (
            max(card.limit_cents - card.exposure.total_cents, 0)
            if card.limit_cents is not None
            else None
        ),
        "points": card.score.points,
        "band": card.score.band,
        "reasons": [
            {
                "key": reason.key,
                "points": reason.points,
                "count": reason.count,
                "of": reason.of,
                "days": round(reason.days, 1),
            }
            for reason in card.score.reasons
        ],
        "effects": {
            "start_days_earlier": band.start_days_earlier,
            "firmer_template": band.firmer_template,
            "offer_discount": band.offer_discount,
            "auto_plans": band.auto_plans,
        },
    }


def render_card(card: CreditCard, language: str) -> str:
    return render("credit/card.txt", language, **card_context(card))


def score_line(card: CreditCard, language: str) -> str:
    """One line: the score, the band and the reasons that weigh most (for the /debtor card)."""
    return render("credit/score_line.txt", language, **card_context(card))
