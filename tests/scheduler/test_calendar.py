"""The business calendar: holidays, the contact window in the debtor's time zone, DST, the cap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.policy import Policy, load_policy, parse_policy
from scheduler.calendar import (
    apply_contact_cap,
    is_business_day,
    is_contact_day,
    is_holiday,
    next_allowed_moment,
    next_business_day,
    next_contact_moment,
)

UTC = dt.UTC
POLICY_FILE = Path(__file__).resolve().parents[2] / "policy.toml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY_FILE)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 12, 8),  # Immacolata Concezione
        dt.date(2026, 4, 6),  # Lunedì dell'Angelo (Easter Monday 2026)
        dt.date(2027, 3, 29),  # Easter Monday 2027
        dt.date(2026, 6, 2),  # Festa della Repubblica
        dt.date(2026, 12, 25),
        dt.date(2026, 8, 15),
    ],
)
def test_italian_holidays_are_not_business_days(policy: Policy, day: dt.date) -> None:
    assert is_holiday(day, policy)
    assert not is_business_day(day, policy)
    assert not is_contact_day(day, policy)


def test_ordinary_weekdays_and_weekends(policy: Policy) -> None:
    assert is_business_day(dt.date(2026, 12, 9), policy)  # Wednesday after the 8th
    assert not is_business_day(dt.date(2026, 12, 12), policy)  # Saturday
    assert next_business_day(dt.date(2026, 12, 5), policy) == dt.date(2026, 12, 7)
    # Monday 7 December is a business day; Tuesday 8 is not; the next after it is Wednesday.
    assert next_business_day(dt.date(2026, 12, 8), policy) == dt.date(2026, 12, 9)


def test_subdivision_holiday(policy: Policy) -> None:
    # Saint Ambrose, 7 December, is a holiday in Milan only.
    milan = policy.model_copy(
        update={"calendar": policy.calendar.model_copy(update={"subdivision": "MI"})}
    )
    assert not is_holiday(dt.date(2026, 12, 7), policy)
    assert is_holiday(dt.date(2026, 12, 7), milan)


def test_inside_the_window_is_kept(policy: Policy) -> None:
    # Wednesday 11:00 in Rome (CET, UTC+1).
    when = utc(2026, 11, 25, 10, 0)
    assert next_allowed_moment(when, "Europe/Rome", policy) == when


def test_before_and_after_the_window_moves_to_the_next_start(policy: Policy) -> None:
    # 07:30 Rome -> 09:00 Rome the same day.
    assert next_allowed_moment(utc(2026, 11, 25, 6, 30), "Europe/Rome", policy) == utc(
        2026, 11, 25, 8, 0
    )
    # 19:00 Rome exactly is outside ([start, end)) -> next morning 09:00.
    assert next_allowed_moment(utc(2026, 11, 25, 18, 0), "Europe/Rome", policy) == utc(
        2026, 11, 26, 8, 0
    )
    # Friday night -> Monday morning.
    assert next_allowed_moment(utc(2026, 11, 27, 22, 0), "Europe/Rome", policy) == utc(
        2026, 11, 30, 8, 0
    )


def test_a_holiday_moves_to_the_next_contact_day(policy: Policy) -> None:
    # Monday 7 December 20:00 -> Tuesday 8 is a holiday -> Wednesday 9 at 09:00 CET.
    assert next_allowed_moment(utc(2026, 12, 7, 19, 0), "Europe/Rome", policy) == utc(
        2026, 12, 9, 8, 0
    )
    # Easter Monday 2026 (6 April, CEST) -> Tuesday 7 April 09:00 CEST = 07:00 UTC.
    assert next_allowed_moment(utc(2026, 4, 6, 9, 0), "Europe/Rome", policy) == utc(
        2026, 4, 7, 7, 0
    )
    # 2 June 2026 is a Tuesday -> Wednesday 3 June.
    assert next_allowed_moment(utc(2026, 6, 2, 8, 0), "Europe/Rome", policy) == utc(
        2026, 6, 3, 7, 0
    )


def test_dst_spring_forward_week(policy: Policy) -> None:
    # Friday 27 March 2026 after hours (CET) -> Monday 30 March 09:00 CEST = 07:00 UTC:
    # the clocks went forward on Sunday 29 March, so the UTC hour changes.
    assert next_allowed_moment(utc(2026, 3, 27, 18, 30), "Europe/Rome", policy) == utc(
        2026, 3, 30, 7, 0
    )


def test_dst_fall_back_week(policy: Policy) -> None:
    # Friday 23 October 2026 after hours (CEST) -> Monday 26 October 09:00 CET = 08:00 UTC.
    assert next_allowed_moment(utc(2026, 10, 23, 17, 30), "Europe/Rome", policy) == utc(
        2026, 10, 26, 8, 0
    )


def test_on_the_dst_change_days_themselves() -> None:
    policy = load_policy(POLICY_FILE)
    every_day = policy.model_copy(
        update={
            "quiet_hours": policy.quiet_hours.model_copy(
                update={"weekdays": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
            )
        }
    )
    # Sunday 29 March 2026: 00:30 UTC is 01:30 CET; the window opens at 09:00 CEST = 07:00 UTC.
    assert next_allowed_moment(utc(2026, 3, 29, 0, 30), "Europe/Rome", every_day) == utc(
        2026, 3, 29, 7, 0
    )
    # The window closes at 19:00 CEST = 17:00 UTC that day.
    assert next_allowed_moment(utc(2026, 3, 29, 16, 59), "Europe/Rome", every_day) == utc(
        2026, 3, 29, 16, 59
    )
    assert next_allowed_moment(utc(2026, 3, 29, 17, 0), "Europe/Rome", every_day) == utc(
        2026, 3, 30, 7, 0
    )
    # Sunday 25 October 2026 (25 hours long): 09:00 CET = 08:00 UTC, closes 19:00 CET = 18:00 UTC.
    assert next_allowed_moment(utc(2026, 10, 25, 0, 30), "Europe/Rome", every_day) == utc(
        2026, 10, 25, 8, 0
    )
    assert next_allowed_moment(utc(2026, 10, 25, 17, 30), "Europe/Rome", every_day) == utc(
        2026, 10, 25, 17, 30
    )
    assert next_allowed_moment(utc(2026, 10, 25, 18, 0), "Europe/Rome", every_day) == utc(
        2026, 10, 26, 8, 0
    )


def test_a_window_starting_in_the_skipped_hour() -> None:
    policy = load_policy(POLICY_FILE)
    odd = policy.model_copy(
        update={
            "quiet_hours": policy.quiet_hours.model_copy(
                update={
                    "start": dt.time(2, 30),
                    "weekdays": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                }
            )
        }
    )
    # 02:30 does not exist in Rome on 29 March 2026; the window opens right after the jump.
    moment = next_allowed_moment(utc(2026, 3, 29, 0, 0), "Europe/Rome", odd)
    assert moment == utc(2026, 3, 29, 1, 30)  # 03:30 CEST, the first instant past 02:30 CET


def test_debtor_in_new_york_gets_their_own_window(policy: Policy) -> None:
    # 12:00 UTC on Monday 9 March 2026 is 08:00 in New York (EDT since 8 March): wait to 09:00.
    assert next_allowed_moment(utc(2026, 3, 9, 12, 0), "America/New_York", policy) == utc(
        2026, 3, 9, 13, 0
    )
    # The same instant is 13:00 in Rome (still CET): allowed at once.
    assert next_allowed_moment(utc(2026, 3, 9, 12, 0), "Europe/Rome", policy) == utc(
        2026, 3, 9, 12, 0
    )
    # 23:30 UTC on a Friday is 18:30 Friday in New York (EST): still inside their window.
    assert next_allowed_moment(utc(2026, 11, 27, 23, 30), "America/New_York", policy) == utc(
        2026, 11, 27, 23, 30
    )


def test_saturday_can_be_enabled(policy: Policy) -> None:
    with_saturday = policy.model_copy(
        update={
            "quiet_hours": policy.quiet_hours.model_copy(
                update={"weekdays": ("mon", "tue", "wed", "thu", "fri", "sat")}
            )
        }
    )
    friday_night = utc(2026, 11, 27, 20, 0)
    assert next_allowed_moment(friday_night, "Europe/Rome", with_saturday) == utc(
        2026, 11, 28, 8, 0
    )


def test_contact_cap_moves_to_when_the_oldest_contact_leaves_the_window() -> None:
    contacts = [utc(2026, 11, 16, 10), utc(2026, 11, 18, 10), utc(2026, 11, 20, 10)]
    # Three contacts in the last 7 days with a cap of 3: wait until the 16th's falls out.
    assert apply_contact_cap(utc(2026, 11, 21, 10), contacts, 3) == utc(2026, 11, 23, 10)
    # Under the cap: unchanged.
    assert apply_contact_cap(utc(2026, 11, 21, 10), contacts[1:], 3) == utc(2026, 11, 21, 10)
    # A contact exactly 7 days old no longer counts.
    assert apply_contact_cap(utc(2026, 11, 23, 10), contacts, 3) == utc(2026, 11, 23, 10)


def test_cap_and_window_together(policy: Policy) -> None:
    # Cap frees at Saturday 10:00 -> not a contact day -> Monday 09:00.
    contacts = [utc(2026, 11, 21, 9), utc(2026, 11, 24, 9), utc(2026, 11, 26, 9)]
    assert next_contact_moment(utc(2026, 11, 27, 9), "Europe/Rome", policy, contacts) == utc(
        2026, 11, 30, 8, 0
    )


def test_cap_is_read_from_the_policy() -> None:
    text = POLICY_FILE.read_text(encoding="utf-8").replace(
        "cap_per_7_days = 3", "cap_per_7_days = 1"
    )
    strict = parse_policy(text)
    contacts = [utc(2026, 11, 23, 9)]
    assert next_contact_moment(utc(2026, 11, 24, 9), "Europe/Rome", strict, contacts) == utc(
        2026, 11, 30, 9
    )


def test_naive_datetimes_are_refused(policy: Policy) -> None:
    with pytest.raises(ValueError):
        next_allowed_moment(dt.datetime(2026, 11, 25, 10), "Europe/Rome", policy)
