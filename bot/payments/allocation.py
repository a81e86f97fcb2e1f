"""Allocating a payment to the debtor's invoices: the rule, and what a payment was for and what
its recording did.

The rule (`allocate`): the payment goes first to what it was for (the pay link's invoices, or the
invoices of the instalment's plan), then to the debtor's other open invoices, oldest due date
first. Disputed invoices only receive money they were explicitly paid for. Whatever is left is
recorded on the payment as unallocated and flagged to staff: an overpayment is never lost.
Recording it is bot/payments/recording.py; what follows (receipt, staff alerts, audit) is
bot/payments/receipts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.models import (
    Instalment,
    Invoice,
    Payment,
)


@dataclass(frozen=True)
class InvoiceBalance:
    id: int
    balance_cents: int


@dataclass(frozen=True)
class Allocation:
    shares: tuple[tuple[int, int], ...]  # (invoice id, cents), in allocation order
    unallocated_cents: int


def allocate(
    amount_cents: int, first: Sequence[InvoiceBalance], then: Sequence[InvoiceBalance]
) -> Allocation:
    """Spread an amount over invoices: `first` in order, then `then` in order; the rest is left."""
    left = amount_cents
    shares: list[tuple[int, int]] = []
    seen: set[int] = set()
    for invoice in [*first, *then]:
        if left <= 0:
            break
        if invoice.id in seen or invoice.balance_cents <= 0:
            continue
        seen.add(invoice.id)
        share = min(left, invoice.balance_cents)
        shares.append((invoice.id, share))
        left -= share
    return Allocation(shares=tuple(shares), unallocated_cents=max(left, 0))


@dataclass(frozen=True)
class PaymentTarget:
    """What a payment was meant for, as our link or the bank reference says."""

    invoice_ids: tuple[int, ...] = ()
    instalment_id: int | None = None
    # For a discount in force: paying at least this much settles `invoice_ids` in full.
    discount_cents: int | None = None
    pay_link_id: int | None = None
    purpose: str = ""
    # Interest and the €40 paid with the principal (a checkout that collected them): kept out of
    # the invoices' allocation.
    extra_cents: int = 0


@dataclass
class RecordedPayment:
    payment: Payment
    shares: list[tuple[Invoice, int]] = field(default_factory=list)
    discount_granted_cents: int = 0
    newly_paid: list[Invoice] = field(default_factory=list)
    instalment: Instalment | None = None
    plan_completed: bool = False

    @property
    def unallocated_cents(self) -> int:
        return self.payment.unallocated_cents
