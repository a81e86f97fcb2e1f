"""The undo rule of a reversal (bot/payments/reversal_plan.py): unallocated money first, then the
newest invoice first; never more than the payment holds."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.payments.reversal_plan import Share, plan_undo

D = dt.date(2026, 11, 1)


def test_unallocated_first_then_newest_invoice_first():
    held = [Share(1, D, 10_000), Share(2, D + dt.timedelta(days=30), 5_050)]
    undo = plan_undo(6_000, 500, held)
    assert (undo.from_unallocated, undo.beyond_cents) == (500, 0)
    assert undo.shares == ((2, 5_050), (1, 450))
    undo = plan_undo(8_000, 500, held)
    assert undo.shares == ((2, 5_050), (1, 2_450)) and undo.total == 8_000


def test_more_than_the_payment_holds_is_reported_not_undone():
    undo = plan_undo(20_000, 0, [Share(1, D, 10_000)])
    assert (undo.shares, undo.beyond_cents) == (((1, 10_000),), 10_000)


@given(
    amount=st.integers(0, 10**7),
    unallocated=st.integers(0, 10**5),
    cents=st.lists(st.integers(1, 10**6), max_size=6),
)
def test_the_undo_never_takes_more_than_asked_or_held(amount, unallocated, cents):
    held = [Share(i, D + dt.timedelta(days=i), c) for i, c in enumerate(cents, start=1)]
    undo = plan_undo(amount, unallocated, held)
    assert undo.total + undo.beyond_cents == amount
    assert undo.from_unallocated <= unallocated
    by_id = {share.invoice_id: share.cents for share in held}
    assert all(0 < taken <= by_id[i] for i, taken in undo.shares)
    ids = [i for i, _ in undo.shares]
    assert ids == sorted(ids, reverse=True)  # newest (latest due) first
    assert undo.beyond_cents == 0 or undo.total == unallocated + sum(cents)
