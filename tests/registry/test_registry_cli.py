"""`python -m bot history` and `privacy` as an operator runs them: fresh processes against the
test database, real exit codes, clear errors for an unknown reference or a missing --yes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bot.models import AuditEvent, Debtor
from tests.conftest import DATABASE_URL
from tests.registry.registry_data import PHONE, debtor_with_history
from tests.support.cli_run import ROOT, run_cli


def cli(*args: str, cwd: Path):  # type: ignore[no-untyped-def]
    policy = str(ROOT / "policy.toml")
    return run_cli(*args, cwd=cwd, DATABASE_URL=DATABASE_URL, POLICY_FILE=policy)


async def test_history_on_the_terminal_and_as_csv(tmp_path: Path, db: str) -> None:
    await debtor_with_history()
    shown = cli("history", "c042", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout.replace("\xa0", " ")
    assert text.startswith("👤 Rossi Impianti S.r.l. (C042, #1)\n💰 Esposizione: 1.500,00 €")
    assert "🕓 Cronologia (10 voci):" in text
    assert "03/11/26 13:00 ← telegram: «posso pagare a rate? Mario Rossi 333 1234567»" in text
    assert "04/11/26 01:00 🗂 Anna: plan.rejected (plan:1)" in text
    written = cli("history", "C042", "--csv", "out.csv", cwd=tmp_path)
    assert written.returncode == 0 and "10 entries written to out.csv" in written.stderr
    with (tmp_path / "out.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 10 and rows[6]["kind"] == "payment" and rows[6]["amount_cents"] == "23456"


async def test_unknown_reference_and_unwritable_file(tmp_path: Path, db: str) -> None:
    await debtor_with_history()
    unknown = [("history", "NOPE"), ("privacy", "export", "NOPE")]
    for args in [*unknown, ("privacy", "erase", "NOPE", "--yes")]:
        result = cli(*args, cwd=tmp_path)
        assert (
            result.returncode == 1 and result.stderr == "error: no debtor with reference 'NOPE'\n"
        )
    bad = cli("history", "C042", "--csv", "missing/dir/out.csv", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("error: missing/dir/out.csv: ")
    assert "Traceback" not in bad.stderr


async def test_privacy_export_then_erase(tmp_path: Path, db: str) -> None:
    debtor = await debtor_with_history()
    exported = cli("privacy", "export", "C042", "--out", "c042.json", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = json.loads((tmp_path / "c042.json").read_text(encoding="utf-8"))
    assert data["debtor"]["external_ref"] == "C042" and len(data["messages"]) == 3
    refused = cli("privacy", "erase", "C042", cwd=tmp_path)
    assert refused.returncode == 2 and "run again with --yes to confirm" in refused.stderr
    assert (await Debtor.get(id=debtor.id)).erased_at is None
    erased = cli("privacy", "erase", "C042", "--yes", cwd=tmp_path)
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("C042: personal data erased (contact_points 2, messages 3,")
    assert (await Debtor.get(id=debtor.id)).erased_at is not None
    after = cli("privacy", "export", "C042", cwd=tmp_path)
    assert PHONE not in after.stdout and "Rossi" not in after.stdout
    actions = await AuditEvent.filter(subject=f"debtor:{debtor.id}").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["privacy.erased", "privacy.exported", "privacy.exported"]
