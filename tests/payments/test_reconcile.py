"""Bank reconciliation: statement CSVs in, payments recorded, idempotent, tolerant matching."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.models import (
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    Payment,
    PaymentMethod,
)
from bot.payments.bank import debtor_reference
from bot.payments.bank_csv import BankFileError, read_bank_csv
from bot.payments.links import make_pay_link
from bot.payments.reconcile import import_bank_statement
from tests.support.payment_data import NOW, TODAY, make_debtor, make_invoice, make_plan

ROOT = Path(__file__).resolve().parents[2]


async def _import(settings: Settings, text: str, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    return await import_bank_statement(settings, NOW, text.encode(encoding), "estratto.csv")


async def test_italian_export_is_matched_and_the_rest_listed(db: str, settings: Settings):
    rossi = await make_debtor("C001", "Rossi S.r.l.")
    bianchi = await make_debtor("C002", "Bianchi & Figli")
    old = await make_invoice(rossi, "F-2026-101", 1248000, days_overdue=60)
    newer = await make_invoice(rossi, "F-2026-118", 327540, days_overdue=30)
    b1 = await make_invoice(bianchi, "F-2026-125", 231890)
    reference = debtor_reference(rossi.id).lower().replace("-", " ")  # "sol 1 95"
    statement = (
        "Conto corrente;IT60X0542811101000000123456\n"
        "Periodo;01/11/2026 - 23/11/2026\n"
        "\n"
        "Data contabile;Data valuta;Importo;Divisa;Descrizione operazione\n"
        # Reference in lower case, dashes turned into spaces, buried in the bank's text.
        f'03/11/2026;03/11/2026;"12.480,00";EUR;BONIFICO DA ROSSI SRL {reference} SALDO\n'
        "05/11/2026;05/11/2026;-1.250,00;EUR;ADDEBITO SDD ENERGIA\n"
        # No reference, but the invoice number (mangled) and exactly its balance.
        "10/11/2026;10/11/2026;2.318,90;EUR;BON. BIANCHI FATT F 2026/125\n"
        "14/11/2026;14/11/2026;99,00;EUR;BONIFICO CLIENTE SCONOSCIUTO ORDINE 7781\n"
        # An invoice number with the wrong amount and no reference: too weak, left for a person.
        "15/11/2026;15/11/2026;100,00;EUR;ACCONTO F-2026-118\n"
    )
    report = await _import(settings, statement)

    assert [(m.debtor.id, m.invoice_numbers) for m in report.matched] == [
        (rossi.id, ["F-2026-101"]),
        (bianchi.id, ["F-2026-125"]),
    ]
    assert [line.line_no for line in report.unmatched] == [8, 9]
    assert report.debits == 1 and report.ok
    await old.refresh_from_db()
    await newer.refresh_from_db()
    await b1.refresh_from_db()
    assert old.status is InvoiceStatus.PAID and newer.status is InvoiceStatus.OPEN
    assert b1.status is InvoiceStatus.PAID
    payments = await Payment.all().order_by("id")
    assert {p.method for p in payments} == {PaymentMethod.BANK_TRANSFER}
    assert all(p.provider_ref.startswith("bank:sha256:") for p in payments)
    assert await Message.filter(template="payments/receipt.txt").count() == 2

    text = report.render("it")
    assert "2 accrediti abbinati" in text and "riga 8" in text and "ORDINE 7781" in text

    again = await _import(settings, statement)
    assert not again.matched and len(again.already_imported) == 2
    assert len(again.unmatched) == 2
    assert await Payment.all().count() == 2
    assert await Message.filter(template="payments/receipt.txt").count() == 2


async def test_simple_csv_with_bank_ids_and_a_partial_payment(db: str, settings: Settings):
    debtor = await make_debtor()
    first = await make_invoice(debtor, "INV-1", 50000, days_overdue=40)
    second = await make_invoice(debtor, "INV-2", 30000, days_overdue=20)
    statement = (
        "date,amount,description,transaction id\n"
        f"2026-11-20,600.00,Payment {debtor_reference(debtor.id)},TX-001\n"
    )
    report = await _import(settings, statement)
    assert len(report.matched) == 1
    payment = await Payment.get()
    assert payment.provider_ref == "bank:TX-001"
    await first.refresh_from_db()
    await second.refresh_from_db()
    # Oldest first: the first invoice is paid, the second partly.
    assert (first.status, second.status) == (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID)
    assert second.balance_cents == 20000

    # The bank re-exports the same transaction with another description: still the same line.
    renamed = statement.replace("Payment", "Bonifico")
    assert len((await _import(settings, renamed)).already_imported) == 1


async def test_dare_avere_columns_and_windows_1252(db: str, settings: Settings):
    debtor = await make_debtor(name="Società Caffè")
    invoice = await make_invoice(debtor, "FT/2026/0007", 123456)
    statement = (
        "Data;Dare;Avere;Causale\n"
        f"20/11/2026;;1.234,56;Bonifico società caffè {debtor_reference(debtor.id)} ft 2026 0007\n"
        "21/11/2026;50,00;;Commissioni\n"
    )
    report = await _import(settings, statement, encoding="cp1252")
    assert len(report.matched) == 1 and report.debits == 1
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID


async def test_identical_lines_are_two_payments_but_importing_again_adds_none(
    db: str, settings: Settings
):
    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 100000)
    line = f"20/11/2026;100,00;Acconto {debtor_reference(debtor.id)}\n"
    statement = "Data contabile;Importo;Descrizione\n" + line + line
    assert len((await _import(settings, statement)).matched) == 2
    assert len((await _import(settings, statement)).already_imported) == 2
    assert await Payment.all().count() == 2


async def test_a_transfer_of_the_discounted_amount_settles_the_invoice(db: str, settings: Settings):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-200", 100000, days_overdue=-5)
    await make_pay_link(
        settings,
        debtor,
        "discount",
        invoice_ids=[invoice.id],
        amount_cents=98000,
        valid_until=TODAY + dt.timedelta(days=5),
    )
    statement = (
        "Data contabile;Importo;Descrizione\n"
        f"{TODAY:%d/%m/%Y};980,00;{debtor_reference(debtor.id)} F-2026-200\n"
    )
    assert len((await _import(settings, statement)).matched) == 1
    await invoice.refresh_from_db()
    assert invoice.status is InvoiceStatus.PAID and invoice.discount_cents == 2000


async def test_a_transfer_of_the_instalment_amount_settles_the_instalment(
    db: str, settings: Settings
):
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-300", 60000)
    _, instalments = await make_plan(debtor, [invoice], [20000, 20000, 20000])
    statement = (
        f"Data contabile;Importo;Descrizione\n"
        f"{TODAY:%d/%m/%Y};200,00;RATA 1 {debtor_reference(debtor.id)}\n"
    )
    assert len((await _import(settings, statement)).matched) == 1
    first = await Instalment.get(id=instalments[0].id)
    assert first.status is InstalmentStatus.PAID
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.IN_PLAN


async def test_bad_lines_are_reported_with_their_number(db: str, settings: Settings):
    statement = "Data contabile;Importo;Descrizione\n31/02/2026;10,00;x\n20/11/2026;1.234;y\n"
    report = await _import(settings, statement)
    assert [line for line, _ in report.errors] == [2, 3]
    assert not report.ok
    with pytest.raises(BankFileError):
        read_bank_csv(b"nothing;to;see\n1;2;3\n")


def test_the_example_statement_is_readable() -> None:
    parsed = read_bank_csv((ROOT / "examples" / "bank.csv").read_bytes())
    assert len(parsed.credits) == 4 and parsed.debits == 1 and not parsed.errors
    assert parsed.credits[0].amount_cents == 1248000


def test_cli_imports_the_example_statement_twice(tmp_path: Path) -> None:
    """`python -m bot payments import-bank` on the example data, in a process of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3",
        "VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "cli-test",
    }

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert bot("migrate").returncode == 0
    imported = bot(
        "import", "--debtors", "examples/debtors.csv", "--invoices", "examples/invoices.csv"
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    first = bot("payments", "import-bank", "examples/bank.csv")
    assert first.returncode == 0, first.stderr
    assert "3 accrediti abbinati" in first.stdout and "1 non abbinato" in first.stdout
    assert "ORDINE 7781" in first.stdout
    second = bot("payments", "import-bank", "examples/bank.csv")
    assert "0 accrediti abbinati, 3 già importati" in second.stdout
    missing = bot("payments", "import-bank", "examples/none.csv")
    assert missing.returncode == 1 and "cannot read" in missing.stderr


async def test_the_same_invoice_paid_twice_without_reference_is_left_for_a_person(
    db: str, settings: Settings
):
    debtor = await make_debtor()
    await make_invoice(debtor, "F-2026-777", 50000)
    statement = (
        "Data contabile;Importo;Descrizione;Id\n"
        "20/11/2026;500,00;SALDO FATTURA F-2026-777;A1\n"
        "21/11/2026;500,00;SALDO FATTURA F-2026-777;A2\n"
    )
    report = await _import(settings, statement)
    assert [line.bank_id for line in report.unmatched] == ["A2"]
    assert await Payment.all().count() == 1
