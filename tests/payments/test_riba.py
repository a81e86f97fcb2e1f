"""RiBa esiti flows (CBI, 120-character records) read and applied: paid, insoluto (with and
without a payment counted "salvo buon fine"), recalled; the charges, the cadence's RiBa step, the
staff alert; idempotent re-import; located errors with nothing half-written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import Settings
from bot.models import (
    Invoice,
    InvoiceStatus,
    Message,
    Payment,
    PaymentMethod,
    PaymentReversal,
    RibaItem,
    RibaOutcome,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.payments.riba import RibaError, looks_like_riba_esiti, parse_riba
from bot.payments.riba_apply import import_riba
from bot.policy import PolicyError, parse_policy
from bot.policy_payments import RibaPolicy
from bot.runtime import Runtime
from bot.texts import render
from tests.payments.riba_files import Item, riba_flow
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice, make_runtime

DUE = TODAY - dt.timedelta(days=8)
ALERT = "payments/staff_riba_unpaid.txt"


def runtime_with(settings: Settings, **riba: object) -> Runtime:
    base = make_runtime(settings)
    policy = base.policy.model_copy(update={"riba": RibaPolicy.model_validate(riba)})
    return Runtime(settings=settings, policy=policy, now=lambda: NOW)


def write(tmp_path: Path, text: str, name: str = "ESITI_RIBA.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


def test_the_flow_is_read_field_by_field():
    text = riba_flow(
        [
            Item("C001", "FATT. F-2026-101 DEL 15/09/2026", DUE, 122000, fees_cents=750),
            Item("C002", "FATT. F-2026-202", DUE, 5000, outcome="paid", receipt="0000000002"),
        ],
        TODAY,
    )
    assert looks_like_riba_esiti(text)
    assert not looks_like_riba_esiti("date,amount,description\n2026-11-20,100.00,x\n")
    flow = parse_riba(text, "ESITI.txt")
    assert (flow.sender, flow.receiver, flow.created) == ("03069", "A1B2C", TODAY)
    first, second = flow.entries
    assert (first.line, first.due_date, first.amount_cents) == (2, DUE, 122000)
    assert (first.outcome, first.debtor_code, first.fees_cents) == (RibaOutcome.UNPAID, "C001", 750)
    assert first.reference == "FATT. F-2026-101 DEL 15/09/2026" and first.reference_line == 6
    assert first.effective_date == DUE + dt.timedelta(days=3)
    assert (second.outcome, second.receipt, second.line) == (RibaOutcome.PAID, "0000000002", 9)


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (lambda lines: lines.__setitem__(2, lines[2][:119]), "line 3, record: a record is 120"),
        (
            lambda lines: lines.__setitem__(1, lines[1][:28] + "39999" + lines[1][33:]),
            "line 2, outcome",
        ),
        (
            lambda lines: lines.__setitem__(1, lines[1][:22] + "311326" + lines[1][28:]),
            "line 2, due date",
        ),
        (
            lambda lines: lines.__setitem__(4, lines[4][:3] + "0000009" + lines[4][10:]),
            "line 5, record 40",
        ),
        (
            lambda lines: lines.__setitem__(-1, lines[-1][:52] + "9" * 15 + lines[-1][67:]),
            "line 9, total",
        ),
    ],
)
def test_a_broken_flow_is_refused_with_its_line_and_field(breakage, where):
    lines = riba_flow([Item("C001", "F-2026-101", DUE, 122000)], TODAY).splitlines()
    breakage(lines)
    with pytest.raises(RibaError) as caught:
        parse_riba("\n".join(lines), "ESITI.txt")
    assert str(caught.value).startswith(f"ESITI.txt, {where}")


async def test_insoluto_reverses_the_riba_counted_paid_adds_charges_and_starts_the_step(
    db: str, settings: Settings, tmp_path: Path
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-101", 122000, days_overdue=8)
    await record_payment(
        settings, NOW - dt.timedelta(days=20), debtor_id=debtor.id, amount_cents=122000,
        currency="EUR", method=PaymentMethod.RIBA, provider_ref="riba-sbf:F-2026-101",
        received_at=NOW - dt.timedelta(days=20), target=PaymentTarget(invoice_ids=(invoice.id,)),
    )  # fmt: skip
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.PAID
    runtime = runtime_with(settings, charge_fees=True, fees="5.00", start_step="overdue_2")
    path = write(
        tmp_path, riba_flow([Item("C001", "FATT. F-2026-101", DUE, 122000, fees_cents=750)], TODAY)
    )

    report = await import_riba(runtime, path)
    assert (report.unpaid, report.reversed_cents, report.fees_cents) == (1, 122000, 750)
    invoice = await Invoice.get(id=invoice.id)
    assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.OPEN, 0)
    charges = await Invoice.get(number=f"F-2026-101/INS-{DUE:%Y%m%d}")
    assert (charges.amount_cents, charges.due_date) == (750, TODAY)
    assert (await PaymentReversal.get()).kind == "riba_unpaid"
    [reminder] = await Message.filter(audience="debtor", step="overdue_2")
    assert reminder.idempotency_key == f"cadence:{debtor.id}:overdue_2:{invoice.id}"
    assert [i["number"] for i in reminder.context["invoices"]] == ["F-2026-101"]
    assert reminder.scheduled_at >= NOW + dt.timedelta(days=3)  # after the reopen grace

    [alert] = await Message.filter(template=ALERT)
    text = render(ALERT, "it", **alert.context).replace("\xa0", " ")
    assert (
        "RiBa insoluta per Rossi S.r.l. (C001): la ricevuta di 1.220,00 € "
        "in scadenza il 15 novembre 2026 (fattura F-2026-101)" in text
    )
    assert "La fattura F-2026-101 è di nuovo aperta: 1.220,00 € da incassare." in text
    assert "Spese bancarie di 7,50 € addebitate" in text and "dal passo «overdue_2»" in text
    english = render(ALERT, "en", **alert.context).replace("\xa0", " ")
    assert "Bank charges of €7.50" in english and 'step "overdue_2"' in english

    again = await import_riba(runtime, path)
    assert (again.already, again.unpaid) == (1, 0)
    assert await Invoice.filter(debtor=debtor).count() == 2
    assert await Message.filter(template=ALERT).count() == 1


async def test_paid_riba_records_the_payment_and_closes_the_invoice(
    db: str, settings: Settings, tmp_path: Path
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-102", 40000, days_overdue=8)
    path = write(
        tmp_path, riba_flow([Item("C001", "RIF. F-2026-102", DUE, 40000, outcome="paid")], TODAY)
    )
    report = await import_riba(runtime_with(settings), path)
    assert report.paid == 1
    invoice = await Invoice.get(id=invoice.id)
    assert invoice.status is InvoiceStatus.PAID
    payment = await Payment.get()
    assert (payment.method, payment.amount_cents) == (PaymentMethod.RIBA, 40000)
    assert payment.received_at.date() == DUE + dt.timedelta(days=3)
    assert (await import_riba(runtime_with(settings), path)).already == 1
    assert await Payment.all().count() == 1


async def test_insoluto_never_counted_paid_takes_the_policy_fees_and_matches_by_due_date(
    db: str, settings: Settings, tmp_path: Path
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-103", 30000, days_overdue=8)
    path = write(tmp_path, riba_flow([Item("C001", "RIBA 12 NOVEMBRE", DUE, 30000)], TODAY))
    report = await import_riba(runtime_with(settings, charge_fees=True, fees="4.50"), path)
    assert (report.unpaid, report.reversed_cents, report.fees_cents) == (1, 0, 450)
    assert (await RibaItem.get()).invoice_id == invoice.id  # type: ignore[attr-defined]
    text = render(ALERT, "en", **(await Message.get(template=ALERT)).context)
    assert "Reminders start again" not in text and "€4.50" in text


async def test_a_bank_with_other_outcome_codes_is_configured_in_the_policy(
    db: str, settings: Settings, tmp_path: Path
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-105", 30000, days_overdue=8)
    path = write(
        tmp_path, riba_flow([Item("C001", "F-2026-105", DUE, 30000, outcome="30009")], TODAY)
    )
    with pytest.raises(RibaError, match="line 2, outcome \\(causale\\): '30009' is not one of"):
        await import_riba(runtime_with(settings), path)
    report = await import_riba(runtime_with(settings, unpaid_codes=["30009"]), path)
    assert report.unpaid == 1 and report.reopened == [invoice.number]


async def test_an_unknown_debtor_leaves_nothing_written(
    db: str, settings: Settings, tmp_path: Path
):
    debtor = await make_debtor()
    await make_invoice(debtor, "F-2026-104", 40000, days_overdue=8)
    items = [
        Item("C001", "F-2026-104", DUE, 40000, outcome="paid"),
        Item("C999", "F-2026-999", DUE, 1000, receipt="0000000002"),
    ]
    path = write(tmp_path, riba_flow(items, TODAY))
    with pytest.raises(RibaError) as caught:
        await import_riba(runtime_with(settings), path)
    assert str(caught.value) == (
        "ESITI_RIBA.txt, line 9, debtor code: 'C999' is not the reference of any debtor"
    )
    assert not await Payment.exists() and not await RibaItem.exists()
    assert (await Invoice.get(number="F-2026-104")).status is InvoiceStatus.OPEN


def test_the_riba_step_must_be_a_step_of_the_policy():
    text = Path("policy.toml").read_text(encoding="utf-8")
    written = 'start_step = "overdue_2"'
    line = text[: text.index(written)].count("\n") + 1
    assert parse_policy(text, "policy.toml").riba.fees_cents == 750
    with pytest.raises(PolicyError) as caught:
        parse_policy(text.replace(written, 'start_step = "sollecito_9"'), "p.toml")
    assert f"line {line}: riba.start_step: names no step of the cadence" in str(caught.value)
    assert "'sollecito_9'" in str(caught.value)
