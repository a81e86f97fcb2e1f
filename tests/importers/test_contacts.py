"""Phones to E.164 and e-mails lower-cased, with readable reasons for what is refused."""

from __future__ import annotations

import pytest

from bot.contacts import normalise_email, normalise_mobile_phone, normalise_phone


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+39 333 123 4567", "+393331234567"),
        ("333 1234567", "+393331234567"),
        ("333-123-4567", "+393331234567"),
        ("0039 333 1234567", "+393331234567"),
        ("whatsapp:+393331234567", "+393331234567"),
        ("tel:+39 02 8734 1120", "+390287341120"),
        ("06 1234 5678", "+390612345678"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phones_become_e164(text: str, e164: str) -> None:
    assert normalise_phone(text) == e164


def test_region_decides_numbers_without_country_code() -> None:
    assert normalise_phone("07911 123456", region="GB") == "+447911123456"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "a phone number is required"),
        ("abc", "not a valid phone number"),
        ("12", "not a valid phone number for IT"),
        ("+44 7700 900123", "not a valid phone number for GB"),
        ("+999 1234567", "unknown country code"),
    ],
)
def test_bad_phones_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalise_phone(text)


def test_mobile_phone_refuses_landlines() -> None:
    assert normalise_mobile_phone("347 555 0182") == "+393475550182"
    with pytest.raises(ValueError, match="landline"):
        normalise_mobile_phone("+39 02 8734 1120")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (" Mario.Rossi@Example.IT ", "mario.rossi@example.it"),
        ("mailto:Ufficio@Pec.Rossi-Srl.it", "ufficio@pec.rossi-srl.it"),
        ("a+fatture@example.co.uk", "a+fatture@example.co.uk"),
        ("info@xn--mnchen-3ya.de", "info@xn--mnchen-3ya.de"),
    ],
)
def test_emails_are_lower_cased(text: str, address: str) -> None:
    assert normalise_email(text) == address


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "an e-mail address is required"),
        ("mario rossi@example.it", "contains spaces"),
        ("mario.example.it", "exactly one @"),
        ("a@b@example.it", "exactly one @"),
        ("@example.it", "the part before @"),
        ("mario..rossi@example.it", "the part before @"),
        ("mario@localhost", "the domain after @"),
        ("mario@-example.it", "the domain after @"),
        ("mario@example.i", "the domain after @"),
        ("mario@example..it", "the domain after @"),
    ],
)
def test_bad_emails_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalise_email(text)
