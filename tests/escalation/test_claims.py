"""load_claim against the database: invoices, dated allocations, the kind, the default day."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.escalation.claims import load_claim
from bot.escalation.default import put_in_default
from bot.escalation.interest import OpenInvoice, Paid
from bot.escalation.rates import default_rates
from bot.models import Debtor, DebtorKind, Invoice, InvoiceStatus, PaymentMethod
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.policy_interest import Interest
from tests.escalation.test_interest import day_by_day

AS_OF = dt.date(2026, 3, 31)  # inside the repository's tables: nothing stale
STATUTORY = Interest(basis="statutory", compensation=True)


async def _invoice(
    debtor: Debtor, number: str, due: dt.date, cents: int, **more: object
) -> Invoice:
    return await Invoice.create(
        number=number,
        debtor=debtor,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        amount_cents=cents,
        **more,
    )


async def test_a_business_claim_reads_invoices_and_dated_payments(
    db: str, settings: Settings
) -> None:
    debtor = await Debtor.create(external_ref="C1", name="Rossi S.r.l.", vat_number="IT1")
    first = await _invoice(debtor, "F-1", dt.date(2025, 5, 31), 122_000)
    second = await _invoice(debtor, "F-2", dt.date(2026, 1, 15), 50_000, paid_cents=10_000)
    await _invoice(debtor, "F-3", dt.date(2025, 1, 31), 9_900, status=InvoiceStatus.PAID)
    paid_at = dt.datetime(2025, 10, 14, 23, 30, tzinfo=dt.UTC)  # 15 October in Rome
    await record_payment(
        settings,
        paid_at,
        debtor_id=debtor.id,
        amount_cents=22_000,
        currency="EUR",
        method=PaymentMethod.BANK_TRANSFER,
        provider_ref="bank-1",
        received_at=paid_at,
        target=PaymentTarget(invoice_ids=(first.id,)),
    )
    claim = await load_claim(debtor.id, AS_OF, STATUTORY)
    assert [line.number for line in claim.lines] == ["F-1", "F-2"]
    rates = default_rates()
    one = OpenInvoice(
        first.id, "F-1", first.due_date, "EUR", 122_000, (Paid(dt.date(2025, 10, 15), 22_000),)
    )
    # F-2's 100.00 paid without a dated allocation counts as paid before the due date.
    two = OpenInvoice(second.id, "F-2", second.due_date, "EUR", 40_000)
    line_one, line_two = claim.lines
    assert (line_one.principal_cents, line_two.principal_cents) == (100_000, 40_000)
    assert line_one.interest_cents == day_by_day(one, "statutory", rates, AS_OF)
    assert line_two.interest_cents == day_by_day(two, "statutory", rates, AS_OF)
    assert line_one.interest_cents > 0 and line_two.interest_cents > 0
    assert claim.compensation_cents == 8_000
    assert claim.basis == "statutory" and claim.is_business and not claim.rates_stale
    only = await load_claim(debtor.id, AS_OF, STATUTORY, invoice_ids=[second.id])
    assert [line.number for line in only.lines] == ["F-2"]


async def test_a_consumer_pays_legal_interest_from_the_default_day_only(db: str) -> None:
    debtor = await Debtor.create(external_ref="P1", name="Mario Rossi", kind=DebtorKind.CONSUMER)
    invoice = await _invoice(debtor, "F-9", dt.date(2025, 6, 30), 100_000)
    policy = Interest(basis="statutory", compensation=True, consumer_legal_interest=True)
    before = await load_claim(debtor.id, AS_OF, policy)
    assert before.basis == "none" and before.interest_cents == 0 and before.compensation_cents == 0
    assert await put_in_default(debtor.id, dt.date(2025, 12, 1)) == dt.date(2025, 12, 1)
    assert await put_in_default(debtor.id, dt.date(2026, 1, 10)) == dt.date(2025, 12, 1)
    assert await put_in_default(debtor.id, dt.date(2025, 11, 20)) == dt.date(2025, 11, 20)
    claim = await load_claim(debtor.id, AS_OF, policy)
    expected = day_by_day(
        OpenInvoice(invoice.id, "F-9", invoice.due_date, "EUR", 100_000),
        "legal",
        default_rates(),
        AS_OF,
        from_day=dt.date(2025, 11, 20),
    )
    # 41 days at 2 % (2025) + 90 days at 1.60 % (2026) on 1,000.00
    assert expected == round(100_000 * (0.02 * 41 + 0.016 * 90) / 365)
    assert claim.basis == "legal" and claim.interest_cents == expected
    assert claim.compensation_cents == 0


async def test_a_debtor_without_open_invoices_has_an_empty_claim(db: str) -> None:
    debtor = await Debtor.create(external_ref="C2", name="Bianchi S.p.A.")
    claim = await load_claim(debtor.id, AS_OF, STATUTORY)
    assert claim.lines == () and claim.total_cents == 0
