"""Promises to pay: reading a date as debtors write it, the preset dates, the conversation.

`parse_date` reads Italian and English. Small rules run first, for what dateparser misses or
reads differently from what a debtor means (checked against dateparser 1.2):
  - "oggi"/"today", "domani"/"tomorrow", "dopodomani"/"the day after tomorrow", "ieri"/"yesterday";
  - "tra 3 giorni", "fra una settimana", "in 3 days", "in two weeks";
  - "fine mese", "a fine mese", "end of (the) month"  -> the last day of this month;
  - "la prossima settimana", "next week"              -> Friday of next week (the latest day that
    still is "next week" in a business week);
  - a weekday ("venerdì", "entro venerdì", "next friday", "venerdì prossimo") -> its next
    occurrence after today (its last one before today when reading a payment already made);
  - a day of the month ("il 15", "on the 20th", "15")  -> the next day with that number (from
    today on; the latest one up to today for a payment already made);
  - "15/12", "15-12-26", "15.12.2026": day first, always (Italian, and British English);
    without a year, the next such day (or the latest one, for a payment already made).
Leading filler ("entro", "il", "per", "by", "on the", "pagherò", ...) is dropped first. Anything
else goes to dateparser with PREFER_DATES_FROM future (past for payments made) and DATE_ORDER
DMY. Results more than two years away are refused as misreadings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from typing import Literal

import dateparser

from bot.config import SUPPORTED_LANGUAGES
from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, same_day
from bot.flows.effects import RecordPromise
from bot.flows.options import Choice
from bot.flows.stages import MENU, At, Data, Stage, go, say
from bot.policy import Policy

Prefer = Literal["future", "past"]

_LONGEST_DATE_TEXT = 60
_PLAUSIBLE = dt.timedelta(days=2 * 366)

_FILLER = frozenset({
    "entro", "il", "lo", "la", "le", "per", "di", "del", "della", "a", "al", "alle", "ai", "on",
    "the", "by", "before", "until", "till", "of", "pago", "pagamento", "paghero", "pagheremo",
    "pagato", "ho", "abbiamo", "i", "we", "will", "ll", "pay", "paid", "day", "giorno", "data",
    "date", "prima",
})  # fmt: skip
_WEEKDAYS = {
    "lunedi": 0, "martedi": 1, "mercoledi": 2, "giovedi": 3, "venerdi": 4, "sabato": 5,
    "domenica": 6, "lun": 0, "mar": 1, "mer": 2, "gio": 3, "ven": 4, "sab": 5, "dom": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_NEXT_OR_THIS = frozenset({
    "prossimo", "prossima", "next", "this", "questo", "questa", "coming", "scorso", "scorsa",
    "last",
})  # fmt: skip
_NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "a": 1, "one": 1, "due": 2, "two": 2, "tre": 3, "three": 3,
    "quattro": 4, "four": 4, "cinque": 5, "five": 5, "sei": 6, "six": 6, "sette": 7, "seven": 7,
    "dieci": 10, "ten": 10, "quindici": 15, "fifteen": 15,
}  # fmt: skip
_UNIT_DAYS = {
    "giorno": 1, "giorni": 1, "day": 1, "days": 1, "settimana": 7, "settimane": 7, "week": 7,
    "weeks": 7,
}  # fmt: skip
_RELATIVE_WORDS = {
    "oggi": 0, "today": 0, "domani": 1, "tomorrow": 1, "dopodomani": 2,
    "day after tomorrow": 2, "ieri": -1, "yesterday": -1, "altroieri": -2, "l altroieri": -2,
}  # fmt: skip
_IN_N = re.compile(r"^(?:tra|fra|in|within|entro) (\w+) (\w+)$")
_END_OF_MONTH = re.compile(r"\b(?:fine (?:del )?mese|end of (?:the )?month)\b")
_NEXT_WEEK = re.compile(r"^(?:(?:la )?prossima settimana|(?:la )?settimana prossima|next week)$")
_DAY_OF_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|o)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")


def _clean(text: str) -> str:
    """Lower case, no accents; keeps digits and the separators of 15/12, 15-12, 15.12."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if char.isascii() and (char.isalnum() or char in "/.-"):
            kept.append(char.lower())
        elif char == "°":
            kept.append("o")
        else:
            kept.append(" ")
    words = "".join(kept).split()
    # "15." or "venerdì." at the end of a sentence: drop a trailing dot or dash.
    words = [word.rstrip(".-") or word for word in words]
    return " ".join(words)


def _drop_filler(words: list[str]) -> list[str]:
    while words and words[0] in _FILLER:
        words = words[1:]
    return words


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _day_of_month(day: int, today: dt.date, prefer: Prefer) -> dt.date | None:
    """The next (or, for the past, latest) date whose day of the month is `day`."""
    if not 1 <= day <= 31:
        return None
    step = 1 if prefer == "future" else -1
    for months in range(0, 13 * step, step):
        year, month = _add_months(today.year, today.month, months)
        if day <= calendar.monthrange(year, month)[1]:
            candidate = dt.date(year, month, day)
            if (prefer == "future" and candidate >= today) or (
                prefer == "past" and candidate <= today
            ):
                return candidate
    return None


def _weekday(weekday: int, today: dt.date, prefer: Prefer) -> dt.date:
    if prefer == "future":
        return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return today - dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def _numeric(match: re.Match[str], today: dt.date, prefer: Prefer) -> dt.date | None:
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    for year in (
        (today.year, today.year + 1) if prefer == "future" else (today.year, today.year - 1)
    ):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if (prefer == "future" and candidate >= today) or (prefer == "past" and candidate <= today):
            return candidate
    return None


def _by_rules(cleaned: str, today: dt.date, prefer: Prefer) -> dt.date | None:
    if cleaned in _RELATIVE_WORDS:
        return today + dt.timedelta(days=_RELATIVE_WORDS[cleaned])
    if prefer == "future" and _END_OF_MONTH.search(cleaned):
        return end_of_month(today)
    if prefer == "future" and _NEXT_WEEK.match(cleaned):
        return today + dt.timedelta(days=7 - today.weekday() + 4)
    words = _drop_filler(cleaned.split())
    rest = " ".join(words)
    if rest in _RELATIVE_WORDS:
        return today + dt.timedelta(days=_RELATIVE_WORDS[rest])
    in_n = _IN_N.match(cleaned)
    if in_n and prefer == "future" and in_n.group(2) in _UNIT_DAYS:
        amount = in_n.group(1)
        count = int(amount) if amount.isdigit() else _NUMBER_WORDS.get(amount)
        if count is not None and count <= 400:
            return today + dt.timedelta(days=count * _UNIT_DAYS[in_n.group(2)])
    weekday_words = [word for word in words if word not in _NEXT_OR_THIS]
    if len(weekday_words) == 1 and weekday_words[0] in _WEEKDAYS and len(words) <= 2:
        return _weekday(_WEEKDAYS[weekday_words[0]], today, prefer)
    if len(words) == 1:
        day_of_month = _DAY_OF_MONTH.match(words[0])
        if day_of_month:
            return _day_of_month(int(day_of_month.group(1)), today, prefer)
        numeric = _NUMERIC_DATE.match(words[0])
        if numeric:
            return _numeric(numeric, today, prefer)
    return None


def _by_dateparser(text: str, language: str, today: dt.date, prefer: Prefer) -> dt.date | None:
    languages = [language, *(other for other in SUPPORTED_LANGUAGES if other != language)]
    settings = {
        "PREFER_DATES_FROM": prefer,
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12, 0)),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        found = dateparser.parse(text, languages=languages, settings=settings)
    except Exception:  # a heuristic third-party parser: any failure means "not understood"
        return None
    return found.date() if found is not None else None


def parse_date(
    text: str, language: str, today: dt.date, prefer: Prefer = "future"
) -> dt.date | None:
    """The date `text` names, or None. `prefer` resolves "venerdì", "il 15", "15/12"."""
    if not isinstance(text, str) or len(text) > 4 * _LONGEST_DATE_TEXT:
        return None
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > _LONGEST_DATE_TEXT:
        return None
    found = _by_rules(cleaned, today, prefer)
    if found is None:
        words = _drop_filler(cleaned.split())
        if not any(char.isalpha() for char in "".join(words)):
            return None  # digits the rules did not read ("-3", "32/13") are no date
        found = _by_dateparser(" ".join(words), language, today, prefer)
    if found is None or abs(found - today) > _PLAUSIBLE:
        return None
    return found


def parse_promise_date(text: str, language: str, today: dt.date) -> dt.date | None:
    """The date a debtor promises to pay by; dates are read as future ones."""
    return parse_date(text, language, today, "future")


def parse_paid_date(text: str, language: str, today: dt.date) -> dt.date | None:
    """The date a debtor says they paid on; dates are read as past ones."""
    return parse_date(text, language, today, "past")


def preset_dates(
    today: dt.date, business_day: Callable[[dt.date], dt.date] = same_day
) -> dict[str, dt.date]:
    """The promise buttons: in 3 days, next Friday (after today), the end of this month; each
    on a day the company works (`business_day`): the first two move forward off a weekend or
    holiday, the end of the month back to its last working day, so it stays in the month."""
    last = end_of_month(today)
    while business_day(last) != last and last > today:
        last -= dt.timedelta(days=1)
    return {
        opt.PROMISE_IN_3_DAYS: business_day(today + dt.timedelta(days=3)),
        opt.PROMISE_NEXT_FRIDAY: business_day(_weekday(4, today, "future")),
        opt.PROMISE_END_OF_MONTH: last,
    }


class PromiseProblem(StrEnum):
    IN_PAST = "in_past"
    TOO_FAR = "too_far"  # after today + promises.max_days


def latest_promise_date(today: dt.date, policy: Policy) -> dt.date:
    return today + dt.timedelta(days=policy.promises.max_days)


def check_promise_date(day: dt.date, today: dt.date, policy: Policy) -> PromiseProblem | None:
    """None when `day` is an acceptable promise: from today up to the policy's maximum."""
    if day < today:
        return PromiseProblem.IN_PAST
    if day > latest_promise_date(today, policy):
        return PromiseProblem.TOO_FAR
    return None


# The conversation ---------------------------------------------------------------------------
# promise.choose   a preset button (recorded at once) or a typed date  -> promise.confirm
# promise.confirm  "I understood <date>, right?"                      -> RecordPromise


def _choose_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    # Each preset keeps its own button even when two fall on the same day: their labels differ
    # ("Tra 3 giorni (28 dicembre)", "Venerdì prossimo (28 dicembre)"), and so do their numbers.
    presets = [
        opt.option(key, day=day)
        for key, day in preset_dates(ctx.today, ctx.business_day).items()
        if check_promise_date(day, ctx.today, ctx.policy) is None
    ]
    return (*presets, opt.option(opt.BACK))


def _choose_prompt(data: Data, ctx: FlowContext):
    return say(
        "flows/promise/choose.txt",
        _choose_options(data, ctx),
        latest=latest_promise_date(ctx.today, ctx.policy),
        total_cents=ctx.balance_cents,
        currency=ctx.currency,
    )


def _record(day: dt.date, ctx: FlowContext) -> Outcome:
    done = say(
        "flows/promise/recorded.txt", day=day, total_cents=ctx.balance_cents, currency=ctx.currency
    )
    return go(MENU, before=[done], effects=[RecordPromise(date=day)], prompt=False)


def _refuse(day: dt.date, problem: PromiseProblem, data: Data, ctx: FlowContext) -> Outcome:
    refused = say(
        "flows/promise/refused.txt",
        day=day,
        problem=str(problem),
        latest=latest_promise_date(ctx.today, ctx.policy),
    )
    return go(At.PROMISE_CHOOSE, {}, before=[refused])


def _choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(MENU)
    day = preset_dates(ctx.today, ctx.business_day).get(key)
    if day is None:
        return None
    problem = check_promise_date(day, ctx.today, ctx.policy)
    return _refuse(day, problem, data, ctx) if problem else _record(day, ctx)


def promise_from_text(user: Input, ctx: FlowContext) -> Outcome | None:
    """A typed date: ask to confirm it, or say why it cannot be accepted; None if no date."""
    day = parse_promise_date(user.text, ctx.language, ctx.today)
    return None if day is None else promise_on(day, ctx)


def promise_on(day: dt.date, ctx: FlowContext) -> Outcome:
    """A promise for `day`: ask to confirm it, or say precisely why it cannot be accepted."""
    problem = check_promise_date(day, ctx.today, ctx.policy)
    if problem:
        return _refuse(day, problem, {}, ctx)
    return go(At.PROMISE_CONFIRM, {"date": day.isoformat()})


def _choose_text(user: Input, data: Data, ctx: FlowContext) -> Outcome | None:
    return promise_from_text(user, ctx)


def _confirm_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (opt.option(opt.YES), opt.option(opt.NO))


def _confirm_prompt(data: Data, ctx: FlowContext):
    day = dt.date.fromisoformat(data["date"])
    return say("flows/promise/confirm.txt", _confirm_options(data, ctx), day=day)


def _confirm(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.NO:
        return go(At.PROMISE_CHOOSE)
    if key != opt.YES:
        return None
    day = dt.date.fromisoformat(data["date"])
    problem = check_promise_date(day, ctx.today, ctx.policy)  # the day may have moved on
    return _refuse(day, problem, data, ctx) if problem else _record(day, ctx)


# The stages this module handles; where each may lead is declared in bot/flows/graph.py.
CHOOSE = Stage(At.PROMISE_CHOOSE, _choose_options, _choose_prompt, _choose, _choose_text)
CONFIRM = Stage(At.PROMISE_CONFIRM, _confirm_options, _confirm_prompt, _confirm)
