"""Message texts: Jinja2 templates per language under templates/<lang>/, with babel formatting.

Every text a debtor or staff member reads lives in a template; Python code only chooses which.
Template names are paths without the language: `render("reminders/overdue_1.txt", "it", ...)`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.formats import date, language_or_default, money

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# A name ending in a period ("Rossi S.r.l.") before the template's own period: "S.r.l..".
_DOUBLE_PERIOD = re.compile(r"(?<=[^.\s])\.\.(?!\.)")
# Spaces left at the end of a line, and more than one blank line in a row (optional parts that
# rendered nothing).
_TRAILING_SPACES = re.compile(r"[ \t]+(?=\n)")
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """What a template joins badly, put right: the period after a name that ends in one, spaces
    at the end of a line, runs of blank lines."""
    text = _DOUBLE_PERIOD.sub(".", text)
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACES.sub("", text))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the code: no stat() of the file on every render to see if it changed.
        auto_reload=False,
    )
    # {{ iban|grouped }}: "IT60 X054 2811 ...", as an IBAN is printed to be read and copied.
    env.filters["grouped"] = lambda value: " ".join(
        str(value)[i : i + 4] for i in range(0, len(str(value)), 4)
    )
    return env


@lru_cache(maxsize=1024)
def template_exists(language: str, name: str) -> bool:
    """Whether templates/<language>/<name> exists. Templates ship with the code and are read once
    (the environment's auto_reload is off), so the answer is remembered, not a stat() a reply."""
    return (TEMPLATES_DIR / language_or_default(language) / name).is_file()


def render(name: str, language: str, /, **context: Any) -> str:
    """Render templates/<language>/<name> with money and date filters bound to the language."""
    language = language_or_default(language)
    env = environment()
    template = env.get_template(f"{language}/{name}")
    helpers = {
        "money": lambda cents, currency="EUR": money(cents, currency, language),
        "date": lambda value, fmt="long": date(value, language, fmt),
        # {{ n }} {{ plural(n, "fattura", "fatture") }}: "1 fattura", "2 fatture", not "1 fatture".
        "plural": lambda n, one, many: one if n == 1 else many,
        "language": language,
    }
    return tidy(template.render(**helpers, **context)).strip()
