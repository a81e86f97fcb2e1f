"""The facts the score reads, loaded for many debtors in a few queries (bot/credit/history.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.credit.history import load_facts
from bot.credit.score import Facts
from bot.models import (
    Channel,
    ContactPoint,
    Dispute,
    DisputeReason,
    DisputeStatus,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.payments.recording import record_payment
from tests.support.scheduler_data import add_contact, make_debtor, make_invoice

TODAY = dt.date(2026, 11, 25)
ROME = ZoneInfo("Europe/Rome")
NOON = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)


async def pay(settings: Settings, debtor_id: int, cents: int, ref: str, at: dt.datetime) -> None:
    await record_payment(
        settings,
        at,
        debtor_id=debtor_id,
        amount_cents=cents,
        currency="EUR",
        method=PaymentMethod.BANK_TRANSFER,
        provider_ref=ref,
        received_at=at,
    )


async def test_every_kind_of_fact_is_counted_for_its_own_debtor(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor(channels=(Channel.SMS, Channel.EMAIL))
    other = await make_debtor("Bianchi S.p.A.")
    # Paid in two parts, 15 days late; another partly paid; one only imported as partly paid.
    await make_invoice(debtor, dt.date(2026, 11, 5), 30_000)
    await pay(settings, debtor.id, 10_000, "p1", NOON - dt.timedelta(days=5))
    await pay(settings, debtor.id, 20_000, "p2", NOON)
    await make_invoice(
        debtor,
        dt.date(2026, 11, 10),
        50_000,
        paid_cents=1_000,
        status=InvoiceStatus.PARTIALLY_PAID,
    )
    await Payment.create(
        debtor=debtor,
        amount_cents=5_000,
        method=PaymentMethod.STRIPE,
        status=PaymentStatus.FAILED,
        received_at=NOON,
    )
    await PromiseToPay.create(debtor=debtor, promised_date=TODAY, status=PromiseStatus.BROKEN)
    await PromiseToPay.create(debtor=debtor, promised_date=TODAY, status=PromiseStatus.KEPT)
    for status in (PlanStatus.BROKEN, PlanStatus.COMPLETED):
        await PaymentPlan.create(
            debtor=debtor, status=status, total_cents=1, instalment_count=2, first_due_date=TODAY
        )
    for status in (
        DisputeStatus.OPEN,
        DisputeStatus.CHASING_RESUMED,
        DisputeStatus.RESOLVED,
        DisputeStatus.INVOICE_CANCELLED,
    ):
        await Dispute.create(debtor=debtor, reason=DisputeReason.OTHER, status=status)
    await ContactPoint.filter(debtor_id=debtor.id, channel=Channel.SMS).update(
        unreachable_at=NOON, unreachable_reason="invalid number"
    )
    await add_contact(other, Channel.EMAIL)

    facts = await load_facts(ROME)
    mine = facts[debtor.id]
    assert [(s.days_late, s.amount_cents) for s in mine.settled] == [(15, 30_000)]
    assert mine.broken_promises == 1
    assert mine.lapsed_plans == 1
    assert mine.disputes == 2  # open, and closed with the chase resumed
    assert mine.failed_payments == 1
    assert mine.partial_payments == 2  # paid in two parts, and partly paid now
    assert mine.unreachable_points == 1
    assert other.id not in facts  # nothing on record: Facts() is empty
    assert await load_facts(ROME, [other.id]) == {}
    assert (await load_facts(ROME, [debtor.id]))[debtor.id] == mine
    assert Facts().empty and not mine.empty
