"""`python -m bot payments add` and `python -m bot writeoff record|limit` as an operator runs
them: fresh processes against the test database, real exit codes, the OS user in the audit trail,
clear errors and nothing written on a refusal."""

from __future__ import annotations

import getpass
from pathlib import Path

from bot.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    StaffMember,
    WriteOff,
)
from tests.conftest import DATABASE_URL
from tests.support.cli_run import ROOT, run_cli
from tests.support.payment_data import make_debtor, make_invoice


def cli(*args: str, cwd: Path):  # type: ignore[no-untyped-def]
    policy = str(ROOT / "policy.toml")
    return run_cli(*args, cwd=cwd, DATABASE_URL=DATABASE_URL, POLICY_FILE=policy)


async def test_payments_add_records_a_cheque_against_the_named_invoice(
    tmp_path: Path, db: str
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 30_000, days_overdue=40)
    named = await make_invoice(debtor, "F-2", 50_000, days_overdue=5)
    args = ("payments", "add", "--invoice", "F-2", "--amount", "200,00", "--method", "cheque")
    result = cli(*args, "--note", "assegno 123", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout.replace("\xa0", " ")
    assert "✅ Registrato il pagamento di 200,00 € da Rossi S.r.l. (C001)" in text
    assert "- fattura F-2: 200,00 €, restano 300,00 €" in text
    assert "Ancora aperto: 600,00 € su 2 fatture (F-1 300,00 €, F-2 300,00 €)." in text
    payment = await Payment.get()
    assert (payment.method, payment.note) == (PaymentMethod.CHEQUE, "assegno 123")
    assert (await Invoice.get(id=named.id)).paid_cents == 20_000
    audit = await AuditEvent.get(action="payment_recorded")
    assert audit.actor == f"cli:{getpass.getuser()}"


async def test_payments_add_refuses_unknown_reference_and_future_date(
    tmp_path: Path, db: str
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 30_000)
    unknown = cli("payments", "add", "--debtor", "C999", "--amount", "10", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: Nessun cliente e nessuna fattura corrispondono")
    future = cli(
        "payments", "add", "--debtor", "C001", "--amount", "10", "--date", "2999-01-01",
        cwd=tmp_path,
    )  # fmt: skip
    assert future.returncode == 1 and "è nel futuro" in future.stderr
    assert "Traceback" not in unknown.stderr + future.stderr
    assert await Payment.all().count() == 0


async def test_writeoff_record_and_limit(tmp_path: Path, db: str) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 30_000)
    too_much = cli(
        "writeoff", "record", "--invoice", "F-1", "--amount", "400", "--reason", "x", cwd=tmp_path
    )
    assert too_much.returncode == 1
    assert "supera quanto è aperto (300,00 €)" in too_much.stderr.replace("\xa0", " ")
    done = cli("writeoff", "record", "--debtor", "C001", "--reason", "fallito", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "✂️ Stralciati 300,00 € di Rossi S.r.l. (C001)" in done.stdout.replace("\xa0", " ")
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.WRITTEN_OFF
    record = await WriteOff.get()
    assert (record.actor, record.reason) == (f"cli:{getpass.getuser()}", "fallito")
    assert await Payment.all().count() == 0

    await StaffMember.create(telegram_user_id=501, name="Anna")
    limit = cli("writeoff", "limit", "501", "1.000,00", cwd=tmp_path)
    assert limit.returncode == 0 and limit.stdout.strip() == "Anna: write-off limit €1,000.00"
    assert (await StaffMember.get(telegram_user_id=501)).writeoff_limit_cents == 100_000
    nobody = cli("writeoff", "limit", "999", "10", cwd=tmp_path)
    assert nobody.returncode == 1 and "no staff member with Telegram id 999" in nobody.stderr
