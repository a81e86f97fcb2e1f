"""What a debtor owes on a day, as a `Claim`: per overdue invoice the principal still open.

This is the notice's own minimal reading (interest and the fixed compensation at 0); the
late-payment interest under D.Lgs. 231/2002 and the €40 are computed by the interest module of
issue 17 part 1, which keeps this signature. Everything that shows a claim (the formal notice's
PDF and texts) reads the figures from the `Claim`, never its own.
"""

from __future__ import annotations

import datetime as dt

from bot.escalation.claim import Claim, ClaimLine
from bot.models import CHASEABLE_STATUSES, Debtor, Invoice
from bot.policy import Policy


async def load_claim(debtor_id: int, as_of: dt.date, policy: Policy) -> Claim:
    """The debtor's overdue invoices (due before `as_of`, still open) as a claim."""
    debtor = await Debtor.get(id=debtor_id)
    invoices = await Invoice.filter(
        debtor_id=debtor_id, status__in=CHASEABLE_STATUSES, due_date__lt=as_of
    ).order_by("due_date", "id")
    lines = tuple(
        ClaimLine(
            invoice_id=invoice.id,
            number=invoice.number,
            due_date=invoice.due_date,
            currency=invoice.currency,
            principal_cents=invoice.balance_cents,
            interest_cents=0,
            compensation_cents=0,
        )
        for invoice in invoices
        if invoice.balance_cents > 0
    )
    return Claim(
        debtor_id=debtor_id,
        as_of=as_of,
        is_business=bool(debtor.vat_number),
        basis="none",
        lines=lines,
    )
