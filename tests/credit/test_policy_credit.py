"""The policy's [[credit.bands]]: read from policy.toml; refused with the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import PolicyError, load_policy, parse_policy
from bot.policy_credit import DEFAULT_BANDS, NO_BAND

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "policy.toml").read_text(encoding="utf-8")


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    return caught.value.errors


def line_of(text: str, needle: str, nth: int = 0) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(needle)]
    return found[nth]


def test_the_example_policy_writes_the_default_bands() -> None:
    credit = load_policy(ROOT / "policy.toml").credit
    assert credit.bands == DEFAULT_BANDS
    d = credit.band_named("D")
    assert (d.start_days_earlier, d.firmer_template, d.offer_discount, d.auto_plans) == (
        7,
        True,
        False,
        False,
    )
    assert credit.band_named("") is NO_BAND and credit.band_named("Z") is NO_BAND
    assert NO_BAND.offer_discount and NO_BAND.auto_plans and not NO_BAND.start_days_earlier


def test_a_policy_without_a_credit_section_gets_the_default_bands() -> None:
    start = EXAMPLE.index("# Fasce di rischio")
    assert parse_policy(EXAMPLE[:start]).credit.bands == DEFAULT_BANDS


def test_bad_bands_are_refused_with_the_line_and_the_key() -> None:
    wrong = EXAMPLE.replace("up_to = 49", "up_to = -4\nstart_days_erlier = 2")
    first, second = errors_of(wrong)
    line = line_of(wrong, "up_to = -4")
    assert first == (
        f"line {line}: credit.bands[1].up_to: Input should be greater than or equal to 0 (got -4)"
    )
    assert second == (
        f"line {line + 1}: credit.bands[1].start_days_erlier: unknown key; check its spelling "
        "(got 2)"
    )
    short = EXAMPLE.replace("up_to = 100", "up_to = 90")
    [error] = errors_of(short)
    assert error == (
        f"line {line_of(short, '[[credit.bands]]')}: credit.bands: the last band must reach "
        "up_to = 100"
    )
    unordered = EXAMPLE.replace("up_to = 49", "up_to = 80")
    assert errors_of(unordered)[0].endswith(
        "credit.bands: up_to must grow from one band to the next (best band first)"
    )
    twice = EXAMPLE.replace('name = "B"', 'name = "A"')
    assert errors_of(twice)[0].endswith("credit.bands: band names must be distinct")
    long_name = EXAMPLE.replace('name = "D"', 'name = "very-risky"')
    [named] = errors_of(long_name)
    assert named.startswith(f"line {line_of(long_name, 'name = ' + chr(34) + 'very')}: ")
    assert "credit.bands[3].name" in named
    words = EXAMPLE.replace("auto_plans = false", 'auto_plans = "no"')
    [word] = errors_of(words)
    assert word.startswith(f"line {line_of(words, 'auto_plans')}: credit.bands[3].auto_plans: ")


def test_policy_check_prints_the_bands_and_what_they_do() -> None:
    from bot.policy_description import describe_policy

    described = describe_policy(load_policy(ROOT / "policy.toml"))
    assert "  A: 0-24, no change" in described
    assert "  C: 50-74, reminders 3 days sooner; no discount" in described
    assert (
        "  D: 75-100, reminders 7 days sooner; firmer wording; no discount; every plan to staff"
    ) in described
