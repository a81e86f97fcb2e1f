"""The files of a FatturaPA import -> (name, XML bytes): .xml as they are, .xml.p7m unwrapped
(bot/importers/fatturapa/p7m.py), .zip archives read in memory, their entries named
"archive.zip/inner/path.xml".

Nothing is ever extracted to disk. An archive is refused politely, before anything of it is read,
when it looks like a zip bomb (too many entries, an entry or a total too large once unpacked,
or an entry that unpacks to more than MAX_RATIO times its packed size) or when an entry's name
plays path tricks (absolute, drive letters, "..").
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from bot.importers.fatturapa.p7m import SignedFileError, signed_content
from bot.importers.report import Problem

MAX_FILE_BYTES = 50 * 1024 * 1024  # one invoice file, packed or not (SdI's own limit is 5 MB)
MAX_ENTRIES = 100_000  # entries in one archive
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # everything one archive unpacks to
MAX_RATIO = 200  # unpacked / packed size of one entry above 1 MB
MAX_DEPTH = 2  # a zip inside a zip is read; deeper nesting is refused


@dataclass(frozen=True)
class Source:
    name: str  # as the report names it: the path, or "archive.zip/inner/file.xml"
    data: bytes  # the XML, unwrapped from its signature
    skip: str = ""  # why an archive's entry is not an invoice (a PDF copy, a readme): reported


def read_sources(paths: list[Path], problems: list[Problem]) -> Iterator[Source]:
    """The invoice files one by one, as they are read: an archive is never held whole in memory
    (a top-level zip is read from its file, entry by entry)."""
    for path in paths:
        if not path.is_file():
            problems.append(Problem(str(path), 0, "", "no such file"))
        elif _is_zip_name(path.name):
            with path.open("rb") as handle:
                yield from _read_zip(str(path), handle, problems, depth=1)
        elif path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(str(path), 0, "", "larger than 50 MB: not an invoice file"))
        else:
            yield from _read(str(path), path.read_bytes(), problems, depth=0)


def count_sources(paths: list[Path]) -> int:
    """About how many invoice files `paths` hold, for the progress bar: the files, and the
    entries of the archives given (an archive inside one counts once)."""
    total = 0
    for path in paths:
        if _is_zip_name(path.name) and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                total += sum(1 for info in archive.infolist() if not _skipped(info))
        else:
            total += 1
    return total


def _skipped(info: zipfile.ZipInfo) -> bool:
    """Folders, and the metadata some archivers add (.DS_Store, __MACOSX)."""
    name = PurePosixPath(info.filename).name
    return info.is_dir() or name.startswith(".") or info.filename.startswith("__MACOSX/")


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def _read(name: str, data: bytes, problems: list[Problem], depth: int) -> Iterator[Source]:
    lower = name.lower()
    if lower.endswith(".zip"):
        if depth >= MAX_DEPTH:
            problems.append(Problem(name, 0, "", "an archive nested too deep; unpack it first"))
            return
        yield from _read_zip(name, io.BytesIO(data), problems, depth + 1)
    elif lower.endswith(".p7m"):
        try:
            yield Source(name, signed_content(data))
        except SignedFileError as exc:
            problems.append(Problem(name, 0, "", str(exc)))
    elif lower.endswith(".xml"):
        yield Source(name, data)
    elif depth > 0:
        # Exports carry PDF or HTML copies beside the XML: not an invoice file, said and skipped.
        yield Source(name, b"", skip=f"{name}: not a .xml, .xml.p7m or .zip file: skipped")
    else:
        problems.append(Problem(name, 0, "", "not a .xml, .xml.p7m or .zip file"))


def _read_zip(name: str, data: BinaryIO, problems: list[Problem], depth: int) -> Iterator[Source]:
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(Problem(name, 0, "", f"not a readable zip archive ({exc})"))
        return
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        refusal = _refusal(entries)
        if refusal:
            problems.append(Problem(name, 0, "", refusal))
            return
        for info in entries:
            if _skipped(info):
                continue
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                problems.append(Problem(f"{name}/{info.filename}", 0, "", f"unreadable ({exc})"))
                continue
            yield from _read(f"{name}/{info.filename}", content, problems, depth)


def _refusal(entries: list[zipfile.ZipInfo]) -> str:
    """Why an archive is not read at all, or ""."""
    if len(entries) > MAX_ENTRIES:
        return f"{len(entries)} entries: more than {MAX_ENTRIES}; split the archive"
    total = 0
    for info in entries:
        if _tricky(info.filename):
            return f"the entry {info.filename!r} has a path that points outside the archive"
        if info.file_size > MAX_FILE_BYTES:
            return f"the entry {info.filename!r} unpacks to more than 50 MB"
        packed = max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and info.file_size / packed > MAX_RATIO:
            return f"the entry {info.filename!r} unpacks {info.file_size // packed}:1 (a zip bomb?)"
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        return "the archive unpacks to more than 2 GB; split it"
    return ""


def _tricky(filename: str) -> bool:
    name = filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    return name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":")
