"""Where a case's evidence is kept: one folder per debtor under VAR_DIR/cases/, named by the
debtor's reference, holding the formal notices' PDFs and the PEC receipts that prove delivery."""

from __future__ import annotations

import re
from pathlib import Path

CASES_DIR = "cases"


def case_folder(var_dir: Path, debtor_ref: str) -> Path:
    """The debtor's evidence folder (not created here); the reference made safe as a file name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", debtor_ref).strip("._") or "debtor"
    return var_dir / CASES_DIR / safe
