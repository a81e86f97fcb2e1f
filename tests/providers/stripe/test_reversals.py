"""Stripe refunds, disputes and failed SEPA debits end to end: Checkout paid through the real
`stripe` client against tests/providers/stripe/fake_stripe.py, then the reversal events posted to
our webhook with real signatures, in order, out of order and twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentReversal,
    PaymentStatus,
    ReversalStatus,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.links import make_pay_link
from bot.payments.recording import record_payment
from bot.texts import render as render_text
from tests.providers.stripe.fake_stripe import FakeStripe, deliver_webhook
from tests.support.payment_data import (
    NOW,
    make_debtor,
    make_invoice,
    make_runtime,
    messages,
    pay_client,
    token_of,
)

REVERSED = "payments/staff_payment_reversed.txt"
RESTORED = "payments/staff_payment_restored.txt"


@pytest.fixture
async def client(db: str, live_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with pay_client(make_runtime(live_settings)) as http:
        yield http


def render(template: str, language: str, **context: Any) -> str:
    return render_text(template, language, **context).replace("\xa0", " ")


async def deliver(client: httpx.AsyncClient, kind: str, obj: dict[str, Any], **kw: Any) -> str:
    response = await deliver_webhook(client, FakeStripe.event(kind, obj, **kw))
    assert response.status_code == 200, response.text
    return response.json()["outcome"]


async def paid_session(
    client: httpx.AsyncClient, fake: FakeStripe, settings: Settings, invoices: list[Invoice]
) -> dict[str, Any]:
    """Two invoices paid in one Checkout: the session as Stripe holds it afterwards."""
    debtor = await Debtor.get(id=invoices[0].debtor_id)  # type: ignore[attr-defined]
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[i.id for i in invoices])
    response = await client.post(f"/pay/{token_of(url)}/checkout")
    session_id = response.headers["location"].rsplit("/", 1)[1]
    completed = fake.complete(session_id)
    assert await deliver(client, "checkout.session.completed", completed) == "paid"
    return completed


async def two_invoices() -> tuple[Debtor, Invoice, Invoice]:
    debtor = await make_debtor()
    older = await make_invoice(debtor, "F-2026-001", 10000, days_overdue=40)
    newer = await make_invoice(debtor, "F-2026-002", 5050, days_overdue=10)
    return debtor, older, newer


async def reloaded(*invoices: Invoice) -> list[Invoice]:
    return [await Invoice.get(id=invoice.id) for invoice in invoices]


async def test_partial_refund_reopens_the_newest_invoice_and_alerts_staff(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    refund = fake.refund(session["id"], 3000)

    assert await deliver(client, "refund.created", refund) == "reversed"
    older, newer = await reloaded(older, newer)
    assert (older.status, older.paid_cents) == (InvoiceStatus.PAID, 10000)
    assert (newer.status, newer.paid_cents) == (InvoiceStatus.PARTIALLY_PAID, 2050)
    allocation = await PaymentAllocation.get(invoice=newer)
    assert allocation.amount_cents == 2050

    # The same refund again, as charge.refunded (it lists its refunds) and as a repeat: nothing.
    charge = fake.charge(session["id"])
    assert await deliver(client, "charge.refunded", charge) == "already"
    assert await deliver(client, "refund.updated", refund) == "already"
    assert (await Invoice.get(id=newer.id)).paid_cents == 2050

    debtor = await Debtor.get(id=debtor.id)
    assert debtor.paused_until == NOW + dt.timedelta(days=3)  # [payments] reopen_grace_days
    [alert] = await messages(REVERSED)
    assert alert.audience == "staff"
    text = render(REVERSED, "it", **alert.context)
    assert "Rimborso per Rossi S.r.l. (C001): 30,00 €" in text
    assert "pagamento di 150,50 €" in text
    assert "fattura F-2026-002: 30,00 €, scaduta dal 13 novembre 2026" in text
    assert "F-2026-001" not in text
    assert (
        "Totale riaperto: 30,00 €" in text and "I solleciti riprendono dal 26 novembre 2026" in text
    )
    english = render(REVERSED, "en", **alert.context)
    assert "Refund for Rossi S.r.l. (C001): €30.00" in english
    assert "invoice F-2026-002: €30.00, overdue since 13 November 2026" in english
    assert await AuditEvent.filter(action="payment_reversed").count() == 1


async def test_charge_refunded_first_lists_the_refunds_from_stripe(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    refund = fake.refund(session["id"], 15050)
    charge = fake.charge(session["id"])
    del charge["refunds"]  # as recent API versions send it: refunds not expanded

    assert await deliver(client, "charge.refunded", charge) == "reversed"
    _, path, _, _ = fake.requests[-1]
    assert path == "/v1/refunds"
    assert await deliver(client, "refund.created", refund) == "already"
    older, newer = await reloaded(older, newer)
    assert (older.status, older.paid_cents) == (InvoiceStatus.OPEN, 0)
    assert (newer.status, newer.paid_cents) == (InvoiceStatus.OPEN, 0)
    assert not await PaymentAllocation.exists()
    text = render(REVERSED, "it", **(await messages(REVERSED))[0].context)
    assert "fattura F-2026-002: 50,50 €" in text and "fattura F-2026-001: 100,00 €" in text
    assert "Totale riaperto: 150,50 €" in text


async def test_a_refund_that_fails_puts_the_payment_back_for_good(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    succeeded = fake.refund(session["id"], 5050, refund_id="re_1")
    failed = fake.refund(session["id"], 5050, refund_id="re_1", status="failed")

    assert await deliver(client, "refund.created", succeeded) == "reversed"
    assert (await Invoice.get(id=newer.id)).status is InvoiceStatus.OPEN
    assert await deliver(client, "refund.failed", failed) == "restored"
    assert (await Invoice.get(id=newer.id)).status is InvoiceStatus.PAID
    # A stale "succeeded" delivered again after the failure changes nothing.
    assert await deliver(client, "refund.updated", succeeded) == "final"
    assert (await Invoice.get(id=newer.id)).status is InvoiceStatus.PAID
    text = render(RESTORED, "en", **(await messages(RESTORED))[0].context)
    assert "Refund cancelled for Rossi S.r.l. (C001): €50.50 is collected again." in text
    assert "invoice F-2026-002: paid" in text


async def test_dispute_lost_and_won_in_either_order(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    opened = fake.dispute(session["id"], dispute_id="dp_1")
    won = {**opened, "status": "won"}

    assert await deliver(client, "charge.dispute.created", opened) == "reversed"
    assert [i.status for i in await reloaded(older, newer)] == [InvoiceStatus.OPEN] * 2
    assert await deliver(client, "charge.dispute.funds_withdrawn", opened) == "already"
    assert await deliver(client, "charge.dispute.closed", won) == "restored"
    assert [i.status for i in await reloaded(older, newer)] == [InvoiceStatus.PAID] * 2
    text = render(RESTORED, "it", **(await messages(RESTORED))[0].context)
    assert "Contestazione vinta per Rossi S.r.l. (C001): 150,50 € sono di nuovo incassati." in text

    # A second dispute, closed (lost) before its creation is seen: reversed once, for good.
    lost = fake.dispute(session["id"], dispute_id="dp_2", status="lost", amount=5050)
    assert await deliver(client, "charge.dispute.closed", lost) == "reversed_final"
    assert await deliver(
        client, "charge.dispute.created", {**lost, "status": "needs_response"}
    ) == ("final")
    assert await deliver(client, "charge.dispute.funds_reinstated", lost) == "final"
    older, newer = await reloaded(older, newer)
    assert (older.status, newer.status) == (InvoiceStatus.PAID, InvoiceStatus.OPEN)


async def test_dispute_won_before_created_is_seen_changes_nothing(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    won = fake.dispute(session["id"], dispute_id="dp_3", status="won")
    assert await deliver(client, "charge.dispute.closed", won) == "void"
    assert await deliver(client, "charge.dispute.created", {**won, "status": "needs_response"}) == (
        "final"
    )
    assert [i.status for i in await reloaded(older, newer)] == [InvoiceStatus.PAID] * 2
    inquiry = fake.dispute(session["id"], dispute_id="dp_4", status="warning_needs_response")
    assert await deliver(client, "charge.dispute.created", inquiry) == "inquiry"
    assert not await messages(REVERSED)


async def test_refund_before_the_payment_waits_for_it(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor, older, newer = await two_invoices()
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[older.id, newer.id])
    response = await client.post(f"/pay/{token_of(url)}/checkout")
    session_id = response.headers["location"].rsplit("/", 1)[1]
    completed = fake.complete(session_id)
    refund = fake.refund(session_id, 5050)

    assert await deliver(client, "refund.created", refund) == "waiting"
    assert (await PaymentReversal.get()).status is ReversalStatus.WAITING
    assert await deliver(client, "checkout.session.completed", completed) == "paid"
    assert (await PaymentReversal.get()).status is ReversalStatus.APPLIED
    older, newer = await reloaded(older, newer)
    assert (older.status, newer.status) == (InvoiceStatus.PAID, InvoiceStatus.OPEN)


async def test_sepa_debit_failing_after_success_reverses_a_card_failure_does_not(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    card = fake.charge(session["id"], status="failed", failure_message="card_declined")
    assert await deliver(client, "charge.failed", card) == "ignored"
    failed = fake.charge(
        session["id"], method="sepa_debit", status="failed", failure_message="insufficient_funds"
    )
    assert await deliver(client, "charge.failed", failed) == "reversed"
    intent = {
        "id": session["payment_intent"],
        "object": "payment_intent",
        "amount": 15050,
        "last_payment_error": {"message": "x", "payment_method": {"type": "sepa_debit"}},
    }
    assert await deliver(client, "payment_intent.payment_failed", intent) == "already"
    assert [i.status for i in await reloaded(older, newer)] == [InvoiceStatus.OPEN] * 2
    text = render(REVERSED, "it", **(await messages(REVERSED))[0].context)
    assert text.startswith("↩️ Addebito SEPA non andato a buon fine per Rossi S.r.l.")
    assert "Motivo: fondi insufficienti" in text  # Stripe's code, said in Italian


async def test_sepa_pending_then_failed_by_payment_intent_event(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor, older, _ = await two_invoices()
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[older.id])
    response = await client.post(f"/pay/{token_of(url)}/checkout")
    session_id = response.headers["location"].rsplit("/", 1)[1]
    started = fake.complete(session_id, payment_status="unpaid", method="sepa_debit")
    assert await deliver(client, "checkout.session.completed", started) == "pending"
    intent = {
        "id": started["payment_intent"],
        "object": "payment_intent",
        "amount": 10000,
        "last_payment_error": {
            "message": "debit refused",
            "payment_method": {"type": "sepa_debit"},
        },
    }
    assert await deliver(client, "payment_intent.payment_failed", intent) == "failed"
    assert (await Payment.get()).status is PaymentStatus.FAILED
    failed = fake.settle(session_id, succeeded=False)
    assert await deliver(client, "checkout.session.async_payment_failed", failed) == (
        "already_settled"
    )
    assert (await Invoice.get(id=older.id)).status is InvoiceStatus.OPEN


async def test_a_malformed_refund_is_parked(client: httpx.AsyncClient, fake: FakeStripe):
    response = await deliver_webhook(
        client, FakeStripe.event("refund.created", {"id": "re_x", "amount": "lots"})
    )
    assert response.status_code == 200 and response.json()["outcome"] == "parked"


async def test_a_dispute_won_after_the_debtor_paid_again_keeps_the_money_unallocated(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    opened = fake.dispute(session["id"], dispute_id="dp_9", amount=5050)
    assert await deliver(client, "charge.dispute.created", opened) == "reversed"
    # Meanwhile the debtor pays F-2026-002 again by bank transfer.
    await record_payment(
        live_settings, NOW, debtor_id=debtor.id, amount_cents=5050, currency="EUR",
        method=PaymentMethod.BANK_TRANSFER, provider_ref="bank:1", received_at=NOW,
        target=PaymentTarget(invoice_ids=(newer.id,)),
    )  # fmt: skip
    assert await deliver(client, "charge.dispute.closed", {**opened, "status": "won"}) == "restored"
    stripe_payment = await Payment.get(provider_ref=session["payment_intent"])
    assert stripe_payment.unallocated_cents == 5050  # never paid twice on the same invoice
    assert (await Invoice.get(id=newer.id)).paid_cents == 5050
    text = render(RESTORED, "it", **(await messages(RESTORED))[0].context)
    assert "50,50 € non attribuiti a fatture (già pagate nel frattempo)" in text


async def test_two_partial_refunds_add_up(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    _, older, newer = await two_invoices()
    session = await paid_session(client, fake, live_settings, [older, newer])
    fake.refund(session["id"], 5050, refund_id="re_a")
    fake.refund(session["id"], 4000, refund_id="re_b")
    outcome = await deliver(client, "charge.refunded", fake.charge(session["id"]))
    assert outcome == "reversed,reversed"
    older, newer = await reloaded(older, newer)
    assert (older.paid_cents, older.status) == (6000, InvoiceStatus.PARTIALLY_PAID)
    assert (newer.paid_cents, newer.status) == (0, InvoiceStatus.OPEN)
    assert await AuditEvent.filter(action="payment_reversed").count() == 2


async def test_a_waiting_refund_is_applied_by_its_next_news_once_the_payment_is_known(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor, older, _ = await two_invoices()
    refund = {
        "id": "re_w",
        "object": "refund",
        "amount": 2000,
        "status": "succeeded",
        "payment_intent": "pi_elsewhere",
    }
    assert await deliver(client, "refund.created", refund) == "waiting"
    await record_payment(
        live_settings, NOW, debtor_id=debtor.id, amount_cents=10000, currency="EUR",
        method=PaymentMethod.STRIPE, provider_ref="pi_elsewhere", received_at=NOW,
        target=PaymentTarget(invoice_ids=(older.id,)),
    )  # fmt: skip
    assert await deliver(client, "refund.updated", refund) == "reversed"
    assert await deliver(client, "refund.updated", refund) == "already"
    assert (await Invoice.get(id=older.id)).paid_cents == 8000
