"""`python -m bot rates add|show`, and a broken rate table refused at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.escalation import rates
from bot.runtime import build_runtime
from tests.support.cli_run import run_cli


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rates"
    folder.mkdir()
    for name in rates.FILES.values():
        shutil.copy(rates.RATES_DIR / name, folder / name)
    return folder


def test_rates_add_appends_and_refuses_a_gap(copy: Path, tmp_path: Path) -> None:
    last = rates.load_table(rates.REFERENCE, copy).last
    done = run_cli(
        "rates", "add", "reference", str(last.next()), "2,00", "--dir", str(copy), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f'reference_rate.toml: added "{last.next()}" = 2.00'
    assert rates.load_table(rates.REFERENCE, copy).entries[-1][1] == 2
    gap = str(last.next().next().next())
    refused = run_cli("rates", "add", "reference", gap, "2", "--dir", str(copy), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: reference_rate.toml: {gap} leaves a gap: the next period is {last.next().next()}"
    )
    legal = run_cli("rates", "add", "legal", "2027", "1.50", "--dir", str(copy), cwd=tmp_path)
    assert legal.stdout.strip() == 'legal_interest.toml: added "2027" = 1.50'


def test_rates_show_names_the_tables(tmp_path: Path) -> None:
    done = run_cli("rates", "show", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "reference_rate.toml: 2013-H1 to " in done.stdout
    assert "legal_interest.toml: 2013 to " in done.stdout


def test_a_broken_table_stops_the_start_with_file_and_line(
    copy: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy / "legal_interest.toml"
    text = path.read_text().replace('"2022" = 1.25', '"2022" = -1.25')
    path.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith('"2022"'))
    monkeypatch.setattr(rates, "RATES_DIR", copy)
    rates.default_rates.cache_clear()
    try:
        with pytest.raises(rates.RateTableError) as caught:
            build_runtime(settings)
    finally:
        rates.default_rates.cache_clear()
    assert str(caught.value) == f"{path}: line {line}: a rate cannot be negative (-1.25)"
