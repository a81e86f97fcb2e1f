"""Amounts as people write them -> integer cents. Formatting for display lives in bot/texts.py.

The parser accepts the ways Italian and English spreadsheets write money and refuses the one
form it cannot read with certainty:

- "1234.56", "1234,56", "1234", "1234,5", "-12,30", "€ 1.234,56", "1 234,56";
- "1.234,56" and "1,234.56": when both marks appear, the LAST one is the decimal mark and the
  other one groups thousands (groups of exactly three digits);
- "1.234.567" or "1,234,567": a mark that appears more than once groups thousands;
- a single mark followed by one or two digits is the decimal mark: "12,5" is 12.50;
- a single mark followed by exactly three digits, after one to three leading digits ("1.234",
  "12,500") is refused as ambiguous. Cents allow only two decimals, so it is probably a
  thousands separator, but some ERP exports write three decimals ("12,500" for 12.5) and reading
  that as 12500 would chase a debtor for a thousand times the debt. A refused row costs the user
  one edit; a misread amount costs a customer. Write "1234" or "1.234,00";
- more than two decimal places are refused rather than rounded.

Everything goes through Decimal; a float never touches an amount.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Spaces people (and Excel) put inside numbers: plain, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_CURRENCY_MARKS = ("€", "EUR", "$", "£")
_GROUP_TAIL = re.compile(r"^\d{3}$")


def parse_amount(text: str) -> int:
    """Parse an amount written by a person into integer cents.

    Raises ValueError with a reason a person can act on.
    """
    original = text
    cleaned = _SPACES.sub("", text.strip())
    for mark in _CURRENCY_MARKS:
        if cleaned.upper().startswith(mark):
            cleaned = cleaned[len(mark) :]
        elif cleaned.upper().endswith(mark):
            cleaned = cleaned[: -len(mark)]
    sign = ""
    if cleaned and cleaned[0] in "+-":
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:]
    if not cleaned:
        raise ValueError("an amount is required" if not original.strip() else _not_amount(original))
    if not re.fullmatch(r"[\d.,]+", cleaned) or not cleaned[0].isdigit():
        raise ValueError(_not_amount(original))

    plain = _to_plain_decimal(cleaned, original)
    try:
        value = Decimal(sign + plain)
    except InvalidOperation:
        raise ValueError(_not_amount(original)) from None
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"{original.strip()!r} has more than two decimal places")
    return int(cents)


def _to_plain_decimal(cleaned: str, original: str) -> str:
    """'1.234,56' -> '1234.56'. Decides which mark is the decimal one (see the module rule)."""
    has_dot, has_comma = "." in cleaned, "," in cleaned
    if has_dot and has_comma:
        decimal_mark = "." if cleaned.rfind(".") > cleaned.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        whole, _, fraction = cleaned.rpartition(decimal_mark)
        if decimal_mark in whole or not fraction:
            raise ValueError(_not_amount(original))
        return _ungroup(whole, group_mark, original) + "." + fraction

    mark = "." if has_dot else "," if has_comma else ""
    if not mark:
        return cleaned
    parts = cleaned.split(mark)
    if len(parts) > 2:
        return _ungroup(cleaned, mark, original)
    whole, fraction = parts
    if not fraction:
        raise ValueError(_not_amount(original))
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
        raise ValueError(
            f"{original.strip()!r} is ambiguous (thousands, or three decimals?): "
            f"write {whole}{fraction} or add the cents, e.g. {whole}{mark}{fraction}"
            f"{',' if mark == '.' else '.'}00"
        )
    return whole + "." + fraction


def _ungroup(whole: str, group_mark: str, original: str) -> str:
    """'1.234.567' -> '1234567', checking that the groups really are thousands."""
    head, *groups = whole.split(group_mark)
    if not head or len(head) > 3 or not all(_GROUP_TAIL.match(group) for group in groups):
        raise ValueError(
            f"{original.strip()!r} has misplaced thousands separators "
            f"({group_mark!r} must separate groups of three digits)"
        )
    return head + "".join(groups)


def _not_amount(original: str) -> str:
    return f"{original.strip()!r} is not an amount (write e.g. 1234,56 or 1.234,56 or 1234.56)"
