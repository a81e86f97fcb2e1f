"""Stripe Checkout end to end: the real `stripe` client against
tests/providers/stripe/fake_stripe.py, webhooks with real signatures, and what each outcome does to
the books."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    ProcessedEvent,
)
from bot.payments.bank import debtor_reference
from bot.payments.links import make_pay_link
from bot.payments.reconcile import import_bank_statement
from tests.providers.stripe.fake_stripe import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    deliver_webhook,
    signature_header,
)
from tests.support.payment_data import (
    NOW,
    TODAY,
    make_debtor,
    make_invoice,
    make_plan,
    make_runtime,
    messages,
    pay_client,
    token_of,
)

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"


@pytest.fixture
def live_settings(settings: Settings, fake: FakeStripe) -> Settings:
    return settings.model_copy(
        update={
            "stripe_api_key": API_KEY,
            "stripe_api_base": fake.base_url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_payment_method_types": ["card", "sepa_debit"],
        }
    )


@pytest.fixture
async def client(db: str, live_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with pay_client(make_runtime(live_settings)) as http:
        yield http


async def click(client: httpx.AsyncClient, fake: FakeStripe, url: str) -> dict[str, Any]:
    """The debtor presses Pay: a fresh Checkout Session, and the redirect to it."""
    response = await client.post(f"/pay/{token_of(url)}/checkout")
    assert response.status_code == 303, response.text
    session_id = response.headers["location"].rsplit("/", 1)[1]
    return fake.sessions[session_id]


async def deliver(client: httpx.AsyncClient, kind: str, session: dict[str, Any], **kw: Any) -> str:
    response = await deliver_webhook(client, FakeStripe.event(kind, session, **kw))
    assert response.status_code == 200, response.text
    return response.json()["outcome"]


async def test_pay_in_full(client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings):
    debtor = await make_debtor()
    older = await make_invoice(debtor, "F-2026-001", 10000, days_overdue=40)
    newer = await make_invoice(debtor, "F-2026-002", 5050, days_overdue=10)
    reminder = await Message.create(
        debtor=debtor, direction="out", template="reminders/overdue_1.txt", step="overdue_1"
    )
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[older.id, newer.id])

    page = await client.get(f"/pay/{token_of(url)}")
    assert page.status_code == 200
    assert (
        "150,50" in page.text and "F-2026-001" in page.text and "Modalità di prova" not in page.text
    )

    session = await click(client, fake, url)
    method, path, form, headers = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert form["mode"] == "payment"
    price = form["line_items"][0]["price_data"]
    assert price["currency"] == "eur" and price["unit_amount"] == "15050"
    assert "F-2026-001" in price["product_data"]["name"]
    assert "F-2026-002" in price["product_data"]["name"]
    assert form["payment_method_types"] == ["card", "sepa_debit"]
    assert form["locale"] == "it" and "customer_email" not in form
    assert form["client_reference_id"].startswith("paylink-")
    assert form["metadata"]["debtor"] == str(debtor.id)
    assert form["metadata"]["purpose"] == "balance"
    assert form["success_url"].startswith(f"https://sollecito.example/pay/{token_of(url)}/success")
    assert form["cancel_url"] == f"https://sollecito.example/pay/{token_of(url)}/cancel"
    assert headers["idempotency-key"].startswith("paylink-")
    assert headers["authorization"] == f"Bearer {API_KEY}"

    completed = fake.complete(session["id"])
    assert await deliver(client, COMPLETED, completed) == "paid"

    payment = await Payment.get(debtor=debtor)
    assert payment.provider_ref == completed["payment_intent"]
    assert (payment.amount_cents, payment.status, payment.unallocated_cents) == (
        15050,
        PaymentStatus.SUCCEEDED,
        0,
    )
    for invoice in (older, newer):
        await invoice.refresh_from_db()
        assert invoice.status is InvoiceStatus.PAID and invoice.balance_cents == 0
    await reminder.refresh_from_db()
    assert reminder.status is MessageStatus.CANCELLED

    (receipt,) = await messages("payments/receipt.txt")
    assert receipt.audience == "debtor" and receipt.context["remaining_cents"] == 0
    (alert,) = await messages("payments/staff_payment_received.txt")
    assert alert.audience == "staff"
    actions = set(await AuditEvent.all().values_list("action", flat=True))
    assert {"checkout_opened", "payment_recorded", "invoice_paid", "reminders_cancelled"} <= actions

    after = await client.get(f"/pay/{token_of(url)}")
    assert "nulla da pagare" in after.text


async def test_pay_the_discount(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor(language="en")
    await ContactPoint.create(
        debtor=debtor, channel=Channel.EMAIL, address="pec@rossi.example", is_pec=True
    )
    await ContactPoint.create(debtor=debtor, channel=Channel.EMAIL, address="conti@rossi.example")
    invoice = await make_invoice(debtor, "F-2026-010", 10000, days_overdue=-5)
    url = await make_pay_link(
        live_settings,
        debtor,
        "discount",
        invoice_ids=[invoice.id],
        amount_cents=9800,
        valid_until=TODAY + dt.timedelta(days=3),
    )
    page = await client.get(f"/pay/{token_of(url)}")
    assert "€98.00" in page.text and "€100.00" in page.text and "discount" in page.text

    session = await click(client, fake, url)
    form = fake.requests[-1][2]
    assert form["line_items"][0]["price_data"]["unit_amount"] == "9800"
    assert form["locale"] == "en" and form["metadata"]["discount_cents"] == "9800"
    assert form["customer_email"] == "conti@rossi.example"

    assert await deliver(client, COMPLETED, fake.complete(session["id"])) == "paid"
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID
    assert (invoice.paid_cents, invoice.discount_cents, invoice.balance_cents) == (9800, 200, 0)
    (receipt,) = await messages("payments/receipt.txt")
    assert receipt.context["discount_cents"] == 200
    assert await AuditEvent.exists(action="discount_granted")


async def test_pay_one_instalment_then_the_plan_completes(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-020", 30000, days_overdue=60)
    plan, instalments = await make_plan(debtor, [invoice], [10000, 10000, 10000])

    first_url = await make_pay_link(
        live_settings, debtor, "instalment", invoice_ids=[], instalment=instalments[0]
    )
    page = await client.get(f"/pay/{token_of(first_url)}")
    assert "Rata n. 1" in page.text and "100,00" in page.text
    session = await click(client, fake, first_url)
    assert fake.requests[-1][2]["metadata"]["instalment"] == str(instalments[0].id)
    assert await deliver(client, COMPLETED, fake.complete(session["id"])) == "paid"

    first = await Instalment.get(id=instalments[0].id)
    assert (first.status, first.paid_cents) == (InstalmentStatus.PAID, 10000)
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.IN_PLAN, 10000)
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.ACTIVE
    assert "nulla da pagare" in (await client.get(f"/pay/{token_of(first_url)}")).text

    for instalment in instalments[1:]:
        url = await make_pay_link(
            live_settings, debtor, "instalment", invoice_ids=[], instalment=instalment
        )
        session = await click(client, fake, url)
        assert await deliver(client, COMPLETED, fake.complete(session["id"])) == "paid"
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.COMPLETED
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID
    assert await AuditEvent.exists(action="plan_completed")


async def test_sepa_pending_then_succeeded(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-030", 20000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)

    started = fake.complete(session["id"], payment_status="unpaid", method="sepa_debit")
    assert await deliver(client, COMPLETED, started) == "pending"
    payment = await Payment.get(debtor=debtor)
    assert payment.status is PaymentStatus.PENDING
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.OPEN, 0)
    assert not await messages("payments/receipt.txt")
    page = await client.get(f"/pay/{token_of(url)}")
    assert "in corso di accredito" in page.text and "<form" not in page.text

    settled = fake.settle(session["id"], succeeded=True)
    assert await deliver(client, SUCCEEDED, settled) == "paid"
    await payment.refresh_from_db()
    assert payment.status is PaymentStatus.SUCCEEDED
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID
    assert len(await messages("payments/receipt.txt")) == 1


async def test_sepa_pending_then_failed(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-031", 20000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)
    started = fake.complete(session["id"], payment_status="unpaid", method="sepa_debit")
    assert await deliver(client, COMPLETED, started) == "pending"

    bounced = fake.settle(session["id"], succeeded=False)
    assert await deliver(client, FAILED, bounced) == "failed"
    payment = await Payment.get(debtor=debtor)
    assert payment.status is PaymentStatus.FAILED
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.OPEN, 0)
    assert not await PaymentAllocation.exists()
    assert not await messages("payments/receipt.txt")
    (alert,) = await messages("payments/staff_payment_failed.txt")
    assert alert.audience == "staff"
    # The link asks for the whole amount again.
    assert "200,00" in (await client.get(f"/pay/{token_of(url)}")).text


async def _books(debtor: Debtor) -> list[tuple[Any, ...]]:
    payments = (
        await Payment.filter(debtor=debtor)
        .order_by("id")
        .values_list("amount_cents", "status", "unallocated_cents")
    )
    invoices = await Invoice.filter(debtor=debtor).values_list("paid_cents", "status")
    receipts = await Message.filter(debtor=debtor, template="payments/receipt.txt").count()
    alerts = await Message.filter(debtor=debtor, audience="staff").count()
    return [tuple(payments), tuple(invoices), receipts, alerts]


async def test_duplicate_and_out_of_order_webhooks_end_the_same(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    results = []
    for ref, backwards in (("C001", False), ("C002", True)):
        debtor = await make_debtor(ref)
        invoice = await make_invoice(debtor, f"F-{ref}", 12345)
        url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
        session = await click(client, fake, url)
        started = fake.complete(session["id"], payment_status="unpaid", method="sepa_debit")
        started_event = FakeStripe.event(COMPLETED, started)
        settled_event = FakeStripe.event(SUCCEEDED, fake.settle(session["id"], succeeded=True))
        if not backwards:
            assert (await deliver_webhook(client, started_event)).json()["outcome"] == "pending"
            assert (await deliver_webhook(client, settled_event)).json()["outcome"] == "paid"
        else:
            # Settled before started, every event delivered twice, and a stray "completed paid".
            outcomes = [
                (await deliver_webhook(client, event)).json()["outcome"]
                for event in (settled_event, settled_event, started_event, started_event)
            ]
            assert outcomes == ["paid", "duplicate", "already_known", "duplicate"]
            paid_again = {**started, "payment_status": "paid"}
            assert await deliver(client, COMPLETED, paid_again) == "already_recorded"
        results.append(await _books(debtor))
    assert results[0] == results[1]
    assert results[0][0] == ((12345, PaymentStatus.SUCCEEDED, 0),)
    assert results[0][2] == 1


async def test_forged_signature_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-050", 5000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)
    event = FakeStripe.event(COMPLETED, fake.complete(session["id"]))

    wrong_secret = await deliver_webhook(client, event, secret="whsec_not_ours")
    no_header = await deliver_webhook(client, event, signature="")
    other = FakeStripe.event(COMPLETED, {**event["data"]["object"], "amount_total": 1})
    borrowed = signature_header(json.dumps(other, separators=(",", ":")), WEBHOOK_SECRET)
    replayed_on_other_body = await deliver_webhook(client, event, signature=borrowed)
    stale = signature_header(json.dumps(event, separators=(",", ":")), WEBHOOK_SECRET, 1_000)
    too_old = await deliver_webhook(client, event, signature=stale)

    for response in (wrong_secret, no_header, replayed_on_other_body, too_old):
        assert response.status_code == 400
        assert response.json() == {"error": "invalid signature"}
    assert not await ProcessedEvent.exists()
    assert not await Payment.exists()
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.OPEN


async def test_expired_session_then_a_new_click(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-060", 7000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    first = await click(client, fake, url)
    first_key = fake.requests[-1][3]["idempotency-key"]

    assert await deliver(client, EXPIRED, fake.expire(first["id"])) == "expired"
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.OPEN, 0)
    assert not await Payment.exists()

    second = await click(client, fake, url)
    assert second["id"] != first["id"]
    assert fake.requests[-1][3]["idempotency-key"] != first_key
    assert second["amount_total"] == 7000
    assert await deliver(client, COMPLETED, fake.complete(second["id"])) == "paid"
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID


async def test_card_payment_after_bank_transfer_is_flagged_as_overpayment(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-070", 25000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)  # the debtor opens checkout, then hesitates

    statement = (
        "Data contabile;Importo;Descrizione\n"
        f"20/11/2026;250,00;BONIFICO DA ROSSI SRL {debtor_reference(debtor.id)} F-2026-070\n"
    )
    report = await import_bank_statement(live_settings, NOW, statement.encode(), "estratto.csv")
    assert len(report.matched) == 1
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID

    # ... and pays by card anyway, on the session opened before.
    assert await deliver(client, COMPLETED, fake.complete(session["id"])) == "paid"
    card = await Payment.get(provider_ref=fake.sessions[session["id"]]["payment_intent"])
    assert (card.amount_cents, card.unallocated_cents) == (25000, 25000)
    (flag,) = await messages("payments/staff_overpayment.txt")
    assert flag.audience == "staff" and flag.context["unallocated_cents"] == 25000
    assert await AuditEvent.exists(action="overpayment_flagged")
    await invoice.refresh_from_db()
    assert invoice.paid_cents == 25000  # the invoice is not paid twice


async def test_stripe_refusing_the_key_shows_a_polite_page(
    db: str, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-080", 1000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    wrong_key = live_settings.model_copy(update={"stripe_api_key": "sk_test_wrong"})
    async with pay_client(make_runtime(wrong_key)) as http:
        response = await http.post(f"/pay/{token_of(url)}/checkout")
    assert response.status_code == 503
    assert "bonifico" in response.text
    assert not fake.sessions


async def test_a_transient_stripe_error_is_retried_with_the_same_idempotency_key(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-090", 1000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    fake.fail_next = 1
    session = await click(client, fake, url)
    keys = [headers["idempotency-key"] for _, _, _, headers in fake.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(fake.sessions) == 1 and session["amount_total"] == 1000


async def test_concurrent_deliveries_record_one_payment(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-095", 4000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)
    paid = fake.complete(session["id"])
    completed = FakeStripe.event(COMPLETED, paid)
    succeeded = FakeStripe.event(SUCCEEDED, paid)
    responses = await asyncio.gather(
        *(deliver_webhook(client, event) for event in (completed, completed, succeeded, completed))
    )
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes.count("paid") == 1 and outcomes.count("duplicate") == 2
    assert await Payment.all().count() == 1
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.PAID, 4000)
    assert await Message.filter(template="payments/receipt.txt").count() == 1


async def test_a_new_click_closes_the_session_of_the_previous_one(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-100", 3000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    first = await click(client, fake, url)
    second = await click(client, fake, url)
    assert fake.sessions[first["id"]]["status"] == "expired"
    assert fake.sessions[second["id"]]["status"] == "open"
    expire_calls = [path for method, path, _, _ in fake.requests if path.endswith("/expire")]
    assert expire_calls == [f"/v1/checkout/sessions/{first['id']}/expire"]

    # The debtor pays on the session still open; the link then waits for SEPA to settle.
    fake.complete(second["id"], payment_status="unpaid", method="sepa_debit")
    await deliver(client, COMPLETED, fake.sessions[second["id"]])
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.OPEN  # SEPA still settling
    page = await client.get(f"/pay/{token_of(url)}")
    assert "in corso di accredito" in page.text


async def test_success_page_says_what_stripe_knows_of_the_links_own_session(
    client: httpx.AsyncClient, fake: FakeStripe, live_settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-110", 3000)
    url = await make_pay_link(live_settings, debtor, "balance", invoice_ids=[invoice.id])
    session = await click(client, fake, url)
    success = f"/pay/{token_of(url)}/success?session_id="

    generic = await client.get(success + session["id"])
    assert "Il pagamento è stato avviato" in generic.text  # still open: nothing known yet
    fake.complete(session["id"], payment_status="unpaid", method="sepa_debit")
    assert "addebito SEPA è stato avviato" in (await client.get(success + session["id"])).text
    fake.settle(session["id"], succeeded=True)
    assert "Pagamento ricevuto" in (await client.get(success + session["id"])).text
    # Another session id is not looked up at all.
    lookups = len(fake.requests)
    other = await client.get(success + "cs_test_someone_else")
    assert "Il pagamento è stato avviato" in other.text and len(fake.requests) == lookups
    # Visiting the page records nothing: only the signed webhook does.
    assert not await Payment.exists()
