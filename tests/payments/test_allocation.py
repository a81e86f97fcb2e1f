"""Allocation: the rule as a pure function, and recording with its side effects."""

from __future__ import annotations

from bot.config import Settings
from bot.models import (
    Channel,
    ContactPoint,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentMethod,
)
from bot.payments.allocation import InvoiceBalance, PaymentTarget, allocate
from bot.payments.recording import record_payment
from bot.texts import render
from scheduler.rendering import render_context, render_for_channel
from tests.support.payment_data import NOW, make_debtor, make_invoice, make_runtime


def test_purpose_first_then_oldest_first_and_the_rest_left_over() -> None:
    oldest, middle, newest = InvoiceBalance(1, 100), InvoiceBalance(2, 200), InvoiceBalance(3, 300)
    result = allocate(350, first=[newest], then=[oldest, middle])
    assert result.shares == ((3, 300), (1, 50))
    assert result.unallocated_cents == 0
    over = allocate(700, first=[], then=[oldest, middle, newest])
    assert over.shares == ((1, 100), (2, 200), (3, 300)) and over.unallocated_cents == 100
    assert allocate(50, first=[InvoiceBalance(9, 0)], then=[]).unallocated_cents == 50


async def _pay(settings: Settings, debtor_id: int, cents: int, ref: str, **target: object):  # type: ignore[no-untyped-def]
    return await record_payment(
        settings,
        NOW,
        debtor_id=debtor_id,
        amount_cents=cents,
        currency="EUR",
        method=PaymentMethod.MANUAL,
        provider_ref=ref,
        received_at=NOW,
        target=PaymentTarget(**target),  # type: ignore[arg-type]
    )


async def test_disputed_invoices_get_only_money_meant_for_them(db: str, settings: Settings):
    debtor = await make_debtor()
    disputed = await make_invoice(
        debtor, "F-D", 10000, days_overdue=90, status=InvoiceStatus.DISPUTED
    )
    chased = await make_invoice(debtor, "F-C", 10000, days_overdue=30)
    recorded = await _pay(settings, debtor.id, 5000, "manual:1")
    assert recorded is not None
    assert [(i.number, c) for i, c in recorded.shares] == [("F-C", 5000)]
    await chased.refresh_from_db()
    assert chased.status is InvoiceStatus.PARTIALLY_PAID and chased.balance_cents == 5000

    await _pay(settings, debtor.id, 10000, "manual:2", invoice_ids=(disputed.id,))
    await disputed.refresh_from_db()
    assert disputed.status is InvoiceStatus.PAID


async def test_the_same_provider_ref_lands_once(db: str, settings: Settings):
    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 10000)
    assert await _pay(settings, debtor.id, 4000, "bank:TX1") is not None
    assert await _pay(settings, debtor.id, 4000, "bank:TX1") is None
    assert await Payment.all().count() == 1
    assert (await Invoice.get(number="F-1")).paid_cents == 4000


async def test_reminders_about_paid_invoices_are_cancelled_others_stay(db: str, settings: Settings):
    debtor = await make_debtor()
    first = await make_invoice(debtor, "F-1", 10000, days_overdue=30)
    second = await make_invoice(debtor, "F-2", 20000, days_overdue=5)

    async def reminder(step: str, ids: list[int]) -> Message:
        return await Message.create(
            debtor=debtor,
            direction="out",
            template=step,
            step=step,
            context={"kind": "reminder", "invoices": [{"id": i} for i in ids]},
        )

    about_first = await reminder("overdue_2", [first.id])
    about_both = await reminder("overdue_1", [first.id, second.id])
    await _pay(settings, debtor.id, 10000, "manual:1", invoice_ids=(first.id,))
    await about_first.refresh_from_db()
    await about_both.refresh_from_db()
    assert about_first.status is MessageStatus.CANCELLED
    assert about_both.status is MessageStatus.PENDING

    await _pay(settings, debtor.id, 20000, "manual:2")
    await about_both.refresh_from_db()
    assert about_both.status is MessageStatus.CANCELLED


async def test_the_dispatcher_can_render_the_receipt_on_every_channel(db: str, settings: Settings):
    debtor = await make_debtor(language="en")
    await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393330000000")
    await make_invoice(debtor, "F-1", 10000)
    await _pay(settings, debtor.id, 12000, "manual:1")
    runtime = make_runtime(settings)
    for template in ("payments/receipt.txt", "payments/staff_overpayment.txt"):
        row = await Message.get(template=template)
        context = render_context(runtime, debtor, row.context, "")
        for channel in Channel:
            text, _, _ = render_for_channel(row.template, channel, "en", context)
            assert "€120.00" in text and "€20.00" in text
    receipt = await Message.get(template="payments/receipt.txt")
    assert "fattura F-1: 100,00" in render(receipt.template, "it", **receipt.context)
