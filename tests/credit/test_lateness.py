"""Days late: one meaning for the score, the early warning and the forecast."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.credit.lateness import Settled, by_debtor, load_settled, weight, weighted_days_late
from bot.models import PaymentMethod
from bot.payments.recording import record_payment
from tests.support.scheduler_data import make_debtor, make_invoice

TODAY = dt.date(2026, 11, 25)
ROME = ZoneInfo("Europe/Rome")


def settled(due: dt.date, paid: dt.date, debtor_id: int = 1, invoice_id: int = 1) -> Settled:
    return Settled(debtor_id, invoice_id, due, paid, 10_000)


def test_no_history_has_no_lateness() -> None:
    assert weighted_days_late([], TODAY) is None


def test_early_payments_count_as_on_time() -> None:
    rows = [settled(TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=40))]
    assert rows[0].days_late == -10
    assert weighted_days_late(rows, TODAY) == 0


def test_a_recent_invoice_weighs_more_than_an_old_one() -> None:
    old_due = TODAY - dt.timedelta(days=360)
    recent_due = TODAY - dt.timedelta(days=0)
    assert weight(old_due, TODAY) == pytest.approx(0.25)
    rows = [
        settled(old_due, old_due + dt.timedelta(days=40)),
        settled(recent_due, recent_due),
    ]
    # 40 days late at weight 0.25, on time at weight 1: (0.25 * 40) / 1.25
    assert weighted_days_late(rows, TODAY) == pytest.approx(8.0)


def test_grouped_per_debtor_oldest_first() -> None:
    a = settled(TODAY, TODAY, debtor_id=1, invoice_id=2)
    b = settled(TODAY - dt.timedelta(days=5), TODAY, debtor_id=1, invoice_id=3)
    c = settled(TODAY, TODAY, debtor_id=2, invoice_id=4)
    assert by_debtor([a, b, c]) == {1: [b, a], 2: [c]}


async def test_settled_on_the_local_date_of_the_payment_that_closed_it(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, TODAY - dt.timedelta(days=20), 30_000)
    still_open = await make_invoice(debtor, TODAY - dt.timedelta(days=20), 50_000)
    first = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)
    # 23:30 UTC on the 19th is already the 20th in Rome.
    last = dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC)
    for ref, cents, at in (("p1", 10_000, first), ("p2", 20_000, last)):
        await record_payment(
            settings,
            at,
            debtor_id=debtor.id,
            amount_cents=cents,
            currency="EUR",
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=ref,
            received_at=at,
        )
    rows = await load_settled(ROME)
    assert [(r.invoice_id, r.paid, r.days_late) for r in rows] == [
        (invoice.id, dt.date(2026, 11, 20), 15)
    ]
    assert still_open.id not in {r.invoice_id for r in rows}
    assert await load_settled(ROME, debtor_ids=[debtor.id + 1]) == []
