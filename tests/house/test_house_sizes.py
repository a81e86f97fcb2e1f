"""House rule: rooms by job. No file in bot/ or scheduler/ over 400 lines, no function over 60.

A data or generated file may be longer when its first line says why, in the form
`# house: long because <reason>` (data: sample contexts, word lists; generated: nothing today).
The marker is for data, not for code that grew: split the code instead. bot/migrations is made by
`python -m bot makemigrations` and is not read here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "scheduler")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
MARKER = "# house: long because "
GENERATED = (Path("bot/migrations"),)

# The files that carry the marker, each data: the sample contexts of the texts review.
DATA_FILES = {"bot/review/samples.py", "bot/flows/understanding_words.py"}


def sources() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not any(relative.is_relative_to(folder) for folder in GENERATED):
                found.append(relative)
    return found


def has_reason(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return first.startswith(MARKER) and bool(first.removeprefix(MARKER).strip())


def oversized(relative: Path, root: Path = ROOT) -> list[str]:
    """What in this file is over the limits: the file itself, and each function too long."""
    text = (root / relative).read_text(encoding="utf-8")
    if has_reason(text):
        return []
    found = []
    lines = text.count("\n")
    if lines > MAX_FILE_LINES:
        found.append(f"{relative}: {lines} lines (at most {MAX_FILE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{relative}:{node.lineno} {node.name}: {length} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )
    return found


def test_no_room_holds_several_jobs() -> None:
    problems = [problem for relative in sources() for problem in oversized(relative)]
    assert problems == [], "split these, or mark a data file:\n" + "\n".join(problems)


def test_the_limits_are_read_as_written(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    (tmp_path / "fits.py").write_text(f"def f() -> None:\n{body}\n")
    (tmp_path / "long_function.py").write_text(f"def f() -> None:\n{body}\n    x = 0\n")
    (tmp_path / "long_file.py").write_text("x = 1\n" * (MAX_FILE_LINES + 1))
    (tmp_path / "data.py").write_text(MARKER + "it is data\n" + "x = 1\n" * 500)
    (tmp_path / "bare_marker.py").write_text(MARKER + "\n" + "x = 1\n" * 500)
    assert oversized(Path("fits.py"), tmp_path) == []
    assert oversized(Path("long_function.py"), tmp_path) == [
        f"long_function.py:1 f: {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})"
    ]
    assert oversized(Path("long_file.py"), tmp_path) == [
        f"long_file.py: {MAX_FILE_LINES + 1} lines (at most {MAX_FILE_LINES})"
    ]
    assert oversized(Path("data.py"), tmp_path) == []
    assert oversized(Path("bare_marker.py"), tmp_path) == [
        f"bare_marker.py: 501 lines (at most {MAX_FILE_LINES})"
    ]


def test_every_marked_file_is_data() -> None:
    """The marker is rare on purpose: a file newly marked is added here, by name, in review."""
    marked = {
        relative.as_posix()
        for relative in sources()
        if has_reason((ROOT / relative).read_text(encoding="utf-8"))
    }
    assert marked == DATA_FILES
