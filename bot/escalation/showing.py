"""The claim shown to people: on the pay page (principal, interest to date and the €40 as
separate figures; collected by the card checkout when the policy says so), in `/debtor`'s and
`history`'s header, and the Stripe line items' names. Texts: templates/<lang>/escalation/."""

from __future__ import annotations

import datetime as dt

from bot.escalation.claim import Claim
from bot.escalation.claims import load_claim
from bot.payments.links import Due, DueReason
from bot.policy import Policy
from bot.texts import render

# A discount or an instalment is an agreement on an amount: no interest is shown beside it.
SHOWN_REASONS = (DueReason.BALANCE, DueReason.DISCOUNT_EXPIRED)
INTEREST = "interest"
COMPENSATION = "compensation"


def claims_something(claim: Claim) -> bool:
    return bool(claim.interest_cents or claim.compensation_cents)


def extra_cents(claim: Claim | None) -> int:
    """What the claim asks beyond the principal (interest and the €40)."""
    return claim.interest_cents + claim.compensation_cents if claim else 0


def claim_currency(claim: Claim) -> str:
    return claim.lines[0].currency if claim.lines else "EUR"


async def claim_for_due(policy: Policy, debtor_id: int, due: Due, today: dt.date) -> Claim | None:
    """The claim over the invoices a pay link asks for now, when it claims anything beyond them."""
    if not policy.interest.claims_anything or due.reason not in SHOWN_REASONS:
        return None
    if not due.invoices:
        return None
    ids = [invoice.id for invoice in due.invoices]
    claim = await load_claim(debtor_id, today, policy, invoice_ids=ids)
    return claim if claims_something(claim) else None


async def claim_line_text(
    policy: Policy, debtor_id: int, today: dt.date, language: str
) -> str | None:
    """The claim's line for staff (`/debtor`, `history`): None when it claims nothing beyond the
    principal."""
    if not policy.interest.claims_anything:
        return None
    claim = await load_claim(debtor_id, today, policy)
    if not claims_something(claim):
        return None
    return render("escalation/claim.txt", language, claim=claim, currency=claim_currency(claim))


def with_claim_line(score_line: str | None, claim_line: str | None) -> str | None:
    """The header's extra lines: the score's line, then the claim's (either may be missing)."""
    lines = [line for line in (score_line, claim_line) if line]
    return "\n".join(lines) or None


def item_names(claim: Claim, language: str, company: str) -> dict[str, str]:
    """The Stripe line items' names for the interest and the €40."""
    return {
        item: render("pay/claim_item.txt", language, item=item, claim=claim, company=company)
        for item in (INTEREST, COMPENSATION)
    }
