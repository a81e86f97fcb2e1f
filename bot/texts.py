"""Message texts: Jinja2 templates per language under templates/<lang>/, with babel formatting.

Every text a debtor or staff member reads lives in a template; Python code only chooses which.
Template names are paths without the language: `render("reminders/overdue_1.txt", "it", ...)`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.config import SUPPORTED_LANGUAGES

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_LOCALES = {"it": "it_IT", "en": "en_GB"}


# Pure functions of their arguments, and babel's formatting costs 10-20 us a call: remembered.
@lru_cache(maxsize=4096)
def money(cents: int, currency: str = "EUR", language: str = "it") -> str:
    """it: "1.234,56 €"; en: "€1,234.56". Exact: cents go through Decimal, never float."""
    amount = Decimal(cents).scaleb(-2)
    return format_currency(amount, currency, locale=_LOCALES.get(language, "it_IT"))


@lru_cache(maxsize=4096)
def date(value: dt.date | str, language: str = "it", fmt: str = "long") -> str:
    """it: "15 dicembre 2026"; en: "15 December 2026" (long, as a letter writes it).
    `medium` gives "15 dic 2026", `short` 15/12/26, `full` adds the weekday.

    An ISO string is read as a date: contexts stored as JSON carry dates that way.
    """
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    text = format_date(value, format=fmt, locale=_LOCALES.get(language, "it_IT"))
    if value.day == 1 and language_or_default(language) == "it" and fmt in ("long", "full"):
        text = re.sub(r"\b1 ", "1º ", text, count=1)  # "1º febbraio 2027", as Italian writes it
    return text


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


def language_or_default(language: str | None, default: str = "it") -> str:
    return language if language in SUPPORTED_LANGUAGES else default


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
