"""The review file being written: headings, notes, text blocks, and which templates it rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.texts import render


@dataclass
class Review:
    """The review file being written, and which templates it has rendered."""

    lines: list[str] = field(default_factory=list)
    rendered: set[str] = field(default_factory=set)

    def heading(self, level: int, text: str) -> None:
        self.lines += ["", "#" * level + " " + text, ""]

    def note(self, text: str) -> None:
        self.lines += [text, ""]

    def block(self, label: str, text: str) -> None:
        self.lines += [f"**{label}**", "", "```text", *text.split("\n"), "```", ""]

    def render(self, template: str, language: str, /, **context: Any) -> str:
        self.rendered.add(f"{language}/{template}")
        return render(template, language, **context)
