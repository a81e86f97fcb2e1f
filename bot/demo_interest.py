"""The demo's interest stage: an overdue invoice of the demo shows the late-payment interest to
date and the €40, per invoice and in total, as the pay page and /debtor show them.

Called by bot/demo.py after the last stage, on the demo's fixed clock, through load_claim (the
same reading the pay page, /debtor and the formal notice use).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.escalation.claims import load_claim
from bot.escalation.interest import STATUTORY_POINTS
from bot.escalation.rates import default_rates
from bot.escalation.showing import claim_line_text
from bot.formats import money
from bot.models import CHASEABLE_STATUSES, Debtor, DebtorKind, Invoice
from bot.runtime import Runtime


def _euros(cents: int) -> str:
    return money(cents, "EUR", "en")


async def _overdue_business(runtime: Runtime) -> Debtor | None:
    """The business debtor whose oldest open invoice is the most overdue."""
    invoice = (
        await Invoice.filter(
            status__in=CHASEABLE_STATUSES,
            due_date__lt=runtime.today(),
            debtor__kind=DebtorKind.BUSINESS,
            currency="EUR",
        )
        .order_by("due_date", "id")
        .prefetch_related("debtor")
        .first()
    )
    return invoice.debtor if invoice else None


async def show_interest(runtime: Runtime, out: Callable[[str], None]) -> bool:
    """Prints the claim of the most overdue business debtor; False if the demo has none."""
    out("")
    out("== 13. Late-payment interest and the €40 on an overdue invoice (docs/interest.md)")
    policy = runtime.policy
    debtor = await _overdue_business(runtime)
    if debtor is None:
        out("   no overdue invoice of a business debtor")
        return False
    today = runtime.today()
    claim = await load_claim(debtor.id, today, policy)
    rate, beyond = default_rates().reference.rate_on(today)
    out(
        f"   {debtor.name}: policy basis {policy.interest.basis}; this half-year "
        f"{rate}% + {STATUTORY_POINTS} points = {rate + STATUTORY_POINTS}% a year"
        + (" (last published rate: the table needs `python -m bot rates add`)" if beyond else "")
    )
    for line in claim.lines:
        days = max((today - line.due_date).days, 0)
        out(
            f"   {line.number} due {line.due_date:%d/%m/%Y} ({days} days late): principal "
            f"{_euros(line.principal_cents)}, interest {_euros(line.interest_cents)}, "
            f"compensation {_euros(line.compensation_cents)}"
        )
    out(
        f"   total: principal {_euros(claim.principal_cents)} + interest "
        f"{_euros(claim.interest_cents)} + compensation {_euros(claim.compensation_cents)} = "
        f"{_euros(claim.total_cents)}"
    )
    staff_line = await claim_line_text(policy, debtor.id, today, runtime.settings.default_language)
    out(f"   /debtor {debtor.external_ref} shows: {staff_line}")
    return claim.interest_cents > 0 and claim.compensation_cents > 0
