"""The command line as an operator meets it: fresh processes, real exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli_run import run_cli


def test_an_unmigrated_database_is_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("external_ref,name\nC1,Rossi\n")
    url = f"sqlite://{tmp_path}/fresh.sqlite3"
    result = run_cli("import", "--debtors", "d.csv", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    assert "run `python -m bot migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_then_the_database_is_accepted(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/fresh.sqlite3"
    first = run_cli("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied ") and "0001_initial" in first.stdout
    again = run_cli("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert again.returncode == 0 and "applied 0 migration(s)" in again.stdout


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    """A model change without its migration would make production and tests disagree."""
    result = run_cli("makemigrations", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_staff_add_list_and_remove(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/staff.sqlite3"
    assert run_cli("migrate", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    added = run_cli(
        "staff",
        "add",
        "4242",
        "--name",
        "Anna Bianchi",
        "--limit",
        "5.000,00",
        cwd=tmp_path,
        DATABASE_URL=url,
    )
    assert added.returncode == 0, added.stderr
    assert "registered Anna Bianchi (controller, limit €5,000.00)" in added.stdout
    listed = run_cli("staff", "list", cwd=tmp_path, DATABASE_URL=url)
    assert "Anna Bianchi" in listed.stdout
    bad = run_cli(
        "staff", "add", "1", "--name", "X", "--limit", "lots", cwd=tmp_path, DATABASE_URL=url
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: --limit:")
    assert run_cli("staff", "remove", "4242", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    assert "Anna" not in run_cli("staff", "list", cwd=tmp_path, DATABASE_URL=url).stdout
