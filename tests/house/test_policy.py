"""The credit policy file: the shipped example, and one test per kind of error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.models import Channel
from bot.policy import PolicyError, load_policy, parse_policy
from bot.policy_description import describe_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.toml"

MINIMAL = """
[[steps]]
name = "overdue_1"
days = 7
template = "overdue_1"
channels = ["sms"]

[instalments]
min_instalment = 100
staff_approval_above = 3000
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    return caught.value.errors


def test_the_shipped_example_is_valid_and_reads_as_a_timeline() -> None:
    policy = load_policy(EXAMPLE)
    assert [s.days for s in policy.steps] == sorted(s.days for s in policy.steps)
    assert policy.steps[0].courtesy
    assert policy.instalments.min_instalment_cents == 10000
    assert policy.instalments.staff_approval_above_cents == 300000
    assert policy.discount is not None and str(policy.discount.percent) == "2.0"
    text = describe_policy(policy)
    assert "day   -3  courtesy" in text
    assert "alerts staff" in text
    assert text.splitlines()[-1].startswith("policy OK")


def test_defaults_fill_what_a_minimal_policy_leaves_out() -> None:
    policy = parse_policy(MINIMAL)
    assert policy.payment_terms_days == 30
    assert policy.quiet_hours.start == dt.time(9) and policy.quiet_hours.end == dt.time(19)
    assert policy.quiet_hours.weekday_numbers == frozenset(range(5))
    assert policy.contact.cap_per_7_days == 3
    assert policy.calendar.country == "IT"
    assert policy.steps[0].channels == (Channel.SMS,)


def test_steps_are_sorted_by_day_whatever_their_order_in_the_file() -> None:
    courtesy = 'name = "courtesy"\ndays = -3\ntemplate = "c"\nchannels = ["email"]\n'
    text = MINIMAL + "\n[[steps]]\n" + courtesy
    assert [s.name for s in parse_policy(text).steps] == ["courtesy", "overdue_1"]


def test_amounts_are_exact_cents_never_floats() -> None:
    text = MINIMAL.replace("min_instalment = 100", "min_instalment = 0.29")
    assert parse_policy(text).instalments.min_instalment_cents == 29


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("days = 7", "days = 7\ncolour = 1"), "steps[0].colour: unknown key"),
        (('channels = ["sms"]', 'channels = ["fax"]'), "steps[0].channels[0]: expected one of"),
        (('channels = ["sms"]', 'channels = ["sms", "sms"]'), "steps[0].channels: "),
        (('channels = ["sms"]', "channels = []"), "steps[0].channels:"),
        (("days = 7", 'days = "seven"'), "steps[0].days:"),
        (("days = 7", "days = 9999"), "steps[0].days:"),
        (('name = "overdue_1"', 'name = "Overdue One"'), "steps[0].name: expected lower-case"),
        (("min_instalment = 100", "min_instalment = 1.234"), "at most two decimals"),
        (("min_instalment = 100", "min_instalment = -5"), "instalments.min_instalment:"),
        (("min_instalment = 100", 'min_instalment = "lots"'), "an amount in euros"),
        (("staff_approval_above = 3000\n", ""), "instalments.staff_approval_above: required"),
    ],
)
def test_every_error_names_the_key_path_and_what_is_allowed(
    change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in MINIMAL
    found = errors_of(MINIMAL.replace(old, new, 1))
    assert any(expected in line for line in found), found


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[quiet_hours]\nstart = "19:00"\nend = "09:00"\n', "quiet_hours: start must come before"),
        ('[quiet_hours]\nstart = "9 o\'clock"\n', 'quiet_hours.start: a time of day such as "09'),
        ('[quiet_hours]\nweekdays = ["lun"]\n', "quiet_hours.weekdays: one or more of mon"),
        ('[calendar]\ncountry = "XX"\n', "calendar: country must be an ISO code"),
        ('[calendar]\nsubdivision = "ZZ"\n', "calendar: subdivision 'ZZ' is not one of IT's"),
        ("[contact]\ncap_per_7_days = 0\n", "contact.cap_per_7_days:"),
        ("[discount]\npercent = 80\nvalid_days = 9\nstaff_approval_above = 1\n", "percent"),
        ("[promises]\nmax_days = 0\n", "promises.max_days"),
        ("surprise = true\n", "surprise: unknown key"),
    ],
)
def test_section_errors(extra: str, expected: str) -> None:
    found = errors_of(MINIMAL + "\n" + extra)
    assert any(expected in line for line in found), found


def test_instalment_counts_must_respect_max_count() -> None:
    text = MINIMAL.replace("[instalments]", "[instalments]\ncounts = [2, 12]\nmax_count = 6")
    assert any("counts must be whole numbers from 2 to max_count (6)" in e for e in errors_of(text))


def test_a_discount_offer_needs_discount_rules() -> None:
    text = MINIMAL.replace('channels = ["sms"]', 'channels = ["sms"]\noffer = "discount"')
    assert any("offers a discount but [discount] is missing" in e for e in errors_of(text))


def test_duplicate_step_days_and_names_are_refused() -> None:
    twice = MINIMAL + '\n[[steps]]\nname = "again"\ndays = 7\ntemplate = "x"\nchannels = ["sms"]\n'
    assert any("same day" in e for e in errors_of(twice))
    same_name = twice.replace('days = 7\ntemplate = "x"', 'days = 8\ntemplate = "x"')
    same_name = same_name.replace('name = "again"', 'name = "overdue_1"')
    assert any("names must be distinct" in e for e in errors_of(same_name))


def test_not_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    assert errors_of("steps = [")[0].startswith("not valid TOML:")
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "nope.toml")
    assert "file not found" in str(caught.value)


def test_policy_check_command_prints_the_timeline_or_the_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    assert main(["policy", "check", str(EXAMPLE)]) == 0
    assert "Cadence (day 0 = due date):" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace('["sms"]', '["fax"]'))
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: 1 error" in err and "steps[0].channels[0]" in err


def test_what_reminders_list_and_how_steps_follow_is_a_policy_choice() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.reminders.not_yet_due == "separate"
    assert policy.reminders.min_days_between_steps == 7
    text = describe_policy(policy)
    assert "Steps are taken in order, at least 7 days apart once overdue" in text
    assert 'Invoices not yet due in an overdue reminder: listed apart as "in scadenza"' in text
    omitted = parse_policy(MINIMAL + '\n[reminders]\nnot_yet_due = "omit"\n')
    assert "Invoices not yet due in an overdue reminder: left out" in describe_policy(omitted)
    assert errors_of(MINIMAL + '\n[reminders]\nnot_yet_due = "total"\n') == [
        "line 13: reminders.not_yet_due: Input should be 'separate' or 'omit' (got 'total')"
    ]
