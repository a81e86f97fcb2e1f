"""SMS segments: how many parts a text costs, counted the way the network splits it.

A text that uses only the GSM-7 alphabet (3GPP TS 23.038) travels in 7-bit units: 160 in a single
SMS, 153 per part once it is split (each part carries a header). Characters of the extension table
("€", "[", "{", "~", ...) are sent as ESC plus a character, two units, and the pair is never split
across parts. One character outside both tables ("È", "á", an emoji) switches the whole text to
UCS-2: 70 UTF-16 units single, 67 per part, a surrogate pair never split.

The policy check below renders each step's SMS template with a long worst-case context and warns
when the result can exceed `policy.contact.sms_segment_budget`; `over_budget` is the same test for a
text the dispatcher has just rendered.
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
from bot.texts import TEMPLATES_DIR

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
# references and amounts are at the long end of what an Italian SME sees. Everything stays in
# GSM-7 except the currency sign, like real Italian text; a debtor name with a character outside
# GSM-7 turns any text into UCS-2, which `over_budget` catches at send time.
WORST_CASE_TEXT = "Xxxxxxxxxx Xxxxxxxxxxxx Xxxxxxxxxx S.r.l."  # 40 characters
WORST_CASE_AMOUNT = {"it": "1.234.567,89 €", "en": "€1,234,567.89"}
WORST_CASE_DATE = {"it": "30 set 2026", "en": "30 Sept 2026"}
WORST_CASE_URL = "https://pagamenti.example.it/pay/Xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
WORST_CASE_INVOICES = 3  # one message lists every open invoice; SMS templates should summarise


class _WorstCaseUndefined(ChainableUndefined):
    """A variable the context below does not know renders as a long value, never as nothing."""

    def __str__(self) -> str:
        return WORST_CASE_TEXT


def _worst_case_context(language: str) -> dict[str, Any]:
    invoice = {
        "number": "FT-2026/000123-XX",
        "amount_cents": 123456789,
        "balance_cents": 123456789,
        "paid_cents": 0,
        "currency": "EUR",
        "due_date": dt.date(2026, 9, 30),
        "issue_date": dt.date(2026, 8, 31),
        "description": WORST_CASE_TEXT,
    }
    return {
        "company": WORST_CASE_TEXT,
        "company_name": WORST_CASE_TEXT,
        "debtor_name": WORST_CASE_TEXT,
        "name": WORST_CASE_TEXT,
        "invoices": [invoice] * WORST_CASE_INVOICES,
        "invoice_count": WORST_CASE_INVOICES,
        "total_cents": 123456789,
        "balance_cents": 123456789,
        "discount_cents": 123456789,
        "currency": "EUR",
        "pay_url": WORST_CASE_URL,
        "link": WORST_CASE_URL,
        "due_date": dt.date(2026, 9, 30),
        "valid_until": dt.date(2026, 9, 30),
        "days_overdue": 365,
        "iban": "IT60 X054 2811 1010 0000 0123 456",
        "money": lambda *args, **kwargs: WORST_CASE_AMOUNT[language],
        "date": lambda *args, **kwargs: WORST_CASE_DATE[language],
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


def sms_budget_warnings(policy: Policy, templates_dir: Path | None = None) -> list[str]:
    """One warning per step and language whose SMS template can exceed the segment budget.

    Steps without SMS among their channels, and templates not written yet, are skipped.
    """
    env = _environment(templates_dir or TEMPLATES_DIR)
    budget = policy.contact.sms_segment_budget
    warnings = []
    for step in policy.steps:
        if Channel.SMS not in step.channels:
            continue
        for language in SUPPORTED_LANGUAGES:
            name = f"{language}/{sms_template_name(step.template)}"
            try:
                template = env.get_template(name)
            except TemplateNotFound:
                continue
            text = template.render(**_worst_case_context(language)).strip()
            count = over_budget(text, budget)
            if count is not None:
                warnings.append(
                    f"step {step.name!r}: templates/{name} can take {count.segments} SMS "
                    f"segments ({count.units} {count.encoding} units), over the budget of "
                    f"{budget} (contact.sms_segment_budget)"
                )
    return warnings


EXTRA_CHECKS.append(sms_budget_warnings)
