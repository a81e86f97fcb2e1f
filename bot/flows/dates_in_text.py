"""Finding the date a sentence names, anywhere in it: "pago il 27 quando prendo lo stipendio".

A small grammar of how debtors write dates in Italian and English, run over the cleaned sentence
(bot.flows.promise._clean: lower case, no accents, "/" "." "-" kept inside numbers). It is what
the understanding step (bot/flows/understanding.py) uses on every message, so it is fast (tens of
microseconds) and says None rather than guess. `prefer` resolves what names no year:
"future" for a promise ("lunedì" is the next Monday), "past" for a payment made ("lunedì" is the
last Monday), "nearest" for a day and month written out ("il 28 novembre" on 10 December is the
28 November just gone, so a promise for it is questioned, never moved to next year).

The shapes, in the order they are tried (the first found wins):
  15/12, 15.12.2026                     day first, always
  28 novembre, 1st of May, May 1st      a day and a month
  fine/inizio/metà gennaio              the month's last day, its 5th, its 15th
  fine mese, end of the month           this month's last day
  dopo le feste, natale, fine anno      7 January, 25 and 24 December, 31 December
  tra 3 giorni, in two weeks            counted from today
  giovedì della prossima settimana      that weekday of next week
  la prossima settimana, next week      Friday of next week
  lunedì, venerdì prossimo              its next (or last) occurrence
  domani, ieri, oggi, stamattina        relative days
  a gennaio, in January                 the month's last day
  il 27, on the 27th                    the next (or latest) day with that number
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import Literal

from bot.flows.promise import _add_months, _day_of_month, _weekday, end_of_month

Prefer = Literal["future", "past", "nearest"]

MONTHS = {
    "gennaio": 1, "gen": 1, "january": 1, "jan": 1, "febbraio": 2, "feb": 2, "february": 2,
    "marzo": 3, "march": 3, "aprile": 4, "apr": 4, "april": 4, "maggio": 5, "mag": 5,
    "giugno": 6, "giu": 6, "june": 6, "jun": 6, "luglio": 7, "lug": 7, "july": 7, "jul": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8, "settembre": 9, "set": 9, "sett": 9,
    "september": 9, "sep": 9, "sept": 9, "ottobre": 10, "ott": 10, "october": 10, "oct": 10,
    "novembre": 11, "nov": 11, "november": 11, "dicembre": 12, "dic": 12, "december": 12,
    "dec": 12,
}  # fmt: skip
# "may", "mar", "set", "ago" are also common words: as a month only next to a day number.
_SHORT_AMBIGUOUS = frozenset({"mag", "set", "ago", "gen", "giu", "lug", "dic"})
WEEKDAYS = {
    "lunedi": 0, "martedi": 1, "mercoledi": 2, "giovedi": 3, "venerdi": 4, "sabato": 5,
    "domenica": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6, "lun": 0, "merc": 2, "gio": 3, "ven": 4, "sab": 5, "mon": 0,
    "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5,
}  # fmt: skip
RELATIVE_DAYS = {
    "dopodomani": 2, "day after tomorrow": 2, "domani": 1, "tomorrow": 1, "tmrw": 1,
    "tmr": 1, "dmn": 1, "domattina": 1, "l altro ieri": -2, "altro ieri": -2, "altroieri": -2,
    "ieri": -1, "yesterday": -1, "stamattina": 0, "stamani": 0, "stasera": 0, "oggi": 0,
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
}  # fmt: skip
NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "a": 1, "one": 1, "due": 2, "two": 2, "tre": 3, "three": 3,
    "quattro": 4, "four": 4, "cinque": 5, "five": 5, "sei": 6, "six": 6, "sette": 7,
    "seven": 7, "otto": 8, "eight": 8, "dieci": 10, "ten": 10, "quindici": 15, "fifteen": 15,
    "venti": 20, "twenty": 20, "trenta": 30, "thirty": 30, "couple of": 2, "paio di": 2,
}  # fmt: skip
UNIT_DAYS = {"giorn": 1, "day": 1, "settiman": 7, "week": 7}
_MONTH_UNITS = ("mes", "month")

_M = "|".join(sorted(MONTHS, key=len, reverse=True))
_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|o)?"
_NUMERIC = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}|primo){_ORD} (?:of |di )?({_M})\b(?: (\d{{4}}))?")
_MONTH_DAY = re.compile(rf"\b({_M}) (\d{{1,2}}){_ORD}\b")
_PART_OF_MONTH = re.compile(
    rf"\b(fine|inizio|primi di|meta|end of|early|mid|beginning of|late) ({_M})\b"
)
_END_OF_MONTH = re.compile(
    r"\b(?:fine (?:del )?mese|end of (?:the |this )?month|month end)( prossimo)?\b"
)
_IN_N = re.compile(r"\b(?:tra|fra|in|within|entro) (couple of|paio di|\w+) (\w+)\b")
_WEEKDAY_NEXT_WEEK = re.compile(
    rf"\b({_WD}) (?:della |of )?(?:prossima settimana|settimana prossima|next week)\b"
)
_NEXT_WEEK = re.compile(
    r"\b(?:prossima settimana|settimana prossima|settimana prox|next week|coming week)\b"
)
_WEEKDAY = re.compile(rf"\b({_WD})\b")
_WEEKDAY_DAY = re.compile(rf"\b(?:{_WD}) (\d{{1,2}})\b(?! (?:euro|eur|rate|volte))")
_MONTH_ALONE = re.compile(rf"\b(?:a|ad|in|entro|by|di|per|during|until) ({_M})\b")
_DAY_NUMBER = re.compile(
    rf"\b(?:il|l|entro il|per il|dal|on the|on|the|by the|giorno|day|pagato il|pago il) "
    rf"(\d{{1,2}}){_ORD}\b(?! (?:euro|eur|rate|volte|giorni|days|mesi|months|%|k|mila))"
)
_ORDINAL_ALONE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_AFTER_HOLIDAYS = re.compile(
    r"\b(?:dopo (?:le )?(?:feste|natale|capodanno|l epifania|befana)|after (?:the )?"
    r"(?:christmas |xmas )?(?:holidays|christmas|new year)|in the new year|anno nuovo)\b"
)
_BEFORE_CHRISTMAS = re.compile(r"\b(?:prima di|entro) natale\b|\bbefore christmas\b")
_CHRISTMAS = re.compile(r"\b(?:natale|christmas|xmas)\b")
_END_OF_YEAR = re.compile(r"\b(?:fine (?:dell )?anno|end of (?:the )?year)\b")
_LAST_WEEK = re.compile(r"\b(?:settimana scorsa|scorsa settimana|last week)\b")


def _resolve(month: int, day: int, today: dt.date, prefer: Prefer) -> dt.date | None:
    """`day`/`month` in the year `prefer` picks: next, last or nearest occurrence."""
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    if prefer == "future":
        options = [d for d in options if d >= today]
        return min(options, default=None)
    if prefer == "past":
        return max((d for d in options if d <= today), default=None)
    return min(options, key=lambda d: (abs((d - today).days), d < today), default=None)


def _year_month(month: int, today: dt.date, prefer: Prefer) -> int:
    if prefer == "past":
        return today.year if month <= today.month else today.year - 1
    return today.year if month >= today.month else today.year + 1


def _month_part(part: str, month: int, today: dt.date, prefer: Prefer) -> dt.date:
    year = _year_month(month, today, prefer)
    if part in ("fine", "end of", "late"):
        return end_of_month(dt.date(year, month, 1))
    if part in ("meta", "mid"):
        return dt.date(year, month, 15)
    return dt.date(year, month, 5)


def _numeric(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if year is None:
        return _resolve(month, day, today, "nearest" if prefer == "nearest" else prefer)
    try:
        return dt.date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        return None


def _day_month(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    day = 1 if m.group(1) == "primo" else int(m.group(1))
    month = MONTHS[m.group(2)]
    if m.group(3):
        try:
            return dt.date(int(m.group(3)), month, day)
        except ValueError:
            return None
    return _resolve(month, day, today, prefer)


def _in_n(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    amount, unit = m.group(1), m.group(2)
    count = int(amount) if amount.isdigit() else NUMBER_WORDS.get(amount)
    if count is None or count > 400 or prefer == "past":
        return None
    if unit.startswith(_MONTH_UNITS):
        year, month = _add_months(today.year, today.month, count)
        return today.replace(year=year, month=month, day=min(today.day, 28))
    days = next((n for stem, n in UNIT_DAYS.items() if unit.startswith(stem)), None)
    return today + dt.timedelta(days=count * days) if days else None


def _weekday_next_week(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date:
    monday = today + dt.timedelta(days=7 - today.weekday())
    return monday + dt.timedelta(days=WEEKDAYS[m.group(1)])


def _weekday_any(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date:
    return _weekday(WEEKDAYS[m.group(1)], today, _direction(prefer))


def _direction(prefer: Prefer) -> Literal["future", "past"]:
    return "past" if prefer == "past" else "future"


def _month_alone(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    if m.group(1) in _SHORT_AMBIGUOUS:
        return None
    month = MONTHS[m.group(1)]
    return end_of_month(dt.date(_year_month(month, today, prefer), month, 1))


def _day_number(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    return _day_of_month(int(m.group(1)), today, _direction(prefer))


def _after_holidays(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date:
    year = today.year + 1 if today.month >= 11 else today.year
    return dt.date(year, 1, 7)


def _christmas(day: int) -> Callable[[re.Match[str], dt.date, Prefer], dt.date | None]:
    def read(m: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
        return _resolve(12, day, today, _direction(prefer))

    return read


Reader = Callable[[re.Match[str], dt.date, Prefer], dt.date | None]
_SHAPES: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (_NUMERIC, _numeric),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY, lambda m, t, p: _resolve(MONTHS[m.group(1)], int(m.group(2)), t, p)),
    (_PART_OF_MONTH, lambda m, t, p: _month_part(m.group(1), MONTHS[m.group(2)], t, p)),
    (_AFTER_HOLIDAYS, _after_holidays),
    (_BEFORE_CHRISTMAS, _christmas(24)),
    (_END_OF_YEAR, _christmas(31)),
    (_CHRISTMAS, _christmas(25)),
    (_IN_N, _in_n),
    (_WEEKDAY_NEXT_WEEK, _weekday_next_week),
    (_WEEKDAY_DAY, lambda m, t, p: _day_of_month(int(m.group(1)), t, _direction(p))),
)
_LATER_SHAPES: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (_WEEKDAY, _weekday_any),
    (_MONTH_ALONE, _month_alone),
    (_DAY_NUMBER, _day_number),
    (_ORDINAL_ALONE, _day_number),
)
_RELATIVE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, RELATIVE_DAYS), key=len, reverse=True)) + r")\b"
)


def _relative(cleaned: str, today: dt.date) -> dt.date | None:
    found = _RELATIVE.search(cleaned)
    return today + dt.timedelta(days=RELATIVE_DAYS[found.group(1)]) if found else None


def find_date(cleaned: str, today: dt.date, prefer: Prefer = "future") -> dt.date | None:
    """The date the cleaned sentence names, or None; "last week" alone names none."""
    for pattern, read in _SHAPES:
        found = pattern.search(cleaned)
        if found and (day := read(found, today, prefer)) is not None:
            return day
    end_of = _END_OF_MONTH.search(cleaned)
    if end_of:
        if end_of.group(1):
            year, month = _add_months(today.year, today.month, 1)
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return end_of_month(today)
    if _NEXT_WEEK.search(cleaned) and not _WEEKDAY.search(cleaned):
        # Friday of next week, the latest day that still is "next week" in a business week.
        return None if prefer == "past" else today + dt.timedelta(days=7 - today.weekday() + 4)
    relative = _relative(cleaned, today)
    if relative is not None:
        return relative
    if _LAST_WEEK.search(cleaned):
        return None
    for pattern, read in _LATER_SHAPES:
        found = pattern.search(cleaned)
        if found and (day := read(found, today, prefer)) is not None:
            return day
    return None
