"""Money and dates as a person reads them, in Italian or English (babel): plain functions that
need no template, for the templates (bot/texts.py) and for any text written without one.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_currency

from bot.config import SUPPORTED_LANGUAGES

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


def language_or_default(language: str | None, default: str = "it") -> str:
    return language if language in SUPPORTED_LANGUAGES else default
