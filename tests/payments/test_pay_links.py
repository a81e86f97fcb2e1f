"""Durable pay links: tokens, what a link asks for over time, the pages, the sandbox checkout."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    PayLink,
    Payment,
)
from bot.payments.checkout import SandboxOnly, complete_sandbox_checkout, pay_link_in_sandbox
from bot.payments.links import (
    ALPHABET,
    DueReason,
    Purpose,
    decide_due,
    due_now,
    make_pay_link,
    resolve_token,
)
from bot.texts import render
from tests.support.payment_data import (
    NOW,
    TODAY,
    local,
    make_debtor,
    make_invoice,
    make_plan,
    make_runtime,
    messages,
    pay_client,
    token_of,
)


async def test_a_link_is_short_signed_and_reused(db: str, settings: Settings) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 1000)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    token = token_of(url)
    assert url == f"https://sollecito.example/pay/{token}"
    assert len(token) == 16 and set(token) <= set(ALPHABET)
    assert await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id]) == url
    other = await make_pay_link(
        settings,
        debtor,
        "discount",
        invoice_ids=[invoice.id],
        amount_cents=980,
        valid_until=TODAY,
    )
    assert other != url
    link = await resolve_token(settings, token)
    assert link is not None and link.debtor.id == debtor.id


async def test_forged_altered_and_rebound_tokens_resolve_to_nothing(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor()
    other = await make_debtor("C002", "Verdi S.p.A.")
    invoice = await make_invoice(debtor, "F-1", 1000)
    token = token_of(await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id]))
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert await resolve_token(settings, altered) is None
    assert await resolve_token(settings, token[:-1]) is None
    assert await resolve_token(settings, "../../etc/passwd") is None
    # A key other than ours signed it: refused even though the row exists.
    foreign = settings.model_copy(update={"secret_key": "someone-else"})
    assert await resolve_token(foreign, token) is None
    # Someone with database access re-points the link to another debtor: the MAC breaks.
    await PayLink.filter(token=token).update(debtor_id=other.id)
    assert await resolve_token(settings, token) is None


async def test_unknown_and_forged_tokens_get_the_same_404_page(db: str, settings: Settings) -> None:
    debtor = await make_debtor(name="Segreto S.r.l.")
    invoice = await make_invoice(debtor, "F-SEGRETA", 1000)
    token = token_of(await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id]))
    # One character changed (never to itself: a token may well end in "x").
    forgery = token[:-1] + ("x" if token[-1] != "x" else "y")
    async with pay_client(make_runtime(settings)) as client:
        forged = await client.get(f"/pay/{forgery}")
        unknown = await client.get("/pay/aaaaaaaaaaaaaaaa")
        odd = await client.get("/pay/<script>")
        forged_post = await client.post(f"/pay/{forgery}/checkout")
    for response in (forged, unknown, odd, forged_post):
        assert response.status_code == 404
        assert response.text == unknown.text
        assert "Segreto" not in response.text and "F-SEGRETA" not in response.text
    assert not await Payment.exists()


async def test_bad_link_requests_are_refused(db: str, settings: Settings) -> None:
    debtor = await make_debtor()
    other = await make_debtor("C002")
    theirs = await make_invoice(other, "F-9", 1000)
    _, instalments = await make_plan(other, [theirs], [500, 500])
    with pytest.raises(ValueError, match="belong to its debtor"):
        await make_pay_link(settings, debtor, "balance", invoice_ids=[theirs.id])
    with pytest.raises(ValueError, match="discount link needs"):
        await make_pay_link(settings, debtor, "discount", invoice_ids=[])
    with pytest.raises(ValueError, match="another debtor"):
        await make_pay_link(
            settings, debtor, "instalment", invoice_ids=[], instalment=instalments[0]
        )
    with pytest.raises(ValueError):
        await make_pay_link(settings, debtor, "everything", invoice_ids=[])


def _invoice(cents: int, paid: int = 0, status: InvoiceStatus = InvoiceStatus.OPEN) -> Invoice:
    return Invoice(number="F", amount_cents=cents, paid_cents=paid, status=status, currency="EUR")


def test_what_a_link_asks_for() -> None:
    open_ = [_invoice(10000), _invoice(5000, paid=2000, status=InvoiceStatus.PARTIALLY_PAID)]
    balance = decide_due(Purpose.BALANCE, open_, today=TODAY)
    assert (balance.reason, balance.amount_cents) == (DueReason.BALANCE, 13000)

    paid = [_invoice(10000, paid=10000, status=InvoiceStatus.PAID)]
    assert decide_due(Purpose.BALANCE, paid, today=TODAY).reason is DueReason.NOTHING_DUE

    kwargs = {"discount_cents": 9800, "valid_until": TODAY}
    live = decide_due(Purpose.DISCOUNT, [_invoice(10000)], today=TODAY, **kwargs)
    assert (live.reason, live.amount_cents, live.full_cents) == (DueReason.DISCOUNT, 9800, 10000)
    late = decide_due(
        Purpose.DISCOUNT, [_invoice(10000)], today=TODAY + dt.timedelta(days=1), **kwargs
    )
    assert (late.reason, late.amount_cents) == (DueReason.DISCOUNT_EXPIRED, 10000)

    settling = decide_due(Purpose.BALANCE, [_invoice(10000)], today=TODAY, pending_cents=10000)
    assert (settling.reason, settling.amount_cents) == (DueReason.NOTHING_DUE, 0)
    assert settling.pending_cents == 10000

    instalment = Instalment(seq=1, amount_cents=5000, paid_cents=0, status=InstalmentStatus.DUE)
    one = decide_due(Purpose.INSTALMENT, [_invoice(20000)], today=TODAY, instalment=instalment)
    assert (one.reason, one.amount_cents) == (DueReason.INSTALMENT, 5000)
    # The plan's invoices were settled another way: the instalment asks for nothing.
    gone = decide_due(Purpose.INSTALMENT, paid, today=TODAY, instalment=instalment)
    assert gone.reason is DueReason.NOTHING_DUE


async def test_sandbox_checkout_pays_through_the_webhook_path(db: str, settings: Settings) -> None:
    settings = local(settings)
    assert not settings.stripe_enabled
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-001", 45000)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(make_runtime(settings)) as client:
        page = await client.get(f"/pay/{token_of(url)}")
        assert "Modalità di prova (sandbox)" in page.text and "450,00" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        paid = await client.post(f"/pay/{token_of(url)}/checkout")
        assert paid.status_code == 303
        assert paid.headers["location"] == f"/pay/{token_of(url)}/success?sandbox=1"
        success = await client.get(paid.headers["location"])
        assert "nessun addebito reale" in success.text
        after = await client.get(f"/pay/{token_of(url)}")
        assert "nulla da pagare" in after.text
        # Pressing the button again pays nothing twice.
        again = await client.post(f"/pay/{token_of(url)}/checkout")
        assert again.headers["location"] == f"/pay/{token_of(url)}"
        cancel = await client.get(f"/pay/{token_of(url)}/cancel")
        assert "Non è stato addebitato nulla" in cancel.text

    payment = await Payment.get()
    assert payment.provider_ref.startswith("pi_sandbox_") and payment.amount_cents == 45000
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID
    assert len(await messages("payments/receipt.txt")) == 1
    assert len(await messages("payments/staff_payment_received.txt")) == 1
    assert await AuditEvent.exists(action="payment_recorded", actor="stripe")


async def test_sandbox_checkout_is_refused_when_stripe_is_configured(
    db: str, settings: Settings
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 1000)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    link = await resolve_token(settings, token_of(url))
    assert link is not None
    live = settings.model_copy(update={"stripe_api_key": "sk_live_x"})
    with pytest.raises(SandboxOnly):
        await complete_sandbox_checkout(live, NOW, link, await due_now(link, TODAY))
    assert not await Payment.exists()


async def test_a_discount_past_its_date_offers_the_full_amount_and_says_why(
    db: str, settings: Settings
) -> None:
    settings = local(settings)
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-002", 10000)
    url = await make_pay_link(
        settings,
        debtor,
        "discount",
        invoice_ids=[invoice.id],
        amount_cents=9800,
        valid_until=TODAY - dt.timedelta(days=1),
    )
    async with pay_client(make_runtime(settings)) as client:
        page = await client.get(f"/pay/{token_of(url)}")
        assert "è scaduto" in page.text and "100,00" in page.text and "98,00" not in page.text
        await client.post(f"/pay/{token_of(url)}/checkout")
    await invoice.refresh_from_db()
    assert (invoice.paid_cents, invoice.discount_cents) == (10000, 0)
    assert invoice.status is InvoiceStatus.PAID


async def test_page_escapes_what_it_shows(db: str, settings: Settings) -> None:
    debtor = await make_debtor(name="<script>alert(1)</script>")
    invoice = await make_invoice(debtor, "F-<b>", 1000)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(make_runtime(settings)) as client:
        page = (await client.get(f"/pay/{token_of(url)}")).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "F-&lt;b&gt;" in page


async def test_receipt_and_staff_texts_render_in_both_languages(
    db: str, settings: Settings
) -> None:
    settings = local(settings)
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-003", 30000)
    _, instalments = await make_plan(debtor, [invoice], [10000, 20000])
    url = await make_pay_link(
        settings, debtor, "instalment", invoice_ids=[], instalment=instalments[0]
    )
    async with pay_client(make_runtime(settings)) as client:
        await client.post(f"/pay/{token_of(url)}/checkout")
    receipt = (await messages("payments/receipt.txt"))[0]
    alert = (await messages("payments/staff_payment_received.txt"))[0]
    it = render(receipt.template, "it", **receipt.context)
    en = render(receipt.template, "en", **receipt.context)
    assert "100,00" in it and "rata n. 1" in it.lower() and "Restano da pagare 200,00" in it
    assert "€100.00" in en and "Instalment no. 1" in en
    assert "F-2026-003" in render(alert.template, "it", **alert.context)
    assert "Rossi" in render(alert.template, "en", **alert.context)
    for template in ("payments/staff_overpayment.txt", "payments/staff_payment_failed.txt"):
        for language in ("it", "en"):
            text = render(template, language, **alert.context, reason="declined")
            assert "Rossi S.r.l." in text
    assert await Message.filter(audience="staff").count() == 1


async def test_the_demo_can_tap_pay_by_url(db: str, settings: Settings) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 1000)
    url = await make_pay_link(settings, debtor, "balance", invoice_ids=[invoice.id])
    assert await pay_link_in_sandbox(settings, NOW, url) == "paid"
    assert await pay_link_in_sandbox(settings, NOW, url) == "nothing_due"
    with pytest.raises(ValueError):
        await pay_link_in_sandbox(settings, NOW, url[:-1] + ("x" if url[-1] != "x" else "y"))
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID


async def test_deployed_without_stripe_offers_the_transfer_only(
    db: str, settings: Settings
) -> None:
    assert settings.public_base_url and not settings.stripe_enabled
    configured = settings.model_copy(update={"bank_iban": "IT60X0542811101000000123456"})
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 1000)
    url = await make_pay_link(configured, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(make_runtime(configured)) as client:
        page = await client.get(f"/pay/{token_of(url)}")
        pressed = await client.post(f"/pay/{token_of(url)}/checkout")
    assert "Il pagamento online non è disponibile" in page.text and "<form" not in page.text
    assert "Paghi con bonifico" in page.text and "IT60 X054" in page.text
    assert pressed.status_code == 303 and pressed.headers["location"] == f"/pay/{token_of(url)}"
    assert not await Payment.exists()
