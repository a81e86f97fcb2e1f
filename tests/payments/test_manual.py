"""Manual payments and write-offs against the database (bot/payments/manual.py, bot/writeoffs.py):
allocation, overpayment kept as credit, the audit trail's actor, the cadence stopped, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    StaffMember,
    StaffRole,
    WriteOff,
    WriteOffLine,
)
from bot.payments.manual import (
    ManualError,
    PaidRequest,
    method_of,
    parse_day,
    parse_paid,
    received_at,
    record_manual,
)
from bot.writeoffs import may_write_off, parse_writeoff, write_off
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice, make_plan

pytestmark = pytest.mark.usefixtures("db")


def test_parse_paid_reads_amounts_dates_and_the_method() -> None:
    request = parse_paid(["C001", "1.234,56", "01/11/2026", "contanti", "in", "negozio"], TODAY)
    assert request == PaidRequest(
        "C001", 123_456, dt.date(2026, 11, 1), PaymentMethod.CASH, "contanti in negozio"
    )
    english = parse_paid(["F-1", "1234.56", "2026-11-20"], TODAY)
    assert (english.amount_cents, english.day, english.method) == (
        123_456,
        dt.date(2026, 11, 20),
        PaymentMethod.OTHER,
    )
    assert parse_paid(["F-1", "50"], TODAY).day == TODAY
    assert method_of("Assegno n. 123") is PaymentMethod.CHEQUE
    assert method_of("compensazione fattura passiva") is PaymentMethod.OFFSET


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["C001"], "usage_paid"),
        (["C001", "dodici"], "bad_amount"),
        (["C001", "0"], "bad_amount"),
        (["C001", "-5"], "bad_amount"),
        (["C001", "1.234"], "bad_amount"),  # ambiguous: refused, never guessed
        (["C001", "10", "31/02/2026"], "bad_date"),
        (["C001", "10", "24/11/2026"], "future_date"),
    ],
)
def test_parse_paid_refuses_what_it_cannot_read(args: list[str], key: str) -> None:
    with pytest.raises(ManualError) as caught:
        parse_paid(args, TODAY)
    assert caught.value.key == key


def test_parse_day_and_received_at(settings: Settings) -> None:
    assert parse_day("3.11.2026", TODAY) == dt.date(2026, 11, 3)
    zone = settings.zone
    assert received_at(TODAY, NOW, zone) == NOW
    earlier = received_at(dt.date(2026, 11, 2), NOW, zone)
    assert earlier == dt.datetime(2026, 11, 2, 11, 0, tzinfo=dt.UTC)  # noon in Rome


def test_parse_writeoff() -> None:
    request = parse_writeoff(["F-1", "12,50", "arrotondamento"])
    assert (request.ref, request.amount_cents, request.reason) == ("F-1", 1250, "arrotondamento")
    whole = parse_writeoff(["C001", "cliente", "fallito"])
    assert (whole.amount_cents, whole.reason) == (None, "cliente fallito")
    for args, key in ((["C001"], "usage_writeoff"), (["C001", "12"], "no_reason")):
        with pytest.raises(ManualError) as caught:
            parse_writeoff(args)
        assert caught.value.key == key


def test_may_write_off_follows_the_limit_and_the_role() -> None:
    member = StaffMember(telegram_user_id=1, name="A", writeoff_limit_cents=10_000)
    assert may_write_off(member, 10_000)
    assert not may_write_off(member, 10_001)
    assert not may_write_off(StaffMember(telegram_user_id=2, name="B"), 1)  # no limit set
    viewer = StaffMember(
        telegram_user_id=3, name="V", role=StaffRole.VIEWER, writeoff_limit_cents=10_000
    )
    assert not may_write_off(viewer, 1)
    assert not may_write_off(None, 1)


async def test_cash_by_debtor_pays_oldest_first_and_is_audited_with_who(
    settings: Settings,
) -> None:
    debtor = await make_debtor()
    old = await make_invoice(debtor, "F-1", 30_000, days_overdue=40)
    new = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    request = parse_paid(["c001", "400", "contanti"], TODAY)
    outcome = await record_manual(settings, NOW, request, actor="staff:7", provider_ref="t:1")

    assert [(i.number, c) for i, c in outcome.recorded.shares] == [("F-1", 30_000), ("F-2", 10_000)]
    assert (await Invoice.get(id=old.id)).status is InvoiceStatus.PAID
    left = await Invoice.get(id=new.id)
    assert (left.status, left.balance_cents) == (InvoiceStatus.PARTIALLY_PAID, 40_000)
    assert outcome.open_cents == 40_000
    payment = await Payment.get()
    assert (payment.method, payment.note) == (PaymentMethod.CASH, "contanti")
    recorded = await AuditEvent.get(action="payment_recorded")
    assert recorded.actor == "staff:7"
    assert recorded.data["allocations"] == [["F-1", 30_000], ["F-2", 10_000]]
    with pytest.raises(ManualError) as again:  # the same chat message twice lands once
        await record_manual(settings, NOW, request, actor="staff:7", provider_ref="t:1")
    assert again.value.key == "already_recorded"
    assert await Payment.all().count() == 1


async def test_named_invoice_first_and_overpayment_kept_as_credit(settings: Settings) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 30_000, days_overdue=40)
    named = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    request = parse_paid(["F-2", "1000"], TODAY)
    outcome = await record_manual(settings, NOW, request, actor="cli:anna", provider_ref="t:2")

    assert [(i.number, c) for i, c in outcome.recorded.shares] == [("F-2", 50_000), ("F-1", 30_000)]
    assert outcome.context()["credit_cents"] == 20_000
    assert outcome.still_open == []
    assert (await Invoice.get(id=named.id)).status is InvoiceStatus.PAID
    assert (await AuditEvent.get(action="overpayment_flagged")).actor == "cli:anna"


async def test_unknown_reference_and_closed_invoice_are_refused(settings: Settings) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-9", 10_000, status=InvoiceStatus.PAID, paid_cents=10_000)
    for ref, key in (("NOPE", "unknown_ref"), ("F-9", "invoice_closed")):
        with pytest.raises(ManualError) as caught:
            await record_manual(
                settings, NOW, parse_paid([ref, "10"], TODAY), actor="staff:1", provider_ref=ref
            )
        assert caught.value.key == key
    assert await Payment.all().count() == 0


async def test_write_off_an_amount_oldest_first_never_a_payment() -> None:
    debtor = await make_debtor()
    old = await make_invoice(debtor, "F-1", 1_250, days_overdue=90, paid_cents=1_000)
    new = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    outcome = await write_off(
        NOW, debtor=debtor, invoice=None, amount_cents=1_000, reason="arrotondamenti", actor="cli:x"
    )
    assert [(i.number, c) for i, c in outcome.lines] == [("F-1", 250), ("F-2", 750)]
    closed = await Invoice.get(id=old.id)
    assert (closed.status, closed.paid_cents, closed.written_off_cents) == (
        InvoiceStatus.WRITTEN_OFF,
        1_000,
        250,
    )
    partly = await Invoice.get(id=new.id)
    assert (partly.status, partly.balance_cents, partly.paid_cents) == (
        InvoiceStatus.OPEN,
        49_250,
        0,
    )
    assert await Payment.all().count() == 0 and await PaymentAllocation.all().count() == 0
    assert await WriteOffLine.all().count() == 2
    audit = await AuditEvent.get(action="writeoff_recorded")
    assert (audit.actor, audit.data["reason"]) == ("cli:x", "arrotondamenti")
    assert await AuditEvent.filter(action="invoice_written_off", subject="invoice:F-1").exists()


async def test_write_off_refuses_more_than_is_open_and_nothing_open() -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 10_000)
    with pytest.raises(ManualError) as caught:
        await write_off(
            NOW, debtor=debtor, invoice=invoice, amount_cents=10_001, reason="x", actor="cli:x"
        )
    assert (caught.value.key, caught.value.context["open_cents"]) == ("more_than_open", 10_000)
    await write_off(NOW, debtor=debtor, invoice=invoice, amount_cents=None, reason="x", actor="a")
    with pytest.raises(ManualError) as again:
        await write_off(NOW, debtor=debtor, invoice=None, amount_cents=None, reason="x", actor="a")
    assert again.value.key == "nothing_open"
    assert await WriteOff.all().count() == 1


async def test_write_off_stops_the_cadence_for_what_it_closes() -> None:
    debtor = await make_debtor()
    gone = await make_invoice(debtor, "F-1", 10_000, days_overdue=30)
    kept = await make_invoice(debtor, "F-2", 20_000, days_overdue=3)

    async def reminder(key: str, ids: list[int]) -> Message:
        return await Message.create(
            debtor=debtor,
            direction="out",
            channel="telegram",
            template="reminders/overdue_1.txt",
            step="overdue_1",
            status=MessageStatus.PENDING,
            idempotency_key=key,
            scheduled_at=NOW,
            context={"invoices": [{"id": i} for i in ids]},
        )

    only_gone = await reminder("k1", [gone.id])
    both = await reminder("k2", [gone.id, kept.id])
    await write_off(NOW, debtor=debtor, invoice=gone, amount_cents=None, reason="x", actor="a")
    assert (await Message.get(id=only_gone.id)).status is MessageStatus.CANCELLED
    # still due for F-2: the dispatcher keeps only open invoices in it at send time
    assert (await Message.get(id=both.id)).status is MessageStatus.PENDING
    await write_off(NOW, debtor=debtor, invoice=None, amount_cents=None, reason="y", actor="a")
    assert (await Message.get(id=both.id)).status is MessageStatus.CANCELLED
    assert await Invoice.filter(status=InvoiceStatus.WRITTEN_OFF).count() == 2


async def test_writing_off_everything_ends_the_plan_and_the_promises() -> None:
    debtor = await make_debtor()
    covered = await make_invoice(debtor, "F-1", 60_000)
    other = await make_invoice(debtor, "F-2", 10_000)
    plan, _ = await make_plan(debtor, [covered], [30_000, 30_000])
    promise = await PromiseToPay.create(debtor=debtor, promised_date=TODAY, amount_cents=10_000)
    await write_off(NOW, debtor=debtor, invoice=other, amount_cents=None, reason="x", actor="a")
    # something is still open (F-1, in the plan): the plan and the promise stand
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.ACTIVE
    assert (await PromiseToPay.get(id=promise.id)).status is PromiseStatus.PENDING
    await write_off(NOW, debtor=debtor, invoice=None, amount_cents=None, reason="y", actor="a")
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.WRITTEN_OFF
    assert (await PromiseToPay.get(id=promise.id)).status is PromiseStatus.CANCELLED
    assert await AuditEvent.filter(action="plan.written_off", subject=f"plan:{plan.id}").exists()
