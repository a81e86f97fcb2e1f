"""The credit card's samples for the texts review: real cards (bot/credit/card.py) built from
made-up histories, so the review shows what the code computes, not a hand-written context."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.credit.card import build_card, card_context
from bot.credit.exposure import Exposure
from bot.credit.lateness import Settled
from bot.credit.score import Facts
from bot.models import Debtor
from bot.policy_credit import Credit

TODAY = dt.date(2026, 11, 23)


def _paid(days_ago: int, days_late: int, invoice_id: int) -> Settled:
    due = TODAY - dt.timedelta(days=days_ago)
    return Settled(7, invoice_id, due, due + dt.timedelta(days=days_late), 300_000)


def _card(limit: int | None, exposure: Exposure, facts: Facts, stored: str) -> dict[str, Any]:
    debtor = Debtor(
        id=7,
        external_ref="C001",
        name="Rossi Costruzioni S.r.l.",
        credit_limit_cents=limit,
        risk_band=stored,
    )
    return card_context(build_card(debtor, exposure, facts, TODAY, Credit()))


LATE = Facts(
    settled=(_paid(400, 0, 1), _paid(90, 10, 2), _paid(60, 20, 3), _paid(30, 30, 4)),
    broken_promises=2,
    lapsed_plans=1,
    failed_payments=1,
)
OVER = _card(5_000_000, Exposure(4_120_000, 1_430_050, 3), LATE, "B")
NEW = _card(None, Exposure(), Facts(), "")
CALM = _card(2_000_000, Exposure(0, 480_000, 1), Facts(settled=(_paid(60, 0, 5),)), "A")
# Two invoices written off (bot/writeoffs.py): a bad fact, not a settled one.
WRITTEN = _card(None, Exposure(), Facts(settled=(_paid(60, 0, 5),), written_off=2), "B")

CREDIT_SAMPLES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "credit/card.txt": [
        ("over the limit, several reasons", OVER),
        ("no history, no limit", NEW),
        ("pays on time", CALM),
    ],
    "credit/score_line.txt": [
        ("several reasons", OVER),
        ("no history", NEW),
        ("invoices written off", WRITTEN),
    ],
    "staff/credit_alert.txt": [
        ("over the limit and a worse band", {**OVER, "over_limit": True, "previous_band": "B"}),
        ("over the limit", {**OVER, "over_limit": True, "previous_band": ""}),
        ("a worse band", {**OVER, "over_limit": False, "previous_band": "B"}),
    ],
}
