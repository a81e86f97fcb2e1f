"""SMS segment counting (GSM-7 vs UCS-2) and the policy check that keeps reminders in budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import EXTRA_CHECKS, parse_policy
from bot.providers.twilio.segments import (
    Encoding,
    count_segments,
    over_budget,
    sms_budget_warnings,
    sms_template_name,
)

GSM = Encoding.GSM7
UCS = Encoding.UCS2


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM, 0, 1),
        ("Gentile cliente, la fattura è scaduta.", GSM, 38, 1),
        ("è" * 160, GSM, 160, 1),  # "è" is in the GSM-7 basic set
        ("È", UCS, 1, 1),  # "È" is not: the whole text becomes UCS-2
        ("€", GSM, 2, 1),  # "€" is an escape: two GSM-7 units
        ("€" * 80, GSM, 160, 1),
        ("€" * 81, GSM, 162, 2),
        ("[]{}~^|\\", GSM, 16, 1),  # the rest of the extension table
        ("a" * 161, GSM, 161, 2),
        ("a" * 306, GSM, 306, 2),  # 153 per part once concatenated
        ("a" * 307, GSM, 307, 3),
        ("a" * 152 + "€" + "a" * 152, GSM, 306, 3),  # an escape pair never straddles two parts
        ("È" * 70, UCS, 70, 1),
        ("È" * 71, UCS, 71, 2),
        ("È" * 134, UCS, 134, 2),  # 67 per part
        ("È" * 135, UCS, 135, 3),
        ("Paga qui 👉", UCS, 11, 1),  # an emoji is a surrogate pair: two UTF-16 units
        ("a" * 66 + "👉" + "a" * 67, UCS, 135, 3),  # the pair is never split
        ("Città, perché, sì, più, però", GSM, 28, 1),  # Italian lower-case accents are basic
        ("Sí", UCS, 2, 1),  # but not every accent: "í" is outside GSM-7
    ],
)
def test_count_segments(text: str, encoding: Encoding, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_over_budget() -> None:
    assert over_budget("a" * 306, 2) is None
    found = over_budget("a" * 307, 2)
    assert found is not None and found.segments == 3
    assert over_budget("È" + "a" * 140, 2) is not None  # one capital È costs a third segment


POLICY = """
[[steps]]
name = "overdue_1"
days = 7
template = "overdue_1"
channels = ["sms", "email"]

[[steps]]
name = "overdue_2"
days = 21
template = "overdue_2"
channels = ["sms"]

[[steps]]
name = "final_notice"
days = 60
template = "final_notice"
channels = ["email"]

[instalments]
min_instalment = 100.00
staff_approval_above = 3000.00

[contact]
sms_segment_budget = 2
"""

SHORT = "{{ company }}: fattura scaduta, totale {{ money(total_cents) }}. Paga: {{ pay_url }}"
LONG = (
    "Gentile {{ debtor_name }}, le ricordiamo le fatture:\n"
    "{% for invoice in invoices %}"
    "{{ invoice.number }} del {{ date(invoice.issue_date) }}, {{ money(invoice.balance_cents) }}\n"
    "{% endfor %}"
    "Totale {{ money(total_cents) }}. Paghi qui: {{ pay_url }} {{ unknown_variable }}"
)


def _write(root: Path, language: str, template: str, text: str) -> None:
    path = root / language / sms_template_name(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_policy_check_warns_for_templates_that_can_exceed_the_budget(tmp_path: Path) -> None:
    policy = parse_policy(POLICY)
    _write(tmp_path, "it", "overdue_1", SHORT)
    _write(tmp_path, "en", "overdue_1", SHORT)
    _write(tmp_path, "it", "overdue_2", LONG)  # the English one is not written yet: skipped
    _write(tmp_path, "it", "final_notice", LONG)  # no SMS in that step: not checked

    warnings = sms_budget_warnings(policy, tmp_path)

    assert len(warnings) == 1
    [warning] = warnings
    assert "'overdue_2'" in warning
    assert "it/reminders/overdue_2.sms.txt" in warning
    assert "budget of 2" in warning


def test_policy_check_is_silent_without_templates(tmp_path: Path) -> None:
    assert sms_budget_warnings(parse_policy(POLICY), tmp_path) == []


def test_policy_check_is_registered() -> None:
    assert sms_budget_warnings in EXTRA_CHECKS
