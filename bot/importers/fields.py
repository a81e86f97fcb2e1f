"""Cell parsers shared by the importers: dates, currencies, languages, time zones.

Each takes the stripped cell text and returns the value, or raises ValueError with a reason
a person can act on. Amounts are bot.money.parse_amount; phones and e-mails bot.contacts.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import available_timezones

from babel.numbers import list_currencies

from bot.importers.columns import KIND_ALIASES, LANGUAGE_ALIASES, STATUS_ALIASES, header_key
from bot.models import DebtorKind, InvoiceStatus

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ITALIAN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_cell_date(text: str) -> dt.date:
    """'2026-11-23' or '23/11/2026' (day first, as in Italy) -> date."""
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _ITALIAN_DATE.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a date (write 2026-11-23 or 23/11/2026)")
        day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(text: str) -> str:
    """'eur' -> 'EUR'; any ISO 4217 code babel knows."""
    code = text.upper()
    if code == "€":
        return "EUR"
    if code not in _currencies():
        raise ValueError(f"{text!r} is not an ISO 4217 currency code (e.g. EUR, USD, CHF)")
    return code


def parse_kind(text: str) -> DebtorKind:
    """'azienda', 'Business' -> business; 'consumatore', 'privato' -> consumer."""
    kind = KIND_ALIASES.get(header_key(text))
    if kind is None:
        raise ValueError(f"{text!r} is not business or consumer (azienda, consumatore)")
    return DebtorKind(kind)


def parse_language(text: str) -> str:
    """'IT', 'italiano' -> 'it'; 'EN', 'english' -> 'en'."""
    language = LANGUAGE_ALIASES.get(text.lower())
    if language is None:
        raise ValueError(f"{text!r} is not a language the bot speaks (it or en)")
    return language


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(text: str) -> str:
    """An IANA time zone name, e.g. Europe/Rome."""
    if text not in _time_zones():
        raise ValueError(f"{text!r} is not an IANA time zone (e.g. Europe/Rome, Europe/London)")
    return text


def parse_status(text: str) -> InvoiceStatus:
    """'paid', 'Pagata', 'partially paid' -> InvoiceStatus."""
    status = STATUS_ALIASES.get(header_key(text))
    if status is None:
        allowed = ", ".join(status.value for status in InvoiceStatus)
        raise ValueError(f"{text!r} is not an invoice status ({allowed})")
    return status
