"""`python -m bot cashflow | aging | scadenzario` as the accountant runs them: the figures printed
and the CSV and XLSX files agree with each other, bad output paths are refused before anything
is read. (The CLI runs on the wall clock, so only figures that hold on any day are checked here;
the figures themselves are tested on a frozen day in test_cashflow.py and test_staff_charts.py.)"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.credit.ledger import OpenInvoice
from bot.enums import InvoiceStatus
from bot.report_files import aging_table, scadenzario, write_table
from tests.support.cli_run import ROOT, run_cli

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("books")
    env = {
        "DATABASE_URL": f"sqlite://{folder}/books.sqlite3",
        "POLICY_FILE": str(ROOT / "policy.toml"),
        "VAR_DIR": str(folder / "var"),
    }
    assert run_cli("migrate", cwd=folder, **env).returncode == 0
    imported = run_cli(
        "import",
        "--debtors",
        str(ROOT / "examples" / "debtors.csv"),
        "--invoices",
        str(ROOT / "examples" / "invoices.csv"),
        cwd=folder,
        **env,
    )
    assert imported.returncode == 0, imported.stderr
    return folder, env


def money_cell(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_scadenzario_and_aging_files_agree(books: tuple[Path, dict[str, str]]) -> None:
    folder, env = books
    listing = run_cli("scadenzario", "--csv", "s.csv", "--xlsx", "s.xlsx", cwd=folder, **env)
    assert listing.returncode == 0, listing.stderr
    with (folder / "s.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:6] == ["Numero", "Cliente", "Data emissione", "Scadenza", "Importo", "Residuo"]
    owed = sum(money_cell(row[5]) for row in rows[1:])
    assert f"{len(rows) - 1} open invoice(s)" in listing.stdout
    sheet = load_workbook(folder / "s.xlsx").active
    assert sheet is not None
    assert sum(Decimal(str(row[5])) for row in sheet.iter_rows(min_row=2, values_only=True)) == owed

    aged = run_cli("aging", "--xlsx", "a.xlsx", "--chart", "a.png", cwd=folder, **env)
    assert aged.returncode == 0, aged.stderr
    total_row = list(load_workbook(folder / "a.xlsx").active.iter_rows(values_only=True))[-1]  # type: ignore[union-attr]
    assert total_row[0] == "Totale" and total_row[1] == len(rows) - 1
    assert Decimal(str(total_row[2])) == owed
    assert (folder / "a.png").read_bytes().startswith(b"\x89PNG")


def test_cashflow_weeks_in_the_csv(books: tuple[Path, dict[str, str]]) -> None:
    folder, env = books
    result = run_cli("cashflow", "--weeks", "5", "--csv", "c.csv", cwd=folder, **env)
    assert result.returncode == 0, result.stderr
    assert "Incassi attesi nelle prossime 5 settimane" in result.stdout
    with (folder / "c.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["Settimana dal", "al", "Fatture", "Promesse", "Rate", "Totale"]
    assert len(rows) == 6


def test_bad_outputs_are_refused_before_anything_is_read(
    books: tuple[Path, dict[str, str]],
) -> None:
    folder, env = books
    wrong = run_cli("aging", "--csv", "a.txt", cwd=folder, **env)
    assert wrong.returncode == 2 and "--csv a.txt: the file name must end in .csv" in wrong.stderr
    nowhere = run_cli("scadenzario", "--xlsx", "missing/s.xlsx", cwd=folder, **env)
    assert nowhere.returncode == 2 and "the folder missing does not exist" in nowhere.stderr
    weeks = run_cli("cashflow", "--weeks", "40", cwd=folder, **env)
    assert weeks.returncode == 2 and "from 1 to 26" in weeks.stderr
    assert not (folder / "a.txt").exists()


def invoice(number: str, debtor_id: int, due: dt.date, cents: int) -> OpenInvoice:
    return OpenInvoice(
        invoice_id=int(number[-1]),
        number=number,
        debtor_id=debtor_id,
        debtor_name=f"Cliente {debtor_id}",
        issued=due - dt.timedelta(days=30),
        due=due,
        amount_cents=cents,
        balance_cents=cents,
        status=InvoiceStatus.OPEN,
        currency="EUR",
    )


def test_the_due_date_list_carries_each_debtors_expected_day(tmp_path: Path) -> None:
    invoices = [
        invoice("F-1", 1, TODAY - dt.timedelta(days=10), 1_234_56),
        invoice("F-2", 2, TODAY, 99),
    ]
    table = scadenzario(invoices, {1: 20.0}, TODAY, "en")
    assert table.rows[0][6:9] == (10, "1-30", TODAY + dt.timedelta(days=10))
    assert table.rows[1][6:9] == (0, "not yet due", TODAY)
    write_table(tmp_path / "s.csv", table, "en", "scadenzario")
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Number,Customer,Issue date,Due date,Amount,Balance")
    assert lines[1] == "F-1,Cliente 1,2026-10-14,2026-11-13,1234.56,1234.56,10,1-30,2026-12-03,open"
    with pytest.raises(ValueError, match=r"not \.ods"):
        write_table(
            tmp_path / "s.ods",
            aging_table({"buckets": [], "count": 0, "total_cents": 0}, "en"),
            "en",
            "x",
        )
