"""Exposure: open and not yet due, every invoice that still carries a balance."""

from __future__ import annotations

import datetime as dt

from bot.credit.exposure import Exposure, load_exposure
from bot.models import InvoiceStatus
from tests.support.scheduler_data import make_debtor, make_invoice

TODAY = dt.date(2026, 11, 25)


async def test_exposure_splits_overdue_from_not_yet_due(db: str) -> None:
    debtor = await make_debtor()
    other = await make_debtor("Bianchi S.p.A.")
    await make_invoice(
        debtor,
        TODAY - dt.timedelta(days=1),
        10_000,
        paid_cents=2_500,
        status=InvoiceStatus.PARTIALLY_PAID,
    )
    await make_invoice(debtor, TODAY, 20_000)  # due today: not overdue yet
    await make_invoice(debtor, TODAY - dt.timedelta(days=40), 5_000, status=InvoiceStatus.IN_PLAN)
    await make_invoice(
        debtor, TODAY - dt.timedelta(days=40), 7_000, status=InvoiceStatus.PAID, paid_cents=7_000
    )
    await make_invoice(debtor, TODAY - dt.timedelta(days=9), 9_000, status=InvoiceStatus.CANCELLED)
    exposures = await load_exposure(TODAY)
    assert exposures == {
        debtor.id: Exposure(overdue_cents=12_500, not_due_cents=20_000, open_invoices=3)
    }
    assert exposures[debtor.id].total_cents == 32_500
    assert other.id not in exposures
    assert await load_exposure(TODAY, debtor_ids=[other.id]) == {}
