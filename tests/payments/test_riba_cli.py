"""`python -m bot payments import-riba` on the example flow, in a process of its own: an insoluto
reopens, a paid RiBa closes, twice changes nothing, a broken file writes nothing; `import-bank`
tells the flow by its content and applies it the same way."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli_run import ROOT, run_cli


def test_cli_imports_the_example_riba_flow_twice(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3",
        "VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "cli-test",
    }
    assert run_cli("migrate", cwd=ROOT, **env).returncode == 0
    imported = run_cli(
        "import",
        "--debtors",
        "examples/debtors.csv",
        "--invoices",
        "examples/invoices.csv",
        cwd=ROOT,
        **env,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    broken = tmp_path / "broken.txt"
    text = (ROOT / "examples" / "riba_esiti.txt").read_text(encoding="latin-1")
    broken.write_text(text.replace("C003", "C999"), encoding="latin-1")
    refused = run_cli("payments", "import-riba", str(broken), cwd=ROOT, **env)
    assert refused.returncode == 1
    assert "broken.txt, line 9, debtor code: 'C999' is not the reference" in refused.stderr
    assert "nothing was written" in refused.stderr

    first = run_cli("payments", "import-riba", "examples/riba_esiti.txt", cwd=ROOT, **env)
    assert first.returncode == 0, first.stderr
    assert "1 paid, 1 unpaid, 0 recalled, 0 already imported" in first.stdout
    assert "reopened: F-2026-125" in first.stdout and "charges 8.50" in first.stdout
    second = run_cli("payments", "import-riba", "examples/riba_esiti.txt", cwd=ROOT, **env)
    assert "0 paid, 0 unpaid, 0 recalled, 2 already imported" in second.stdout
    # Given to import-bank, the flow is told by its content and applied the same way.
    third = run_cli("payments", "import-bank", "examples/riba_esiti.txt", cwd=ROOT, **env)
    assert third.returncode == 0, third.stderr
    assert "0 paid, 0 unpaid, 0 recalled, 2 already imported" in third.stdout
