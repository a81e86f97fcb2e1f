"""A debtor's claim read from the database: `load_claim(debtor_id, as_of, policy)`.

The debtor's open invoices (open or partly paid; or the ones named) and the dated payments
allocated to them are read in two queries, then bot/escalation/interest.py reckons the claim
with the repository's rate tables (bot/escalation/rates.py). A payment's day is the day it was
received in the debtor's time zone. What an invoice shows as paid without a dated allocation (an
import's paid amount) counts as paid before the due date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.escalation.claim import Claim
from bot.escalation.interest import OpenInvoice, Paid, build_claim
from bot.escalation.rates import Rates, default_rates
from bot.models import (
    CHASEABLE_STATUSES,
    CLOSED_STATUSES,
    Debtor,
    DebtorKind,
    Invoice,
    PaymentAllocation,
    PaymentStatus,
)
from bot.policy import Policy
from bot.policy_interest import Interest


async def load_claim(
    debtor_id: int,
    as_of: dt.date,
    policy: Policy | Interest,
    *,
    invoice_ids: Sequence[int] | None = None,
    rates: Rates | None = None,
) -> Claim:
    """What is claimed from the debtor on `as_of`: per overdue invoice (or per invoice named in
    `invoice_ids` that is still open) the principal, the interest to that day, the €40."""
    interest = policy.interest if isinstance(policy, Policy) else policy
    debtor = await Debtor.get(id=debtor_id)
    query = Invoice.filter(debtor_id=debtor_id)
    if invoice_ids is not None:
        query = query.filter(id__in=list(invoice_ids)).exclude(status__in=CLOSED_STATUSES)
    else:  # what is claimed is what is overdue: an invoice not yet due is never in a claim
        query = query.filter(status__in=CHASEABLE_STATUSES, due_date__lt=as_of)
    invoices = await query.order_by("due_date", "id")
    payments = await _dated_payments([invoice.id for invoice in invoices], debtor.timezone)
    opened = [_open_invoice(invoice, payments.get(invoice.id, ())) for invoice in invoices]
    return build_claim(
        debtor_id,
        as_of,
        debtor.kind == DebtorKind.BUSINESS,
        debtor.in_default_since,
        opened,
        interest,
        rates or default_rates(),
    )


async def _dated_payments(invoice_ids: list[int], timezone: str) -> dict[int, list[Paid]]:
    found: dict[int, list[Paid]] = defaultdict(list)
    if not invoice_ids:
        return found
    zone = ZoneInfo(timezone)
    rows = await PaymentAllocation.filter(
        invoice_id__in=invoice_ids, payment__status=PaymentStatus.SUCCEEDED
    ).values_list("invoice_id", "amount_cents", "payment__received_at")
    for invoice_id, cents, received_at in rows:
        found[int(invoice_id)].append(Paid(received_at.astimezone(zone).date(), int(cents)))
    return found


def _open_invoice(invoice: Invoice, payments: Sequence[Paid]) -> OpenInvoice:
    dated = sum(p.cents for p in payments)
    undated = max(invoice.paid_cents - dated, 0)
    return OpenInvoice(
        invoice_id=invoice.id,
        number=invoice.number,
        due_date=invoice.due_date,
        currency=invoice.currency,
        # Credit notes and discounts (discount_cents) and write-offs are never claimed.
        owed_cents=max(
            invoice.amount_cents - invoice.discount_cents - invoice.written_off_cents - undated, 0
        ),
        payments=tuple(sorted(payments, key=lambda p: p.day)),
    )
