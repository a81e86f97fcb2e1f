"""The set-based reads behind the reports, checked against the ORM reads they stand in for."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.credit.dso import dso
from bot.credit.exposure import load_exposure
from bot.credit.lateness import load_settled
from bot.credit.ledger import (
    fetch_settled,
    load_cashflow_inputs,
    load_days_late,
    load_invoice_history,
    load_open_invoices,
)
from bot.models import (
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PromiseToPay,
)
from bot.payments.recording import record_payment
from tests.support.payment_data import make_plan
from tests.support.scheduler_data import make_debtor, make_invoice

TODAY = dt.date(2026, 11, 23)
ROME = ZoneInfo("Europe/Rome")


async def pay(settings: Settings, debtor: Debtor, cents: int, at: dt.datetime, ref: str) -> None:
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


async def some_history(settings: Settings) -> tuple[Debtor, Debtor]:
    """Two debtors: one pays late in two parts (the last near midnight UTC), one on time; open,
    partly paid, disputed, cancelled and in-plan invoices beside them; one failed payment."""
    late = await make_debtor("Lenti S.r.l.")
    prompt = await make_debtor("Puntuali S.p.A.")
    for n in range(3):
        await make_invoice(late, TODAY - dt.timedelta(days=100 - 10 * n), 30_000)
    await make_invoice(prompt, TODAY - dt.timedelta(days=60), 20_000)
    await pay(settings, late, 40_000, dt.datetime(2026, 9, 10, 9, tzinfo=dt.UTC), "a1")
    await pay(settings, late, 50_000, dt.datetime(2026, 9, 30, 23, 30, tzinfo=dt.UTC), "a2")
    await pay(settings, prompt, 20_000, dt.datetime(2026, 9, 24, 8, tzinfo=dt.UTC), "b1")
    failed = await Payment.create(
        debtor=prompt,
        amount_cents=5_000,
        method=PaymentMethod.STRIPE,
        status=PaymentStatus.FAILED,
        received_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    assert failed.id
    await make_invoice(late, TODAY + dt.timedelta(days=10), 12_345)
    await make_invoice(late, TODAY - dt.timedelta(days=5), 10_000)
    await pay(settings, late, 4_000, dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), "a3")  # partly
    await make_invoice(prompt, TODAY - dt.timedelta(days=3), 7_000, status=InvoiceStatus.DISPUTED)
    await make_invoice(prompt, TODAY - dt.timedelta(days=3), 9_000, status=InvoiceStatus.CANCELLED)
    planned = await make_invoice(prompt, TODAY - dt.timedelta(days=30), 60_000)
    await make_plan(prompt, [planned], [30_000, 30_000])
    await PromiseToPay.create(debtor=late, promised_date=TODAY + dt.timedelta(days=4))
    return late, prompt


def key(rows: list) -> list:  # type: ignore[type-arg]
    return sorted(rows, key=lambda r: r.invoice_id)


async def test_fetch_settled_is_load_settled(db: str, settings: Settings) -> None:
    late, prompt = await some_history(settings)
    everyone = await load_settled(ROME)
    assert len(everyone) == 4
    assert key(await fetch_settled(ROME)) == key(everyone)
    for only in ([late.id], [prompt.id], [late.id, prompt.id], []):
        assert key(await fetch_settled(ROME, only)) == key(await load_settled(ROME, only))
    # The one paid by the payment at 23:30 UTC on 30 September settled on 1 October in Rome.
    assert {s.paid for s in everyone if s.debtor_id == late.id} == {
        dt.date(2026, 9, 10),
        dt.date(2026, 10, 1),
    }
    lateness = await load_days_late(ROME, TODAY)
    assert set(lateness) == {late.id, prompt.id}
    assert lateness[late.id] is not None and lateness[late.id] > 0


async def test_cashflow_inputs(db: str, settings: Settings) -> None:
    late, prompt = await some_history(settings)
    inputs = await load_cashflow_inputs()
    by_balance = {(i.debtor_id, i.balance_cents, i.disputed) for i in inputs.items}
    # Open and partly paid, disputed flagged; the in-plan invoice comes through its instalments.
    assert by_balance == {
        (late.id, 12_345, False),
        (late.id, 6_000, False),
        (prompt.id, 7_000, True),
    }
    assert sorted(i.outstanding_cents for i in inputs.instalments) == [30_000, 30_000]
    assert [(p.debtor_id, p.amount_cents) for p in inputs.promises] == [(late.id, None)]
    assert inputs.other_currency == 0


async def test_open_invoices_and_dso_today_agree_with_exposure(db: str, settings: Settings) -> None:
    await some_history(settings)
    exposure = await load_exposure(TODAY)
    total = sum(e.total_cents for e in exposure.values())
    invoices = await load_open_invoices()
    assert sum(i.balance_cents for i in invoices) == total
    assert [i.due for i in invoices] == sorted(i.due for i in invoices)
    assert dso(await load_invoice_history(ROME), TODAY).today.receivable_cents == total
    assert await Invoice.filter(status=InvoiceStatus.CANCELLED).count() == 1
