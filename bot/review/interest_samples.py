"""Samples for the interest texts (bot/escalation/showing.py): the claim line staff read, the
pay page's claim section, the Stripe line items' names. The figures are reckoned by
bot/escalation/interest.py from the repository's rate tables on a fixed day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.escalation.claim import Claim
from bot.escalation.interest import OpenInvoice, Paid, build_claim
from bot.escalation.rates import default_rates
from bot.policy_interest import Interest

AS_OF = dt.date(2026, 3, 31)
INVOICES = (
    OpenInvoice(1, "F-2025-088", dt.date(2025, 9, 30), "EUR", 1_248_000,
                (Paid(dt.date(2025, 12, 15), 248_000),)),
    OpenInvoice(2, "F-2026-007", dt.date(2026, 1, 31), "EUR", 100_000),
)  # fmt: skip


def sample_claim(business: bool = True, **policy: Any) -> Claim:
    interest = Interest(**policy) if policy else Interest(basis="statutory", compensation=True)
    in_default = None if business else dt.date(2026, 2, 10)
    return build_claim(7, AS_OF, business, in_default, INVOICES, interest, default_rates())


def _samples() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    business = sample_claim()
    consumer = sample_claim(False, consumer_legal_interest=True)
    stale = Claim(**{**vars(business), "rates_stale": True})
    due = {"currency": "EUR"}
    return {
        "escalation/claim.txt": [
            ("a business: statutory interest and the €40", {"claim": business, "currency": "EUR"}),
            (
                "a consumer: legal interest from the day put in default",
                {"claim": consumer, "currency": "EUR"},
            ),
            ("the rate table out of date", {"claim": stale, "currency": "EUR"}),
        ],
        "pay/claim.html": [
            (
                "shown, the card pays the principal only",
                {"claim": business, "due": due, "collect_claim": False},
            ),
            (
                "collected by the card checkout",
                {"claim": business, "due": due, "collect_claim": True},
            ),
        ],
        "pay/claim_item.txt": [
            ("interest", {"item": "interest", "claim": business}),
            ("compensation", {"item": "compensation", "claim": business}),
            ("a consumer's legal interest", {"item": "interest", "claim": consumer}),
        ],
    }


def add_interest_samples(
    samples: dict[str, list[tuple[str, dict[str, Any]]]], page: dict[str, Any]
) -> None:
    """Adds the interest samples, and a pay page that shows (and collects) a claim."""
    samples.update(_samples())
    business = sample_claim()
    extra = business.interest_cents + business.compensation_cents
    samples["pay/page.html"].append(
        (
            "balance with interest and the €40, collected by card",
            {**page, "claim": business, "collect_claim": True, "card_extra_cents": extra},
        ),
    )
