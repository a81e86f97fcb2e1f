"""Which allocations a reversal undoes: a pure rule on plain data (bot/payments/reversal.py
applies it).

**The rule: money not on any invoice first, then the newest invoice first.** A payment is
allocated oldest invoice first (bot/payments/allocation.py); undoing it newest first is the exact
inverse, so a partial refund leaves the books as a smaller payment would have left them: the
oldest invoices stay paid, the newest reopen. Proportional undoing would reopen every invoice a
little, and turn one settled invoice into several partly paid ones for the same money.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple


class Share(NamedTuple):
    """What a payment holds on one invoice."""

    invoice_id: int
    due_date: dt.date
    cents: int


@dataclass(frozen=True)
class Undo:
    from_unallocated: int  # taken back from the payment's unallocated money
    shares: tuple[tuple[int, int], ...]  # (invoice id, cents) undone, newest invoice first
    beyond_cents: int  # asked for more than the payment still holds: nothing to undo for it

    @property
    def total(self) -> int:
        return self.from_unallocated + sum(cents for _, cents in self.shares)


def plan_undo(amount_cents: int, unallocated_cents: int, held: Sequence[Share]) -> Undo:
    """Undo `amount_cents` of a payment that holds `held` on invoices and `unallocated_cents`."""
    if amount_cents < 0:
        raise ValueError("a reversal amount cannot be negative")
    left = amount_cents
    from_unallocated = min(left, max(unallocated_cents, 0))
    left -= from_unallocated
    shares: list[tuple[int, int]] = []
    for share in sorted(held, key=lambda s: (s.due_date, s.invoice_id), reverse=True):
        if left <= 0:
            break
        take = min(left, share.cents)
        if take > 0:
            shares.append((share.invoice_id, take))
            left -= take
    return Undo(from_unallocated, tuple(shares), left)
