"""Reading a rendered text the way a debtor does: amounts, invoice numbers, dates, claims of
earlier reminders, and what an SMS costs in segments. Pure functions, independent of the product's
own formatting and counting code (an audit must not reuse the code it audits)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# --- SMS segments (3GPP TS 23.038) ------------------------------------------------------------

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def _packed(widths: list[int], part: int) -> int:
    """Parts needed when no unit group (an escape pair, a surrogate pair) may be split."""
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def sms_segments(text: str) -> Segments:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        widths = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        units = sum(widths)
        count = 1 if units <= 160 else _packed(widths, 153)
        return Segments("GSM-7", units, count)
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    units = sum(widths)
    return Segments("UCS-2", units, 1 if units <= 70 else _packed(widths, 67))


# --- amounts ----------------------------------------------------------------------------------

_CURRENCY = r"(?:€|EUR|\$|USD|£|GBP|CHF)"
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f\u2009 ']\d{3})*[.,]\d{2}(?!\d)|\d+[.,]\d{2}(?!\d)"
_AMOUNT = re.compile(
    rf"(?P<pre>{_CURRENCY})[\s\u00a0\u202f]?(?P<a>{_NUMBER})"
    rf"|(?P<b>{_NUMBER})[\s\u00a0\u202f]?(?P<post>{_CURRENCY})"
)


def _cents(number: str) -> int:
    digits = re.sub(r"[^\d]", "", number)
    return int(digits)  # the last two digits are always the decimals (_NUMBER asks for two)


def amounts(text: str) -> list[int]:
    """Every amount with a currency written next to it, in cents: "1.234,56 €", "€1,234.56"."""
    found = []
    for match in _AMOUNT.finditer(text):
        found.append(_cents(match.group("a") or match.group("b")))
    return found


# --- invoice numbers --------------------------------------------------------------------------

INVOICE_NUMBER = re.compile(r"SIM-\d{2}-\d{6}")


def invoice_numbers(text: str) -> list[str]:
    """The simulation's invoice numbers (SIM-26-000123) a text mentions."""
    return INVOICE_NUMBER.findall(text)


# --- dates ------------------------------------------------------------------------------------

_MONTHS = {
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9,
    "ott": 10, "nov": 11, "dic": 12, "jan": 1, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "dec": 12,
}  # fmt: skip
_MONTH_WORD = r"(?P<m>[A-Za-z]{3})[a-z]*\.?"
_DAY_MONTH_YEAR = re.compile(rf"\b(?P<d>\d{{1,2}})[º°]? {_MONTH_WORD} (?P<y>\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH_WORD} (?P<d>\d{{1,2}}),? (?P<y>\d{{4}})\b")
_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4}|\d{2})\b")


def _date(year: str, month: int, day: str) -> dt.date | None:
    full = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return dt.date(full, month, int(day))
    except ValueError:
        return None


def dates(text: str) -> list[dt.date]:
    """Dates written out: "15 dic 2026", "1º febbraio 2027", "Dec 15, 2026", "15/12/2026"."""
    found: list[dt.date] = []
    spaced = text.replace("\u00a0", " ").replace("\u202f", " ")
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(spaced):
            month = _MONTHS.get(match.group("m").lower())
            day = _date(match.group("y"), month, match.group("d")) if month else None
            if day is not None:
                found.append(day)
    for match in _NUMERIC.finditer(spaced):
        day = _date(match.group("y"), int(match.group("m")), match.group("d"))
        if day is not None:
            found.append(day)
    return found


# --- claims of earlier reminders --------------------------------------------------------------

_ORDINALS = {
    "secondo": 2, "seconda": 2, "terzo": 3, "terza": 3, "quarto": 4, "quarta": 4,
    "second": 2, "third": 3, "fourth": 4, "2nd": 2, "3rd": 3, "4th": 4,
}  # fmt: skip
_ORDINAL_CLAIM = re.compile(
    r"\b(?P<o>secondo|seconda|terzo|terza|quarto|quarta|second|third|fourth|2nd|3rd|4th)"
    r"\s+(?:e\s+ultimo\s+)?(?:sollecito|avviso|richiamo|reminder|notice)\b",
    re.IGNORECASE,
)
_PREVIOUS_CLAIM = re.compile(
    r"\b(?:precedent[ei]\s+(?:sollecit[oi]|avvis[oi]|comunicazion[ei]|promemoria)"
    r"|(?:sollecit[oi]|avvis[oi])\s+precedent[ei]"
    r"|previous\s+(?:reminders?|notices?|messages?)"
    r"|earlier\s+(?:reminders?|notices?)"
    r"|(?:già|gia)\s+(?:sollecitat|scritto|inviato)"
    r"|already\s+(?:reminded|written))",
    re.IGNORECASE,
)


def ordinal_claim(text: str) -> bool:
    """The text calls itself the second, third... reminder."""
    return _ORDINAL_CLAIM.search(text) is not None


def claimed_earlier_reminders(text: str) -> int:
    """How many earlier reminders a text says were sent: "terzo sollecito" 2, "previous
    reminder" 1, nothing 0."""
    claimed = 0
    for match in _ORDINAL_CLAIM.finditer(text):
        claimed = max(claimed, _ORDINALS[match.group("o").lower()] - 1)
    if claimed == 0 and _PREVIOUS_CLAIM.search(text):
        claimed = 1
    return claimed


# --- lines labelled "not yet due" -------------------------------------------------------------

_NOT_YET_DUE = re.compile(
    r"in scadenza(?! oggi)|non ancora scadut|da scadere|scadr[àa]|scadranno|prossim[ae] scadenz"
    r"|not yet due|coming due|falls? due|falling due|due soon|upcoming",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s")


def unlabelled_text(text: str) -> str:
    """The text without the lines (and the list under a heading) labelled as not yet due: what
    a reader takes as the overdue part."""
    kept: list[str] = []
    in_section = False
    for line in text.splitlines():
        if _NOT_YET_DUE.search(line):
            in_section = True
            continue
        if in_section and _LIST_ITEM.match(line):
            continue
        in_section = False
        kept.append(line)
    return "\n".join(kept)
