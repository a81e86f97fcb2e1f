"""`python -m bot import --fatturapa` as an operator runs it: the example SdI export, a re-run
that changes nothing, a refused file, the progress bar on a terminal and silence off one."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import zipfile
from pathlib import Path

from bot.importers.fatturapa.p7m import signed_content
from tests.support.cli_run import ROOT, run_cli
from tests.support.fatturapa_examples import EXAMPLE_ZIP, example_files

POLICY = str(ROOT / "policy.toml")


def _env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite://{tmp_path}/fpa.sqlite3", "POLICY_FILE": POLICY}


def test_the_committed_example_archive_holds_what_its_builder_writes() -> None:
    with zipfile.ZipFile(io.BytesIO(EXAMPLE_ZIP.read_bytes())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    expected = example_files()
    assert sorted(members) == sorted(expected)
    for name, data in members.items():
        xml = signed_content(data) if name.endswith(".p7m") else data
        assert xml == expected[name], name


def test_import_the_example_export_then_again_without_changes(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    first = run_cli("import", "--fatturapa", str(EXAMPLE_ZIP), cwd=tmp_path, **env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "(3 files read)" in first.stdout
    assert "invoices:       4 created, 0 updated, 0 unchanged" in first.stdout
    assert "credit notes:   1 created, 0 updated, 0 unchanged" in first.stdout
    assert first.stderr == ""  # not a terminal: no progress bar
    again = run_cli("import", "--fatturapa", str(EXAMPLE_ZIP), cwd=tmp_path, **env)
    assert again.returncode == 0
    assert "invoices:       0 created, 0 updated, 4 unchanged" in again.stdout
    assert "credit notes:   0 created, 0 updated, 1 unchanged" in again.stdout


def test_a_refused_file_exits_1_and_names_file_line_and_element(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli("migrate", cwd=tmp_path, **env).returncode == 0
    name = "2026/11/fatture/IT01879020517_00101.xml"
    bad = example_files()[name].replace(b"<Divisa>EUR</Divisa>", b"<Divisa>euro</Divisa>")
    (tmp_path / "bad.xml").write_bytes(bad)
    result = run_cli("import", "--fatturapa", str(EXAMPLE_ZIP), "bad.xml", cwd=tmp_path, **env)
    assert result.returncode == 1
    assert "refused: 1 problem(s); nothing was written" in result.stdout
    line = next(n for n, text in enumerate(bad.decode().splitlines(), 1) if "euro" in text)
    assert (
        f"bad.xml:{line}: /FatturaElettronica/FatturaElettronicaBody/DatiGenerali/" in result.stdout
    )
    assert "DatiGeneraliDocumento/Divisa: Element 'Divisa'" in result.stdout
    listing = run_cli("import", "--fatturapa", str(EXAMPLE_ZIP), "--dry-run", cwd=tmp_path, **env)
    assert "invoices:       4 created" in listing.stdout  # the refused run wrote nothing


def test_a_terminal_sees_the_progress_bar(tmp_path: Path) -> None:
    env = {**os.environ, **_env(tmp_path), "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("TEST_")}
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    master, slave = pty.openpty()
    # A terminal of 120 columns, as an operator's (a new pty has none: tqdm would draw nothing).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "import", "--fatturapa", str(EXAMPLE_ZIP)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        timeout=120,
        check=False,
    )
    os.close(slave)
    seen = b""
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:
        pass  # the pty is drained once the child has gone
    os.close(master)
    assert done.returncode == 0
    text = seen.decode(errors="replace")
    assert "FatturaPA: 100%" in text and "3/3" in text
    assert "invoices=3" in text and "errors=0" in text  # two invoices and the credit note


def test_fatturapa_and_csv_files_are_separate_runs(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("external_ref,name\nC1,Rossi\n", encoding="utf-8")
    result = run_cli(
        "import",
        "--debtors",
        "d.csv",
        "--fatturapa",
        str(EXAMPLE_ZIP),
        cwd=tmp_path,
        **_env(tmp_path),
    )
    assert result.returncode == 2
    assert "import --fatturapa on its own" in result.stderr
