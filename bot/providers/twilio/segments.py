"""SMS segments: how many parts a text costs, counted the way the network splits it.

A text that uses only the GSM-7 alphabet (3GPP TS 23.038) travels in 7-bit units: 160 in a single
SMS, 153 per part once it is split (each part carries a header). Characters of the extension table
("€", "[", "{", "~", ...) are sent as ESC plus a character, two units, and the pair is never split
across parts. One character outside both tables ("È", "á", an emoji) switches the whole text to
UCS-2: 70 UTF-16 units single, 67 per part, a surrogate pair never split.

`gsm_text` replaces what babel and typography put in a text but GSM-7 lacks (no-break spaces,
"…", typographic quotes and dashes, capital accented vowels) with their GSM-7 stand-ins: the SMS
sender passes everything it sends through it, so one of them never turns a whole SMS into UCS-2.

The policy check below renders each step's SMS template with a long worst-case context (the longest
company name, amounts and dates, the pay link and the longest chat link, the first-contact wording)
and warns when the result can exceed `policy.contact.sms_segment_budget`; `over_budget` is the same
test for a text the dispatcher has just rendered. tests/providers/twilio/test_sms_budget.py checks
these tables against an independent GSM 03.38 codec (the gsm0338 package).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, TemplateNotFound

from bot.config import SUPPORTED_LANGUAGES
from bot.models import Channel
from bot.policy import EXTRA_CHECKS, Policy
from bot.texts import TEMPLATES_DIR, tidy

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    units: int  # 7-bit units (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


# Characters outside GSM-7 that have a faithful stand-in inside it. Babel writes "1.234,56\u00a0€"
# (a no-break space, or a narrow one in some locales); people and templates write typographic
# quotes, dashes and "…"; Italian writes "È" where GSM-7 only has "É" (SMS writes "E'").
_GSM_STANDINS = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2009": " ",  # thin space
        "\u2007": " ",  # figure space
        "\u200b": "",  # zero-width space
        "\u2026": "...",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u2192": "->",
        "È": "E'",
        "À": "A'",
        "Ì": "I'",
        "Ò": "O'",
        "Ù": "U'",
        "\u00ba": "",  # "1º gennaio" (babel's first of the month) is "1 gennaio" in an SMS
        "\u00aa": "a",
    }
)


def gsm_text(text: str) -> str:
    """`text` with GSM-7 stand-ins for the characters above; anything else is left as it is (a
    name written in another alphabet still travels, in UCS-2)."""
    return text.translate(_GSM_STANDINS)


def encoding_for(text: str) -> Encoding:
    alphabet = GSM7_BASIC | GSM7_EXTENSION
    return Encoding.GSM7 if all(char in alphabet for char in text) else Encoding.UCS2


def _units(char: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # a surrogate pair in UTF-16


def _pack(widths: list[int], part_size: int) -> int:
    """Parts needed when no character (escape pair, surrogate pair) may straddle two parts."""
    parts, room = 1, part_size
    for width in widths:
        if width > room:
            parts, room = parts + 1, part_size
        room -= width
    return parts


def count_segments(text: str) -> SegmentCount:
    encoding = encoding_for(text)
    widths = [_units(char, encoding) for char in text]
    units = sum(widths)
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is Encoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    if units == 0:
        return SegmentCount(encoding, 0, 1)
    segments = 1 if units <= single else _pack(widths, part)
    return SegmentCount(encoding, units, segments)


def over_budget(text: str, budget: int) -> SegmentCount | None:
    """The count when `text` needs more than `budget` segments, else None (it fits)."""
    count = count_segments(text)
    return count if count.segments > budget else None


# --- the policy check ----------------------------------------------------------------------------

# Long but plausible values: the check asks "can a real reminder exceed the budget?", so names,
# references, amounts and links are at the long end of what an Italian SME sees. Money and dates
# go through babel as in a real message (then `gsm_text`, as the SMS sender does); a debtor name
# with a character outside GSM-7 turns any text into UCS-2, which `over_budget` catches at send
# time.
WORST_CASE_TEXT = "Xxxxxxxxxx Xxxxxxxxxxxx Xxxxxxxxxx S.r.l."  # 41 characters
WORST_CASE_CENTS = 123_456_789  # 1.234.567,89
WORST_CASE_DATE = dt.date(2026, 9, 30)  # "30 settembre 2026", the longest Italian month
WORST_CASE_URL = "https://pagamenti.forniture-rossi.it/pay/" + "X" * 16  # 57 characters
# A personal Telegram deep link: a 17-character bot name and the 46-character signed token.
WORST_CASE_TELEGRAM = "https://t.me/PagamentiRossiBot?start=" + "X" * 46
WORST_CASE_WHATSAPP = "https://wa.me/393331234567"
WORST_CASE_PHONE = "+39 02 1234 5678"
WORST_CASE_INVOICES = 3  # one message lists every open invoice; SMS templates should summarise


class _WorstCaseUndefined(ChainableUndefined):
    """A variable the context below does not know renders as a long value, never as nothing."""

    def __str__(self) -> str:
        return WORST_CASE_TEXT


def worst_case_contexts(language: str) -> list[dict[str, Any]]:
    """The contexts an SMS template is rendered with to find its longest text: one invoice and
    several; an ordinary message (with the personal Telegram link, the longest chat link) and a
    first contact on a new number (who writes, "not the right number?", the WhatsApp link)."""
    from bot.answers import ChatLink

    base = _worst_base(language)
    contexts = []
    for count in (1, WORST_CASE_INVOICES):
        invoices = [_worst_invoice(n) for n in range(count)]
        for first_contact, link in (
            (False, ChatLink("telegram", WORST_CASE_TELEGRAM)),
            (True, ChatLink("whatsapp", WORST_CASE_WHATSAPP)),
        ):
            contexts.append(
                {
                    **base,
                    "invoices": invoices,
                    "invoice_count": count,
                    "chat_links": [link],
                    "first_contact": first_contact,
                }
            )
    return contexts


def _worst_invoice(n: int) -> dict[str, Any]:
    return {
        "id": n,
        "number": f"FT-2026/00012{n}-XX",
        "amount_cents": WORST_CASE_CENTS,
        "balance_cents": WORST_CASE_CENTS,
        "paid_cents": 0,
        "currency": "EUR",
        "due_date": WORST_CASE_DATE,
        "issue_date": WORST_CASE_DATE,
        "description": WORST_CASE_TEXT,
    }


def _worst_base(language: str) -> dict[str, Any]:
    from bot.formats import date, money

    return {
        "company": WORST_CASE_TEXT,
        "company_name": WORST_CASE_TEXT,
        "debtor_name": WORST_CASE_TEXT,
        "name": WORST_CASE_TEXT,
        "total_cents": WORST_CASE_CENTS,
        "balance_cents": WORST_CASE_CENTS,
        "amount_cents": WORST_CASE_CENTS,
        "discount_cents": WORST_CASE_CENTS,
        "other_totals": {},
        "currency": "EUR",
        "pay_url": WORST_CASE_URL,
        "link": WORST_CASE_URL,
        "due_date": WORST_CASE_DATE,
        "promised_date": WORST_CASE_DATE,
        "valid_until": WORST_CASE_DATE,
        "days_overdue": 365,
        "seq": 12,
        "offer": "discount",
        "courtesy": False,
        "formal": False,
        "iban": "IT60X0542811101000000123456",
        "beneficiary": WORST_CASE_TEXT,
        "phone": WORST_CASE_PHONE,
        "channel": "sms",
        "money": lambda cents, currency="EUR": money(cents, currency, language),
        "date": lambda value, fmt="long": date(value, language, fmt),
        "plural": lambda n, one, many: one if n == 1 else many,
        "language": language,
    }


def _environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=_WorstCaseUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def sms_template_name(template: str) -> str:
    """Where a step's SMS text lives, relative to templates/<lang>/."""
    return f"reminders/{template}.sms.txt"


def worst_case_sms(template: str, language: str, templates_dir: Path | None = None) -> str | None:
    """The longest text a reminder template can send by SMS (as the sender sends it), or None
    when the template has no SMS form in that language."""
    env = _environment(templates_dir or TEMPLATES_DIR)
    try:
        compiled = env.get_template(f"{language}/{sms_template_name(template)}")
    except TemplateNotFound:
        return None
    contexts = worst_case_contexts(language)
    texts = [gsm_text(tidy(compiled.render(**c)).strip()) for c in contexts]
    return max(texts, key=lambda text: (count_segments(text).units, len(text)))


def sms_budget_warnings(policy: Policy, templates_dir: Path | None = None) -> list[str]:
    """One warning per step and language whose SMS template can exceed the segment budget.

    Steps without SMS among their channels, and templates not written yet, are skipped.
    """
    budget = policy.contact.sms_segment_budget
    warnings = []
    for step in policy.steps:
        if Channel.SMS not in step.channels:
            continue
        for language in SUPPORTED_LANGUAGES:
            text = worst_case_sms(step.template, language, templates_dir)
            if text is None:
                continue
            count = over_budget(text, budget)
            if count is not None:
                warnings.append(
                    f"step {step.name!r}: templates/{language}/{sms_template_name(step.template)} "
                    f"can take {count.segments} SMS segments ({count.units} {count.encoding} "
                    f"units), over the budget of {budget} (contact.sms_segment_budget)"
                )
    return warnings


EXTRA_CHECKS.append(sms_budget_warnings)
