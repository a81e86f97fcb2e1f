"""The text a PDF shows, read back from its content streams: enough to test what fpdf2 wrote with
its core fonts (Windows-1252 strings in `(...) Tj`), with no PDF library of our own."""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"(": b"(", b")": b")", b"\\": b"\\"}


def _strings(content: bytes) -> list[bytes]:
    """The literal strings of a content stream, unescaped."""
    found, i = [], 0
    while (start := content.find(b"(", i)) != -1:
        out, j = bytearray(), start + 1
        while j < len(content) and content[j : j + 1] != b")":
            if content[j : j + 1] == b"\\":
                j += 1
                out += _ESCAPES.get(content[j : j + 1], content[j : j + 1])
            else:
                out += content[j : j + 1]
            j += 1
        found.append(bytes(out))
        i = j + 1
    return found


def pdf_text(pdf: bytes) -> str:
    """Every string the pages draw, one a line, decoded as fpdf2 encoded it."""
    lines = []
    for raw in _STREAM.findall(pdf):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        if b"Tj" in content:
            lines += [s.decode("windows-1252") for s in _strings(content)]
    return "\n".join(lines)
