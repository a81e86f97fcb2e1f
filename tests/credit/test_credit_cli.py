"""`python -m bot debtor set-limit REF AMOUNT` and `python -m bot credit check REF` as an operator
runs them: fresh processes, exit codes, one-line errors; and a limit in the import file."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli_run import ROOT, run_cli


def test_set_a_limit_then_check_the_debtors_credit(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/credit.sqlite3"
    policy = str(ROOT / "policy.toml")
    env = {"DATABASE_URL": url, "POLICY_FILE": policy, "DEFAULT_LANGUAGE": "en"}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    (tmp_path / "d.csv").write_text("external_ref,name\nC001,Rossi S.r.l.\n", encoding="utf-8")
    (tmp_path / "i.csv").write_text(
        "number,debtor_ref,issue_date,due_date,amount\nF-1,C001,2020-01-01,2020-01-31,1200.00\n",
        encoding="utf-8",
    )
    imported = run_cli("import", "--debtors", "d.csv", "--invoices", "i.csv", cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stderr

    set_limit = run_cli("debtor", "set-limit", "C001", "1.000,00", cwd=tmp_path, **env)
    assert set_limit.returncode == 0, set_limit.stderr
    assert set_limit.stdout.splitlines() == [
        "Rossi S.r.l. (C001): credit limit €1,000.00",
        "note: the exposure of €1,200.00 is already over this limit",
    ]

    checked = run_cli("credit", "check", "C001", cwd=tmp_path, **env)
    assert checked.returncode == 0, checked.stderr
    card = checked.stdout.replace("\xa0", " ")
    assert card.startswith("📊 Rossi S.r.l. (C001)")
    assert "Exposure: €1,200.00 on 1 invoice (€1,200.00 overdue, €0.00 not yet due)" in card
    assert "Credit limit: €1,000.00, exceeded by €200.00" in card
    assert "Risk: 25/100, band B" in card
    assert "- no history: neutral score (+25)" in card

    cleared = run_cli("debtor", "set-limit", "C001", "none", cwd=tmp_path, **env)
    assert cleared.stdout.strip() == "Rossi S.r.l. (C001): credit limit none"
    assert "Credit limit: not set" in run_cli("credit", "check", "C001", cwd=tmp_path, **env).stdout


def test_bad_limits_and_unknown_debtors_are_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/credit.sqlite3"
    env = {"DATABASE_URL": url, "POLICY_FILE": str(ROOT / "policy.toml")}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    negative = run_cli("debtor", "set-limit", "C001", "-5", cwd=tmp_path, **env)
    assert negative.returncode == 2
    assert negative.stderr.strip() == "error: AMOUNT: '-5': a credit limit cannot be negative"
    words = run_cli("debtor", "set-limit", "C001", "lots", cwd=tmp_path, **env)
    assert words.returncode == 2 and words.stderr.startswith("error: AMOUNT: ")
    assert "Traceback" not in words.stderr
    unknown = run_cli("credit", "check", "C404", cwd=tmp_path, **env)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: no debtor with reference 'C404'"
    nobody = run_cli("debtor", "set-limit", "C404", "100", cwd=tmp_path, **env)
    assert nobody.returncode == 1


def test_an_import_refuses_a_limit_that_is_negative_or_not_a_number_with_line_and_column(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path}/credit.sqlite3"
    env = {"DATABASE_URL": url, "POLICY_FILE": str(ROOT / "policy.toml")}
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    (tmp_path / "d.csv").write_text(
        "external_ref,name,Fido\nC001,Rossi,5000\nC002,Bianchi,-10\nC003,Verdi,molto\n",
        encoding="utf-8",
    )
    result = run_cli("import", "--debtors", "d.csv", cwd=tmp_path, **env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "d.csv:3: Fido: cannot be negative" in lines
    assert any(line.startswith("d.csv:4: Fido: ") for line in lines)
    assert "nothing was written" in result.stdout
