"""HTML as a reviewer reads it: the pay pages and the e-mails' HTML part as plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


class _Text(HTMLParser):
    """HTML to readable text: blocks on their own lines, links with their address, buttons in
    brackets, images by their description; <title>, <style> and comments left out."""

    BLOCKS = frozenset({"p", "h1", "h2", "tr", "li", "dt", "dd", "section", "table", "div", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("title", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "img":
            self.parts.append(f"[image: {values.get('alt') or ''}]")
        elif tag == "button":
            self.parts.append("[ ")
        elif tag == "td" or tag == "th":
            self.parts.append(" | ")
        if tag == "a":
            self.href.append(values.get("href") or "")
        if tag == "form":
            self.parts.append(f"(form, POST {values.get('action')}) ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "style", "head"):
            self.skip = max(self.skip - 1, 0)
        elif tag == "button":
            self.parts.append(" ]")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href:
                self.parts.append(f" <{href}>")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_as_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(line for line in lines if line)
    return html.unescape(text)
