"""Importing camt and CBI statements into the ledger: matched, partly matched, unmatched (one
staff card with buttons), duplicates, debits and reversals left alone, all-or-nothing writes, and
staff assigning an unmatched credit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.decisions.bank_credits import assign_credit
from bot.decisions.common import Verdict
from bot.handlers.staff_bank import parse_assign_args
from bot.models import (
    AuditEvent,
    BankCredit,
    Debtor,
    Invoice,
    InvoiceStatus,
    Message,
    Payment,
    PaymentAllocation,
    StaffMember,
    StaffRole,
)
from bot.payments import reconcile
from bot.payments.bank_card import CARD_TEMPLATE, parse_assign_button
from bot.payments.bank_csv import BankFileError
from bot.payments.reconcile import import_bank_statement
from bot.texts import render
from tests.support.bank_files import Movement, cbi_file
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice, make_runtime

DATA = Path(__file__).resolve().parents[1] / "data" / "bank"


async def _ledger() -> dict[str, Invoice]:
    rossi = await make_debtor("C001", "Rossi S.r.l.")  # id 1: SOL-1-95
    bianchi = await make_debtor("C002", "Bianchi e Figli snc")  # id 2: SOL-2-92
    verdi = await make_debtor("C003", "Verdi S.p.A.")
    await make_debtor("C004", "Neri Costruzioni S.r.l.")
    assert (rossi.id, bianchi.id) == (1, 2)
    return {
        "101": await make_invoice(rossi, "F-2026-101", 1248000, days_overdue=60),
        "118": await make_invoice(rossi, "F-2026-118", 327540, days_overdue=30),
        "125": await make_invoice(bianchi, "F-2026-125", 89000),
        "130": await make_invoice(verdi, "F-2026-130", 50000),
    }


async def _import(settings: Settings, name: str, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    data = raw if raw is not None else (DATA / name).read_bytes()
    return await import_bank_statement(settings, NOW, data, name)


async def _counts() -> tuple[int, int, int, int, int]:
    return (
        await Payment.all().count(),
        await PaymentAllocation.all().count(),
        await BankCredit.all().count(),
        await Message.all().count(),
        await AuditEvent.all().count(),
    )


async def test_camt053_v02_matches_part_pays_and_cards_the_rest(db: str, settings: Settings):
    invoices = await _ledger()
    report = await _import(settings, "camt053_v02.xml")
    assert [(m.debtor.external_ref, m.invoice_numbers) for m in report.matched] == [
        ("C001", ["F-2026-101"]),
        ("C002", ["F-2026-125"]),
        ("C003", ["F-2026-130"]),
    ]
    for invoice in invoices.values():
        await invoice.refresh_from_db()
    assert invoices["101"].status is InvoiceStatus.PAID
    assert invoices["125"].status is InvoiceStatus.PARTIALLY_PAID
    assert invoices["125"].balance_cents == 49000
    assert invoices["130"].status is InvoiceStatus.PAID
    assert invoices["118"].status is InvoiceStatus.OPEN
    assert [line.debtor_name for line in report.unmatched] == ["NERI COSTRUZIONI SRL"]
    assert report.debits == 1 and report.not_booked == 1 and len(report.reversals) == 1
    assert await Payment.all().count() == 3
    assert await Message.filter(template="payments/receipt.txt").count() == 3
    recorded = await AuditEvent.filter(action="payment_recorded").values_list("data", flat=True)
    assert sorted(data["matched_by"] for data in recorded) == ["numbers", "reference", "reference"]

    (card,) = await Message.filter(template=CARD_TEMPLATE)
    (credit,) = await BankCredit.filter(status="unmatched")
    neri = await Debtor.get(external_ref="C004")
    assert card.audience == "staff" and credit.amount_cents == 50000
    assert [o["key"] for o in card.options] == [f"bankcredit:{credit.id}:{neri.id}"]
    text = render(CARD_TEMPLATE, "it", **card.context)
    assert "1 accredito non abbinato, in tutto 500,00\xa0€" in text
    assert f"#{credit.id} · 23/11/2026 · 500,00\xa0€ da NERI COSTRUZIONI SRL" in text
    assert "«ACCONTO ORDINE 7781»" in text and "Forse: Neri Costruzioni S.r.l. (C004)" in text
    assert "/assign" in text
    summary = report.render("it")
    assert "3 accrediti abbinati" in summary and "1 non abbinato" in summary
    assert "1 storno" in summary and "1 non contabilizzato" in summary

    before = await _counts()
    again = await _import(settings, "camt053_v02.xml")
    assert not again.matched and len(again.already_imported) == 3
    assert len(again.unmatched) == 1 and not again.card_sent
    assert await _counts() == before


async def test_camt053_v08_and_camt054_then_cbi(db: str, settings: Settings):
    invoices = await _ledger()
    v08 = await _import(settings, "camt053_v08.xml")
    assert [m.invoice_numbers for m in v08.matched] == [["F-2026-118"]]
    assert [line.end_to_end_id for line in v08.returned] == ["RTN-0001"]
    assert "1 restituito" in v08.render("it")
    notification = await _import(settings, "camt054_v08.xml")
    assert [m.invoice_numbers for m in notification.matched] == [["F-2026-125"]]
    cbi = cbi_file(
        [
            Movement(
                TODAY,
                1248000,
                bank_ref="CRO0001",
                text="BONIFICO A VOSTRO FAVORE",
                payer="ROSSI SRL",
                end_to_end="E2E-1",
                remittance="SOL-1-95",
            ),
            Movement(TODAY, 7000, sign="D", reason="26", text="COMMISSIONI"),
        ],
        TODAY,
    )
    report = await _import(settings, "rh.cbi", cbi)
    assert [m.invoice_numbers for m in report.matched] == [["F-2026-101"]]
    assert report.debits == 1
    for invoice in invoices.values():
        await invoice.refresh_from_db()
    assert {i.number: i.status for i in invoices.values()} == {
        "F-2026-101": InvoiceStatus.PAID,
        "F-2026-118": InvoiceStatus.PAID,
        "F-2026-125": InvoiceStatus.PAID,
        "F-2026-130": InvoiceStatus.OPEN,
    }
    assert not (await _import(settings, "rh.cbi", cbi)).matched


async def test_nothing_is_written_when_the_import_fails_half_way(
    db: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    invoices = await _ledger()

    async def broken_card(*args: object) -> bool:
        raise RuntimeError("the card could not be queued")

    monkeypatch.setattr(reconcile, "queue_unmatched_card", broken_card)
    with pytest.raises(RuntimeError):
        await _import(settings, "camt053_v02.xml")
    assert await _counts() == (0, 0, 0, 0, 0)
    await invoices["101"].refresh_from_db()
    assert invoices["101"].paid_cents == 0 and invoices["101"].status is InvoiceStatus.OPEN


async def test_a_malformed_file_writes_nothing(db: str, settings: Settings):
    await _ledger()
    text = (DATA / "camt053_v02.xml").read_text()
    broken = text.replace("<Dt>2026-11-23</Dt></BookgDt>", "<Dt>23/11/2026</Dt></BookgDt>", 2)
    with pytest.raises(BankFileError, match=r"line \d+, .*Ntry\[1\]/BookgDt: date '23/11/2026'"):
        await _import(settings, "camt053_v02.xml", broken.encode())
    assert await _counts() == (0, 0, 0, 0, 0)


async def test_staff_assign_an_unmatched_credit_once(db: str, settings: Settings):
    await _ledger()
    await _import(settings, "camt053_v02.xml")
    (credit,) = await BankCredit.filter(status="unmatched")
    verdi = await Debtor.get(external_ref="C003")
    runtime = make_runtime(settings)
    viewer = await StaffMember.create(telegram_user_id=1, name="Vera", role=StaffRole.VIEWER)
    anna = await StaffMember.create(telegram_user_id=2, name="Anna", approval_limit_cents=1_000_000)
    refused = await assign_credit(runtime, credit, verdi, viewer)
    assert refused.verdict is Verdict.NOT_ALLOWED
    assert await BankCredit.filter(status="unmatched").count() == 1

    decision = await assign_credit(runtime, credit, verdi, anna)
    assert decision.verdict is Verdict.CONFIRMED and decision.amount_cents == 50000
    await credit.refresh_from_db()
    payment = await Payment.get(provider_ref=credit.provider_ref)
    assert credit.status == "assigned" and credit.assigned_by_id == anna.id
    assert payment.debtor_id == verdi.id and payment.amount_cents == 50000  # type: ignore[attr-defined]
    # Verdi's invoice was paid by the statement already: the credit is kept as unallocated.
    assert payment.unallocated_cents == 50000
    audit = await AuditEvent.get(action="bankcredit.assigned")
    assert audit.actor == f"staff:{anna.id}" and audit.data["debtor"] == verdi.id
    assert await Message.filter(template="payments/staff_overpayment.txt").count() == 1

    again = await assign_credit(runtime, credit, verdi, anna)
    assert again.verdict is Verdict.ALREADY_DECIDED and again.by == "Anna"
    assert await Payment.filter(provider_ref=credit.provider_ref).count() == 1
    reimport = await _import(settings, "camt053_v02.xml")
    assert not reimport.unmatched and len(reimport.already_imported) == 4


async def test_an_unmatched_credit_is_matched_at_a_later_import_once_its_invoice_exists(
    db: str, settings: Settings
):
    await _ledger()
    await _import(settings, "camt053_v02.xml")
    neri = await Debtor.get(external_ref="C004")
    await make_invoice(neri, "ORDINE 7781", 50000)
    later = await _import(settings, "camt053_v02.xml")
    assert [m.debtor.external_ref for m in later.matched] == ["C004"]
    assert await BankCredit.filter(status="unmatched").count() == 0
    assert await Message.filter(template=CARD_TEMPLATE).count() == 1


def test_button_and_command_arguments() -> None:
    assert parse_assign_button("bankcredit:12:7") == (12, 7)
    assert parse_assign_button("bankcredit:12") is None
    assert parse_assign_button("plan:approve:3") is None
    assert parse_assign_args(["#12", "Rossi", "S.r.l."]) == (12, "Rossi S.r.l.")
    assert parse_assign_args(["x", "Rossi"]) is None
    assert parse_assign_args(["12"]) is None


async def test_a_long_list_of_unmatched_credits_is_one_card_that_counts_the_rest(
    db: str, settings: Settings
):
    await _ledger()
    rows = ["Data contabile;Importo;Descrizione;Id"]
    rows += [f"23/11/2026;{10 + n},00;VERSAMENTO {n};V{n}" for n in range(17)]
    report = await _import(settings, "lungo.csv", ("\n".join(rows) + "\n").encode())
    assert len(report.unmatched) == 17 and report.card_sent
    (card,) = await Message.filter(template=CARD_TEMPLATE)
    assert card.context["count"] == 17 and card.context["more"] == 2
    assert len(card.context["credits"]) == 15
    text = render(CARD_TEMPLATE, "it", **card.context)
    assert "17 accrediti non abbinati, in tutto 306,00\xa0€" in text
    assert "… e altri 2 (nel resoconto dell'importazione; si assegnano con /assign)." in text
