"""SEPA Direct Debit offered by the policy (`[payments] sepa_debit = true`) to business debtors:
the Checkout Session asks the fake Stripe for `sepa_debit`, the debit settles days later
(pending, then succeeded), and a debit returned afterwards reverses the payment."""

from __future__ import annotations

from typing import Any

import httpx

from bot.config import Settings
from bot.models import Debtor, DebtorKind, Invoice, InvoiceStatus, Payment, PaymentStatus
from bot.payments.links import make_pay_link
from bot.policy_payments import PaymentsPolicy
from bot.runtime import Runtime
from tests.providers.stripe.fake_stripe import FakeStripe, deliver_webhook
from tests.support.payment_data import (
    NOW,
    make_debtor,
    make_invoice,
    make_runtime,
    pay_client,
    token_of,
)


def sepa_runtime(settings: Settings, allowed: bool) -> Runtime:
    runtime = make_runtime(settings)
    policy = runtime.policy.model_copy(update={"payments": PaymentsPolicy(sepa_debit=allowed)})
    return Runtime(settings=settings, policy=policy, now=lambda: NOW)


async def open_session(
    client: httpx.AsyncClient, fake: FakeStripe, settings: Settings, debtor: Debtor
) -> tuple[dict[str, Any], list[str]]:
    invoice = await make_invoice(debtor, f"F-{debtor.external_ref}", 12000, days_overdue=5)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    response = await client.post(f"/pay/{token_of(url)}/checkout")
    assert response.status_code == 303, response.text
    _, _, form, _ = fake.requests[-1]
    session_id = response.headers["location"].rsplit("/", 1)[1]
    return fake.sessions[session_id], form["payment_method_types"]


async def deliver(client: httpx.AsyncClient, kind: str, obj: dict[str, Any]) -> str:
    response = await deliver_webhook(client, FakeStripe.event(kind, obj))
    assert response.status_code == 200, response.text
    return response.json()["outcome"]


async def test_sepa_offered_to_business_debtors_only_where_the_policy_allows(
    db: str, fake: FakeStripe, live_settings: Settings
):
    business = await Debtor.create(external_ref="B1", name="Bianchi S.p.A.", vat_number="IT01")
    consumer = await make_debtor("P1", "Mario Verdi")
    consumer.kind = DebtorKind.CONSUMER  # Debtor.kind: the import sets it (a VAT number: business)
    await consumer.save()
    async with pay_client(sepa_runtime(live_settings, True)) as client:
        _, methods = await open_session(client, fake, live_settings, business)
        assert methods == ["card", "sepa_debit"]
        _, methods = await open_session(client, fake, live_settings, consumer)
        assert methods == ["card"]
    other = await Debtor.create(external_ref="B2", name="Neri S.r.l.", vat_number="IT02")
    async with pay_client(sepa_runtime(live_settings, False)) as client:
        _, methods = await open_session(client, fake, live_settings, other)
        assert methods == ["card"]


async def test_sepa_pending_then_settled_then_returned(
    db: str, fake: FakeStripe, live_settings: Settings
):
    debtor = await Debtor.create(external_ref="B1", name="Bianchi S.p.A.", vat_number="IT01")
    async with pay_client(sepa_runtime(live_settings, True)) as client:
        session, _ = await open_session(client, fake, live_settings, debtor)
        started = fake.complete(session["id"], payment_status="unpaid", method="sepa_debit")
        assert await deliver(client, "checkout.session.completed", started) == "pending"
        assert (await Payment.get()).status is PaymentStatus.PENDING
        assert (await Invoice.get()).status is InvoiceStatus.OPEN

        settled = fake.settle(session["id"], succeeded=True)
        assert await deliver(client, "checkout.session.async_payment_succeeded", settled) == "paid"
        assert (await Invoice.get()).status is InvoiceStatus.PAID

        # Weeks later the debtor's bank returns the debit (a SEPA "chargeback"): a dispute.
        returned = fake.dispute(session["id"], status="lost")
        assert await deliver(client, "charge.dispute.created", returned) == "reversed"
        invoice = await Invoice.get()
        assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.OPEN, 0)
