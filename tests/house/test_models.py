"""The data model: constraints that protect the data whatever the code above them does."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.exceptions import IntegrityError

from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    Payment,
    PaymentMethod,
    ProcessedEvent,
    StaffMember,
)

TODAY = dt.date(2026, 11, 23)


async def _debtor(ref: str = "C001") -> Debtor:
    return await Debtor.create(external_ref=ref, name="Rossi S.r.l.")


async def test_debtor_external_ref_is_unique(db: str) -> None:
    await _debtor()
    with pytest.raises(IntegrityError):
        await _debtor()


async def test_invoice_number_is_unique_and_money_is_integer_cents(db: str) -> None:
    debtor = await _debtor()
    invoice = await Invoice.create(
        number="F-1", debtor=debtor, issue_date=TODAY, due_date=TODAY, amount_cents=123456
    )
    fetched = await Invoice.get(id=invoice.id)
    assert fetched.amount_cents == 123456 and isinstance(fetched.amount_cents, int)
    assert fetched.status is InvoiceStatus.OPEN
    assert fetched.balance_cents == 123456
    with pytest.raises(IntegrityError):
        await Invoice.create(
            number="F-1", debtor=debtor, issue_date=TODAY, due_date=TODAY, amount_cents=1
        )


async def test_contact_point_is_unique_per_debtor_channel_address(db: str) -> None:
    debtor = await _debtor()
    await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331234567")
    with pytest.raises(IntegrityError):
        await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331234567")
    other = await _debtor("C002")
    # The same number may belong to two debtors (one bookkeeper for two companies).
    await ContactPoint.create(debtor=other, channel=Channel.SMS, address="+393331234567")


async def test_message_idempotency_key_is_unique(db: str) -> None:
    debtor = await _debtor()
    await Message.create(debtor=debtor, direction=Direction.OUTBOUND, idempotency_key="k1")
    with pytest.raises(IntegrityError):
        await Message.create(debtor=debtor, direction=Direction.OUTBOUND, idempotency_key="k1")
    # Rows without a key (logs) do not collide.
    await Message.create(debtor=debtor, direction=Direction.INBOUND)
    await Message.create(debtor=debtor, direction=Direction.INBOUND)


async def test_payment_provider_ref_lands_once(db: str) -> None:
    debtor = await _debtor()
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    await Payment.create(
        debtor=debtor,
        amount_cents=100,
        method=PaymentMethod.STRIPE,
        provider_ref="pi_1",
        received_at=now,
    )
    with pytest.raises(IntegrityError):
        await Payment.create(
            debtor=debtor,
            amount_cents=100,
            method=PaymentMethod.STRIPE,
            provider_ref="pi_1",
            received_at=now,
        )


async def test_processed_event_is_unique_per_provider(db: str) -> None:
    await ProcessedEvent.create(provider="stripe", event_id="evt_1")
    await ProcessedEvent.create(provider="telegram", event_id="evt_1")
    with pytest.raises(IntegrityError):
        await ProcessedEvent.create(provider="stripe", event_id="evt_1")


async def test_staff_telegram_user_is_unique(db: str) -> None:
    await StaffMember.create(telegram_user_id=42, name="Anna", approval_limit_cents=500000)
    with pytest.raises(IntegrityError):
        await StaffMember.create(telegram_user_id=42, name="Anna bis")


async def test_tables_are_empty_at_each_test_start(db: str) -> None:
    assert await Debtor.all().count() == 0
