"""The business calendar: when the company works and when a debtor may be contacted.

Pure functions, no I/O. Times go in and come out as aware UTC datetimes; the contact window is
evaluated in the debtor's own time zone, holidays are the policy's country (and subdivision).
A message due outside the window is moved to the next allowed moment, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.policy import Policy

CONTACT_WINDOW = dt.timedelta(days=7)
_COMPANY_WORKDAYS = frozenset(range(5))  # Monday to Friday
_SEARCH_DAYS = 400  # more than a year: any sane policy has an allowed day in that span


@lru_cache(maxsize=32)
def _holiday_calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # The holidays object fills in years lazily as dates are looked up.
    return holidays.country_holidays(country, subdiv=subdivision)


def is_holiday(day: dt.date, policy: Policy) -> bool:
    calendar = _holiday_calendar(policy.calendar.country, policy.calendar.subdivision)
    return day in calendar


def holiday_name(day: dt.date, policy: Policy) -> str | None:
    calendar = _holiday_calendar(policy.calendar.country, policy.calendar.subdivision)
    return calendar.get(day)


def is_business_day(day: dt.date, policy: Policy) -> bool:
    """A company working day: Monday to Friday and not a national (or regional) holiday."""
    return day.weekday() in _COMPANY_WORKDAYS and not is_holiday(day, policy)


def next_business_day(day: dt.date, policy: Policy) -> dt.date:
    """`day` itself when it is a business day, else the first one after it."""
    for offset in range(_SEARCH_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if is_business_day(candidate, policy):
            return candidate
    raise ValueError("no business day within a year; check the calendar settings")


def is_contact_day(day: dt.date, policy: Policy) -> bool:
    """A day on which debtors may be contacted: a window weekday that is not a holiday."""
    return day.weekday() in policy.quiet_hours.weekday_numbers and not is_holiday(day, policy)


def _local_moment(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `zone` as UTC. A wall time skipped by a DST jump lands just after it."""
    naive = dt.datetime.combine(day, time)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


def contact_window(day: dt.date, debtor_tz: str, policy: Policy) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of the contact window on the debtor's local `day`."""
    zone = ZoneInfo(debtor_tz)
    quiet = policy.quiet_hours
    return _local_moment(day, quiet.start, zone), _local_moment(day, quiet.end, zone)


def next_allowed_moment(when_utc: dt.datetime, debtor_tz: str, policy: Policy) -> dt.datetime:
    """`when_utc` if the debtor may be contacted then, else the start of the next window.

    The window is [start, end) on a contact day in the debtor's time zone. Days are walked in local
    dates, so a DST change (a 23- or 25-hour day) shifts the UTC result by the hour it should.
    """
    if when_utc.tzinfo is None:
        raise ValueError("when_utc must be an aware datetime")
    when_utc = when_utc.astimezone(dt.UTC)
    zone = ZoneInfo(debtor_tz)
    local_day = when_utc.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        day = local_day + dt.timedelta(days=offset)
        if not is_contact_day(day, policy):
            continue
        start, end = contact_window(day, debtor_tz, policy)
        if when_utc < end:
            return max(when_utc, start)
    raise ValueError("no contact day within a year; check quiet_hours.weekdays and the calendar")


def apply_contact_cap(
    when_utc: dt.datetime, recent_contacts: Iterable[dt.datetime], cap: int
) -> dt.datetime:
    """The first moment from `when_utc` at which fewer than `cap` contacts fall in the last 7 days.

    The window is rolling: a contact made at `c` counts until `c + 7 days`. When the cap is full,
    the message moves to the moment the oldest contact in the window falls out of it.
    """
    contacts = sorted(c.astimezone(dt.UTC) for c in recent_contacts)
    moment = when_utc.astimezone(dt.UTC)
    while True:
        in_window = [c for c in contacts if moment - CONTACT_WINDOW < c <= moment]
        if len(in_window) < cap:
            return moment
        moment = in_window[0] + CONTACT_WINDOW


def next_contact_moment(
    when_utc: dt.datetime,
    debtor_tz: str,
    policy: Policy,
    recent_contacts: Iterable[dt.datetime] = (),
) -> dt.datetime:
    """The first moment from `when_utc` that is inside the contact window and under the cap."""
    contacts = list(recent_contacts)
    moment = when_utc
    for _ in range(_SEARCH_DAYS):
        allowed = next_allowed_moment(moment, debtor_tz, policy)
        capped = apply_contact_cap(allowed, contacts, policy.contact.cap_per_7_days)
        if capped == allowed:
            return allowed
        moment = capped
    raise ValueError("no moment satisfies both the contact window and the cap")
