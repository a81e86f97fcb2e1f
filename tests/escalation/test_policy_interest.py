"""The policy's [interest] section: read from policy.toml; refused with the line and the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.policy import PolicyError, load_policy, parse_policy
from bot.policy_description import describe_policy
from bot.policy_interest import Interest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "policy.toml").read_text(encoding="utf-8")


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    return caught.value.errors


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


def test_the_example_policy_claims_statutory_interest_and_the_40() -> None:
    interest = load_policy(ROOT / "policy.toml").interest
    assert interest == Interest(
        basis="statutory",
        consumer_legal_interest=True,
        compensation=True,
        collect_on_pay_link=False,
    )
    text = describe_policy(load_policy(ROOT / "policy.toml"))
    assert "business debtors: statutory (reference rate + 8 points, D.Lgs. 231/2002)" in text
    assert "€40 compensation per overdue invoice (business): yes" in text


def test_without_the_section_nothing_beyond_the_principal_is_claimed() -> None:
    start = EXAMPLE.index("# Interessi di mora")
    interest = parse_policy(EXAMPLE[:start]).interest
    assert interest.basis == "none" and not interest.compensation
    assert not interest.claims_anything


def test_a_contractual_rate_is_read_exactly() -> None:
    text = EXAMPLE.replace('basis = "statutory"', 'basis = "contractual"').replace(
        "# contractual_rate = 9.5", "contractual_rate = 9.55"
    )
    assert parse_policy(text).interest.contractual_rate == Decimal("9.55")


def test_bad_interest_settings_are_refused_with_the_line() -> None:
    wrong = EXAMPLE.replace('basis = "statutory"', 'basis = "legale"').replace(
        "compensation = true", 'compensation = "yes"'
    )
    first, second = errors_of(wrong)
    assert first.startswith(f"line {line_of(wrong, 'basis = ')}: interest.basis: ")
    assert "'statutory', 'contractual' or 'none'" in first
    assert second.startswith(f"line {line_of(wrong, 'compensation = ')}: interest.compensation: ")
    missing = EXAMPLE.replace('basis = "statutory"', 'basis = "contractual"')
    [error] = errors_of(missing)
    assert error.startswith(f"line {line_of(missing, '[interest]')}: interest: ")
    assert "needs contractual_rate" in error
    negative = EXAMPLE.replace('basis = "statutory"', 'basis = "contractual"').replace(
        "# contractual_rate = 9.5", "contractual_rate = -1"
    )
    [error] = errors_of(negative)
    assert error.startswith(
        f"line {line_of(negative, 'contractual_rate')}: interest.contractual_rate"
    )
