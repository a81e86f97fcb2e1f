"""Every report sees a write-off right (issue 18): it lowers what is owed, it is never cash
received, and it is a bad fact for the risk score. One debtor's books, read by each report:

- F-1  300,00 €, 40 days overdue, written off whole (closed);
- F-2  500,00 €, 5 days overdue, 100,00 € paid by bank, then 50,00 € written off: 350,00 € owed;
- F-3  200,00 €, due in 10 days, untouched.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.chart_reports import load_figures
from bot.config import Settings
from bot.credit.exposure import load_exposure
from bot.credit.history import load_facts
from bot.credit.ledger import load_cashflow_inputs, load_invoice_history
from bot.credit.score import score
from bot.models import Debtor, Message, PaymentMethod
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.policy import load_policy
from bot.registry.history import load_history
from bot.registry.loading import load_statement
from bot.registry.timeline import Kind
from bot.runtime import Runtime
from bot.staff_reports import debtor_report, overdue_report
from bot.writeoffs import write_off
from scheduler.coverage import load_coverage
from scheduler.digest import morning_digest
from scheduler.selection import load_snapshots
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice

pytestmark = pytest.mark.usefixtures("db")

OWED_OVERDUE, OWED_LATER = 35_000, 20_000


@pytest.fixture
async def books(settings: Settings) -> Debtor:
    debtor = await make_debtor()
    gone = await make_invoice(debtor, "F-1", 30_000, days_overdue=40)
    part = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    await make_invoice(debtor, "F-3", 20_000, days_overdue=-10)
    paid_at = NOW - dt.timedelta(days=2)
    await record_payment(
        settings,
        paid_at,
        debtor_id=debtor.id,
        amount_cents=10_000,
        currency="EUR",
        method=PaymentMethod.BANK_TRANSFER,
        provider_ref="bank:1",
        received_at=paid_at,
        target=PaymentTarget(invoice_ids=(part.id,)),
    )
    await write_off(
        NOW, debtor=debtor, invoice=gone, amount_cents=None, reason="fallito", actor="a"
    )
    await write_off(
        NOW, debtor=debtor, invoice=part, amount_cents=5_000, reason="sconto", actor="a"
    )
    return debtor


async def test_exposure_and_overdue_list(books: Debtor) -> None:
    exposure = (await load_exposure(TODAY))[books.id]
    assert (exposure.overdue_cents, exposure.not_due_cents, exposure.open_invoices) == (
        OWED_OVERDUE,
        OWED_LATER,
        2,
    )
    report = await overdue_report(TODAY)
    assert (report["count"], report["totals"]) == (1, {"EUR": OWED_OVERDUE})
    card = await debtor_report(books)
    assert card["totals"] == {"EUR": OWED_OVERDUE + OWED_LATER}
    assert [i.number for i in card["invoices"]] == ["F-2", "F-3"]
    assert card["history"]["paid_invoices"] == 0  # a write-off is not an invoice paid


async def test_aging_cashflow_and_dso(books: Debtor, settings: Settings) -> None:
    aging = await load_figures("aging", settings.zone, TODAY)
    assert (aging["total_cents"], aging["overdue_cents"], aging["count"]) == (
        OWED_OVERDUE + OWED_LATER,
        OWED_OVERDUE,
        2,
    )
    inputs = await load_cashflow_inputs()
    assert sorted(item.balance_cents for item in inputs.items) == [OWED_LATER, OWED_OVERDUE]
    history = await load_invoice_history(settings.zone)
    # F-1 is left out (written off whole); F-2's sale is net of its write-off; cash is the 100 €.
    assert sorted(h.net_cents for h in history) == [20_000, 45_000]
    assert [cents for h in history for _, cents in h.payments] == [10_000]
    dso = await load_figures("dso", settings.zone, TODAY)
    assert dso["receivable_cents"] == OWED_OVERDUE + OWED_LATER  # the exposure, not cash


async def test_statement_lists_payments_apart_from_write_offs(books: Debtor) -> None:
    statement = await load_statement(books, TODAY)
    assert [
        (i.number, i.settled_cents, i.written_off_cents, i.balance_cents) for i in statement.items
    ] == [
        ("F-2", 10_000, 5_000, OWED_OVERDUE),
        ("F-3", 0, 0, OWED_LATER),
    ]
    assert statement.received_cents == 10_000  # the write-offs are not money received
    assert statement.total_cents == OWED_OVERDUE + OWED_LATER


async def test_timeline_shows_write_offs_as_their_own_entries(books: Debtor) -> None:
    history = await load_history(books, TODAY)
    kinds = [entry.kind for entry in history.entries]
    assert kinds.count(Kind.PAYMENT) == 1 and kinds.count(Kind.WRITE_OFF) == 2
    write_offs = [e for e in history.entries if e.kind is Kind.WRITE_OFF]
    assert [(e.amount_cents, e.reference, e.text) for e in write_offs] == [
        (30_000, "F-1", "fallito"),
        (5_000, "F-2", "sconto"),
    ]
    text = "\n".join(history.lines("it")).replace("\xa0", " ")
    assert "✂️ Stralcio (non è un incasso) di 300,00 € sulle fatture F-1, da a: «fallito»" in text
    assert "✂️ Stralcio (non è un incasso) di 50,00 € sulle fatture F-2, da a: «sconto»" in text
    assert history.exposure.total_cents == OWED_OVERDUE + OWED_LATER


async def test_credit_score_counts_write_offs_as_bad_facts(
    books: Debtor, settings: Settings
) -> None:
    facts = (await load_facts(settings.zone))[books.id]
    assert facts.written_off == 2
    assert facts.settled == ()  # a written-off invoice is never "settled" (paid on time or late)
    credit = load_policy(settings.policy_file).credit
    reasons = {r.key: r for r in score(facts, TODAY, credit).reasons}
    assert (reasons["written_off"].count, reasons["written_off"].points) == (2, 20)


async def test_cadence_and_digest_see_only_what_is_owed(books: Debtor, settings: Settings) -> None:
    coverage = await load_coverage(TODAY, [books.id])
    [snapshot] = await load_snapshots(books.id, books.id + 1, coverage, TODAY)
    assert snapshot.chased_count == 2  # F-2 and F-3: F-1 is no longer chased
    assert (snapshot.past.count, snapshot.past.totals) == (1, {"EUR": OWED_OVERDUE})
    runtime = Runtime(settings=settings, policy=load_policy(settings.policy_file), now=lambda: NOW)
    assert await morning_digest(runtime)
    digest = await Message.get(audience="staff", template="staff/digest.txt")
    assert digest.context["overdue_cents"] == OWED_OVERDUE
