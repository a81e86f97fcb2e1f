"""Promises to pay: Italian and English dates, presets, the policy's limit, the conversation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.effects import RecordPromise
from bot.flows.promise import (
    PromiseProblem,
    check_promise_date,
    end_of_month,
    parse_paid_date,
    parse_promise_date,
    preset_dates,
)
from tests.support.flow_helpers import NOW, TODAY, Chat, context, policy

D = dt.date  # TODAY is Monday 23 November 2026


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("venerdì", "it", D(2026, 11, 27)),
        ("Venerdi!", "it", D(2026, 11, 27)),
        ("entro venerdì", "it", D(2026, 11, 27)),
        ("venerdì prossimo", "it", D(2026, 11, 27)),
        ("lunedì", "it", D(2026, 11, 30)),  # today is Monday: the next one
        ("il 15", "it", D(2026, 12, 15)),
        ("entro il 30", "it", D(2026, 11, 30)),
        ("il 23", "it", D(2026, 11, 23)),
        ("15/12", "it", D(2026, 12, 15)),
        ("15-12-2026", "it", D(2026, 12, 15)),
        ("1/1", "it", D(2027, 1, 1)),
        ("15.12.26", "it", D(2026, 12, 15)),
        ("fine mese", "it", D(2026, 11, 30)),
        ("a fine mese", "it", D(2026, 11, 30)),
        ("domani", "it", D(2026, 11, 24)),
        ("dopodomani", "it", D(2026, 11, 25)),
        ("tra 3 giorni", "it", D(2026, 11, 26)),
        ("fra 3 giorni", "it", D(2026, 11, 26)),
        ("tra una settimana", "it", D(2026, 11, 30)),
        ("la prossima settimana", "it", D(2026, 12, 4)),
        ("15 dicembre", "it", D(2026, 12, 15)),
        ("pagherò il 5 dicembre", "it", D(2026, 12, 5)),
        ("next week", "en", D(2026, 12, 4)),
        ("on the 20th", "en", D(2026, 12, 20)),
        ("by the 2nd", "en", D(2026, 12, 2)),
        ("tomorrow", "en", D(2026, 11, 24)),
        ("in 3 days", "en", D(2026, 11, 26)),
        ("in two weeks", "en", D(2026, 12, 7)),
        ("end of month", "en", D(2026, 11, 30)),
        ("by the end of the month", "en", D(2026, 11, 30)),
        ("next friday", "en", D(2026, 11, 27)),
        ("Friday", "en", D(2026, 11, 27)),
        ("December 15", "en", D(2026, 12, 15)),
        ("15/12", "en", D(2026, 12, 15)),  # day first in English too (en_GB)
        ("domani", "en", D(2026, 11, 24)),  # the other language is understood too
        ("tomorrow", "it", D(2026, 11, 24)),
    ],
)
def test_promise_dates_in_italian_and_english(text: str, language: str, expected: D) -> None:
    assert parse_promise_date(text, language, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("venerdì", D(2026, 11, 27), D(2026, 12, 4)),  # on a Friday: next week's
        ("il 31", D(2026, 11, 23), D(2026, 12, 31)),  # November has no 31st
        ("il 30", D(2027, 2, 5), D(2027, 3, 30)),  # nor February a 30th
        ("il 5", D(2026, 12, 20), D(2027, 1, 5)),  # across the year
        ("15/1", D(2026, 12, 20), D(2027, 1, 15)),
        ("fine mese", D(2027, 2, 3), D(2027, 2, 28)),
        ("end of month", D(2028, 2, 1), D(2028, 2, 29)),
        ("next week", D(2026, 11, 29), D(2026, 12, 4)),  # on a Sunday
    ],
)
def test_the_next_occurrence_rules(text: str, today: D, expected: D) -> None:
    assert parse_promise_date(text, "it", today) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ieri", D(2026, 11, 22)),
        ("yesterday", D(2026, 11, 22)),
        ("oggi", D(2026, 11, 23)),
        ("venerdì", D(2026, 11, 20)),
        ("il 15", D(2026, 11, 15)),
        ("il 30", D(2026, 10, 30)),
        ("15/12", D(2025, 12, 15)),
        ("on the 2nd", D(2026, 11, 2)),
    ],
)
def test_paid_dates_are_read_as_past_ones(text: str, expected: D) -> None:
    assert parse_paid_date(text, "it", TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ciao",
        "paga ora",
        "🙂",
        "x" * 4000,
        "\x00\x07",
        "\u202eمرحبا",
        "il 32",
        "0",
        "32/13",
        "31/02",
        "99999999",
        "in 9999 days",
        "15/12/1999",
        "-3",
    ],
)
def test_what_is_not_a_date_is_none(text: str) -> None:
    assert parse_promise_date(text, "it", TODAY) is None


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["it", "en"]))
def test_parsing_never_fails_and_stays_near_today(text: str, language: str) -> None:
    for found in (
        parse_promise_date(text, language, TODAY),
        parse_paid_date(text, language, TODAY),
    ):
        assert found is None or abs((found - TODAY).days) <= 2 * 366


def test_preset_dates() -> None:
    assert preset_dates(TODAY) == {
        "promise_in_3_days": D(2026, 11, 26),
        "promise_next_friday": D(2026, 11, 27),
        "promise_end_of_month": D(2026, 11, 30),
    }
    assert preset_dates(D(2026, 11, 27))["promise_next_friday"] == D(2026, 12, 4)
    assert end_of_month(D(2026, 12, 31)) == D(2026, 12, 31)


def test_check_promise_date_refuses_the_past_and_beyond_the_maximum() -> None:
    rules = policy()  # promises.max_days = 30
    assert check_promise_date(TODAY, TODAY, rules) is None
    assert check_promise_date(TODAY + dt.timedelta(days=30), TODAY, rules) is None
    assert check_promise_date(TODAY + dt.timedelta(days=31), TODAY, rules) == PromiseProblem.TOO_FAR
    assert check_promise_date(TODAY - dt.timedelta(days=1), TODAY, rules) == PromiseProblem.IN_PAST


def test_a_preset_button_records_the_promise_at_once() -> None:
    chat = Chat(context())
    shown = chat.send(option="promise")
    assert chat.option_keys == [
        "promise_in_3_days",
        "promise_next_friday",
        "promise_end_of_month",
        "back",
    ]
    assert "23 dicembre 2026" in shown[0]  # the latest acceptable date
    done = chat.send(option="promise_end_of_month")
    assert chat.effects == [RecordPromise(date=D(2026, 11, 30))]
    assert "30 novembre 2026" in done[0] and "1.500,50 €" in done[0]
    assert chat.stage == "menu.main"


def test_a_typed_date_is_confirmed_back_before_it_is_recorded() -> None:
    chat = Chat(context(language="en"))
    chat.send("3")  # I'll pay on…
    asked = chat.send("on the 20th")
    assert chat.stage == "promise.confirm"
    assert "Sunday, 20 December 2026" in asked[0] or "Sunday 20 December 2026" in asked[0]
    assert chat.effects == []
    chat.send("no")
    assert chat.stage == "promise.choose"
    chat.send("friday")  # also a preset's keyword: recorded at once
    assert chat.effects == [RecordPromise(date=D(2026, 11, 27))]


def test_a_date_typed_in_answer_to_the_reminder_is_a_promise_to_confirm() -> None:
    chat = Chat(context())
    chat.send("pago il 10 dicembre")
    assert chat.stage == "promise.confirm"
    chat.send("sì")
    assert chat.effects == [RecordPromise(date=D(2026, 12, 10))]


def test_dates_past_the_maximum_or_in_the_past_are_refused() -> None:
    chat = Chat(context())
    chat.send(option="promise")
    refused = chat.send("15/01/2027")
    assert chat.stage == "promise.choose"
    assert "troppo lontano" in refused[0] and "23 dicembre 2026" in refused[0]
    refused = chat.send("10/11/2026")
    assert "già passato" in refused[0]
    assert chat.effects == []


def test_a_confirmation_given_too_late_is_checked_again() -> None:
    chat = Chat(context(now=NOW))
    chat.send(option="promise")
    chat.send("domani")
    chat.later(days=2)  # tomorrow is now yesterday (and the conversation not yet inactive)
    refused = chat.send("sì")
    assert chat.effects == []
    assert "già passato" in refused[0]
