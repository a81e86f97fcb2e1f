"""Contact addresses in one canonical form: phones in E.164, e-mail addresses lower-cased.

Everything that stores or looks up a contact point (import, inbound messages, the staff chat)
normalises through here, so "+39 333 123 4567", "0039 3331234567" and "333-1234567" are the
same debtor. Errors are ValueError with a reason a person can act on.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

# Prefixes providers and address books put in front of a number.
_PHONE_PREFIXES = ("tel:", "whatsapp:", "sms:")
_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}

# RFC 5322 "atext" for the local part, without quoted strings (nobody's invoice address uses them).
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


# Import files repeat numbers (the same mobile for SMS and WhatsApp, one switchboard for several
# companies) and parsing is the slow part of an import: remember recent answers.
@lru_cache(maxsize=65536)
def normalise_phone(text: str, region: str = "IT") -> str:
    """'+39 333 123 4567', '333 1234567' (region IT) -> '+393331234567'."""
    return phonenumbers.format_number(
        _parse_phone(text, region), phonenumbers.PhoneNumberFormat.E164
    )


@lru_cache(maxsize=65536)
def normalise_mobile_phone(text: str, region: str = "IT") -> str:
    """Like normalise_phone, for addresses that must receive SMS or WhatsApp: refuses landlines."""
    number = _parse_phone(text, region)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ValueError(f"{text.strip()!r} is a landline: it cannot receive SMS or WhatsApp")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_phone(text: str, region: str) -> phonenumbers.PhoneNumber:
    raw = text.strip()
    for prefix in _PHONE_PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :].strip()
    if not raw:
        raise ValueError("a phone number is required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
        raise ValueError(f"{text.strip()!r} is not a valid phone number ({reason})") from None
    if not phonenumbers.is_valid_number(number):
        country = phonenumbers.region_code_for_country_code(number.country_code)
        raise ValueError(
            f"{text.strip()!r} is not a valid phone number for {country} "
            "(check the digits, or write it with its country code, e.g. +39...)"
        )
    return number


def normalise_email(text: str) -> str:
    """' Mario.Rossi@Example.IT ' -> 'mario.rossi@example.it', after a sane syntax check."""
    address = text.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :].strip()
    address = address.lower()
    shown = text.strip()
    if not address:
        raise ValueError("an e-mail address is required")
    if any(char.isspace() for char in address):
        raise ValueError(f"{shown!r} is not an e-mail address (it contains spaces)")
    if address.count("@") != 1:
        raise ValueError(f"{shown!r} is not an e-mail address (it needs exactly one @)")
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        raise ValueError(f"{shown!r} is not an e-mail address (the part before @ is malformed)")
    bad_domain = (
        f"{shown!r} is not an e-mail address (the domain after @ must look like example.it)"
    )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(bad_domain) from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > 253
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
        or not _TOP_LEVEL.match(labels[-1])
    ):
        raise ValueError(bad_domain)
    return address


# A Telegram chat id: an integer of at most 52 bits (negative for groups).
_TELEGRAM_CHAT = re.compile(r"-?[1-9][0-9]{0,15}")


def channel_address(channel: str, address: str) -> str:
    """The address in its canonical form for `channel` (telegram, sms, whatsapp, email).

    Every inbound event's sender passes here before anything is stored or answered: an empty
    or invalid one raises ValueError with the reason.
    """
    if channel == "telegram":
        if not _TELEGRAM_CHAT.fullmatch(address):
            raise ValueError(f"{address[:40]!r} is not a Telegram chat id")
        return address
    if channel in ("sms", "whatsapp"):
        # Providers write senders in E.164; no region guess for a number without its country code.
        return normalise_phone(address, "ZZ") if address.startswith("+") else _no_plus(address)
    if channel == "email":
        return normalise_email(address)
    raise ValueError(f"unknown channel {channel!r}")


def _no_plus(address: str) -> str:
    shown = address[:40]
    raise ValueError(f"{shown!r} is not a phone number in E.164 (+ and country code)")
