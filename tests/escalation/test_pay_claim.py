"""The pay page shows principal, interest to date and the €40 apart; with collect_on_pay_link
the Stripe Checkout (tests/providers/stripe/fake_stripe.py) collects them as their own line
items, and the payment's principal alone is allocated to the invoices."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import Settings
from bot.escalation.claims import load_claim
from bot.formats import money
from bot.models import DebtorKind, Invoice, InvoiceStatus, Payment, PaymentStatus
from bot.payments.links import make_pay_link
from bot.policy import Policy, load_policy
from bot.policy_interest import Interest
from bot.runtime import Runtime
from tests.providers.stripe.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, deliver_webhook
from tests.support.payment_data import NOW, TODAY, local, make_debtor, make_invoice, pay_client

CELL = '</td><td class="num">'
STATUTORY = Interest(basis="statutory", compensation=True, consumer_legal_interest=True)


def runtime(settings: Settings, interest: Interest) -> Runtime:
    policy: Policy = load_policy(settings.policy_file).model_copy(update={"interest": interest})
    return Runtime(settings=settings, policy=policy, now=lambda: NOW)


def text_of(page: httpx.Response) -> str:
    return html.unescape(page.text).replace("\xa0", " ")


def eur(cents: int, language: str = "it") -> str:
    return money(cents, "EUR", language).replace("\xa0", " ")


async def test_the_page_shows_principal_interest_and_the_40_apart(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-001", 100_000, days_overdue=40)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(runtime(settings, STATUTORY)) as client:
        page = text_of(await client.get(f"/pay/{url.rsplit('/', 1)[1]}"))
    claim = await load_claim(debtor.id, TODAY, STATUTORY)
    # 40 days at 2.15 + 8 = 10.15 % a year on 1,000.00: 11.1233 -> 11.12
    assert (claim.principal_cents, claim.interest_cents, claim.compensation_cents) == (
        100_000,
        1_112,
        4_000,
    )
    assert f"Capitale, interessi e indennizzo al {TODAY.day} novembre {TODAY.year}" in page
    assert f"Interessi di mora (D.Lgs. 231/2002) maturati{CELL}{eur(1_112)}" in page
    assert f"40 € per fattura pagata in ritardo{CELL}{eur(4_000)}" in page
    assert f"Totale{CELL}{eur(105_112)}" in page
    assert "il solo capitale; interessi e indennizzo restano dovuti" in page
    assert f"Paghi {eur(100_000)} con carta" not in page  # no Stripe here: bank transfer only


async def test_a_consumer_page_claims_no_statutory_interest_nor_the_40(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor(language="en")
    debtor.kind = DebtorKind.CONSUMER
    debtor.in_default_since = TODAY - dt.timedelta(days=20)
    await debtor.save()
    invoice = await make_invoice(debtor, "F-2026-002", 100_000, days_overdue=40)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(runtime(settings, STATUTORY)) as client:
        page = text_of(await client.get(f"/pay/{url.rsplit('/', 1)[1]}"))
    # 20 days at the 2026 legal rate, 1.60 %, on €1,000.00: 0.8767 -> €0.88
    assert f"Legal interest (art. 1284 Civil Code) accrued{CELL}{eur(88, 'en')}" in page
    assert "D.Lgs. 231/2002" not in page and "€40" not in page and "compensation</td>" not in page
    nothing = Interest(basis="statutory", compensation=True)
    async with pay_client(runtime(settings, nothing)) as client:
        plain = text_of(await client.get(f"/pay/{url.rsplit('/', 1)[1]}"))
    assert "interest" not in plain.lower()


@pytest.fixture
async def fake() -> AsyncIterator[FakeStripe]:
    server = FakeStripe()
    await server.start()
    yield server
    await server.stop()


async def test_the_checkout_collects_them_as_line_items_and_allocates_the_principal(
    db: str, settings: Settings, fake: FakeStripe
) -> None:
    live = settings.model_copy(
        update={
            "stripe_api_key": API_KEY,
            "stripe_api_base": fake.base_url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
        }
    )
    debtor = await make_debtor()
    older = await make_invoice(debtor, "F-2026-010", 100_000, days_overdue=40)
    newer = await make_invoice(debtor, "F-2026-011", 20_000, days_overdue=10)
    other = await make_invoice(debtor, "F-2026-012", 30_000, days_overdue=5)
    url = await make_pay_link(live, debtor, "balance", invoice_ids=[older.id, newer.id])
    token = url.rsplit("/", 1)[1]
    collect = STATUTORY.model_copy(update={"collect_on_pay_link": True})
    claim = await load_claim(debtor.id, TODAY, collect, invoice_ids=[older.id, newer.id])
    # 40 days on 1,000.00 and 10 days on 200.00 at 10.15 %: 11.12 + 0.56
    assert [line.interest_cents for line in claim.lines] == [1_112, 56]
    async with pay_client(runtime(live, collect)) as client:
        page = text_of(await client.get(f"/pay/{token}"))
        assert f"Paghi {eur(120_000 + 1_168 + 8_000)} con carta" in page
        assert "Il pagamento con carta comprende capitale, interessi e indennizzo" in page
        clicked = await client.post(f"/pay/{token}/checkout")
        assert clicked.status_code == 303
        session = fake.sessions[clicked.headers["location"].rsplit("/", 1)[1]]
        _, _, form, _ = fake.requests[-1]
        items = [
            (i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"])
            for i in form["line_items"]
        ]
        assert [cents for _, cents in items] == ["120000", "1168", "8000"]
        assert items[1][0].startswith(f"Interessi di mora al {TODAY.day} novembre")
        assert items[2][0].startswith("Indennizzo forfettario art. 6 D.Lgs. 231/2002 (2 fatture)")
        assert form["metadata"]["interest_cents"] == "1168"
        assert form["metadata"]["compensation_cents"] == "8000"
        assert session["amount_total"] == 129_168
        event = FakeStripe.event("checkout.session.completed", fake.complete(session["id"]))
        response = await deliver_webhook(client, event)
        assert response.json()["outcome"] == "paid"
    payment = await Payment.get(debtor=debtor)
    assert (payment.amount_cents, payment.status, payment.unallocated_cents) == (
        129_168,
        PaymentStatus.SUCCEEDED,
        0,
    )
    for invoice in (older, newer):
        await invoice.refresh_from_db()
        assert invoice.status is InvoiceStatus.PAID
    assert (await Invoice.get(id=other.id)).paid_cents == 0  # the interest paid nothing else


async def test_the_sandbox_checkout_collects_them_too(db: str, settings: Settings) -> None:
    sandbox = local(settings)
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-020", 50_000, days_overdue=20)
    url = await make_pay_link(sandbox, debtor, "balance", invoice_ids=[invoice.id])
    collect = STATUTORY.model_copy(update={"collect_on_pay_link": True})
    async with pay_client(runtime(sandbox, collect)) as client:
        done = await client.post(f"/pay/{url.rsplit('/', 1)[1]}/checkout")
        assert done.status_code == 303
    payment = await Payment.get(debtor=debtor)
    # 20 days at 10.15 % on 500.00: 2.7808 -> 2.78, and the €40
    assert (payment.amount_cents, payment.unallocated_cents) == (50_000 + 278 + 4_000, 0)
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID and invoice.paid_cents == 50_000
