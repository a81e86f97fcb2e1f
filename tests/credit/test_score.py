"""The risk score: points from a debtor's own history, the band, and the reasons with their
points (bot/credit/score.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.credit.lateness import Settled
from bot.credit.score import COUNTED, NEUTRAL_POINTS, Facts, Reason, score
from bot.policy_credit import Credit

TODAY = dt.date(2026, 11, 25)
CREDIT = Credit()


def paid(due_days_ago: int, days_late: int, invoice_id: int = 1) -> Settled:
    due = TODAY - dt.timedelta(days=due_days_ago)
    return Settled(1, invoice_id, due, due + dt.timedelta(days=days_late), 10_000)


def test_no_history_is_neutral_with_no_history_as_its_reason() -> None:
    result = score(Facts(), TODAY, CREDIT)
    assert result.points == NEUTRAL_POINTS
    assert result.reasons == (Reason("no_history", NEUTRAL_POINTS),)
    assert result.no_history
    assert result.band == "B"  # 25 is past A's 24


def test_a_debtor_who_always_pays_on_time_scores_zero() -> None:
    facts = Facts(settled=(paid(100, 0, 1), paid(60, -3, 2)))
    result = score(facts, TODAY, CREDIT)
    assert (result.points, result.band) == (0, "A")
    assert result.reasons == (Reason("on_time", 0, of=2),)


def test_each_part_adds_its_points_and_says_so() -> None:
    # Four invoices: an old one on time, the last three late by 10, 20, 30 days (the recent
    # ones weigh more). Plus one broken promise and a failed payment.
    settled = (paid(400, 0, 1), paid(90, 10, 2), paid(60, 20, 3), paid(30, 30, 4))
    facts = Facts(settled=settled, broken_promises=1, failed_payments=1)
    result = score(facts, TODAY, CREDIT)
    by_key = {reason.key: reason for reason in result.reasons}
    # weighted mean: weights 0.5**(age/180); the on-time one is old and weighs little.
    assert 18 < by_key["days_late"].days < 20
    assert by_key["days_late"].points == 10  # 19.06 days: 1 point per 2 days, 9.53 -> 10
    assert by_key["share_late"] == Reason("share_late", 15, count=3, of=4)  # 20 x 3/4
    # trend: last three average 20 days, the one before 0: 20 / 3 = 6.67 -> 7
    assert by_key["trend"].points == 7
    assert by_key["broken_promises"] == Reason("broken_promises", 5, count=1)
    assert by_key["failed_payments"] == Reason("failed_payments", 5, count=1)
    assert result.points == 10 + 15 + 7 + 5 + 5
    assert result.band == "B"
    shown = [r.points for r in result.reasons]
    assert shown == sorted(shown, reverse=True)


def test_counted_facts_are_capped_and_the_total_never_passes_100() -> None:
    facts = Facts(
        settled=tuple(paid(30 + i, 200, i) for i in range(5)),
        broken_promises=9,
        lapsed_plans=9,
        disputes=9,
        failed_payments=9,
        partial_payments=9,
        unreachable_points=9,
    )
    result = score(facts, TODAY, CREDIT)
    assert result.points == 100
    assert result.band == "D"
    caps = {name: most for name, _, most in COUNTED}
    for reason in result.reasons:
        if reason.key in caps:
            assert reason.points == caps[reason.key]


def test_bad_facts_without_payments_add_to_the_neutral_lateness() -> None:
    result = score(Facts(unreachable_points=1), TODAY, CREDIT)
    assert result.points == NEUTRAL_POINTS + 3
    assert [r.key for r in result.reasons] == ["no_payment_history", "unreachable_points"]
    assert not result.no_history


# --- properties ---------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=12)
settled_lists = st.lists(
    st.tuples(st.integers(min_value=0, max_value=900), st.integers(min_value=-30, max_value=400)),
    max_size=12,
).map(lambda rows: tuple(paid(age, late, i) for i, (age, late) in enumerate(rows)))
facts_strategy = st.builds(
    Facts,
    settled=settled_lists,
    broken_promises=counts,
    lapsed_plans=counts,
    disputes=counts,
    failed_payments=counts,
    partial_payments=counts,
    unreachable_points=counts,
)


@settings(max_examples=300, deadline=None)
@given(facts_strategy)
def test_the_score_is_between_0_and_100_and_its_band_is_the_policys(facts: Facts) -> None:
    result = score(facts, TODAY, CREDIT)
    assert 0 <= result.points <= 100
    assert result.band == CREDIT.band_for(result.points).name
    assert result.reasons
    assert sum(r.points for r in result.reasons) >= result.points  # capped, never more


@settings(max_examples=300, deadline=None)
@given(facts_strategy, st.sampled_from([name for name, _, _ in COUNTED]))
def test_one_more_bad_fact_never_lowers_the_score(facts: Facts, name: str) -> None:
    worse = replace(facts, **{name: getattr(facts, name) + 1})
    assert score(worse, TODAY, CREDIT).points >= score(facts, TODAY, CREDIT).points


@settings(max_examples=300, deadline=None)
@given(facts_strategy, st.integers(min_value=1, max_value=60))
def test_paying_the_latest_invoice_later_never_lowers_the_score(facts: Facts, more: int) -> None:
    if not facts.settled:
        return
    latest = max(facts.settled, key=lambda s: (s.due, s.invoice_id))
    later = replace(latest, paid=latest.paid + dt.timedelta(days=more))
    worse = replace(facts, settled=tuple(later if s is latest else s for s in facts.settled))
    assert score(worse, TODAY, CREDIT).points >= score(facts, TODAY, CREDIT).points


def test_bands_follow_the_policy() -> None:
    assert [CREDIT.band_for(p).name for p in (0, 24, 25, 49, 50, 74, 75, 100)] == [
        "A", "A", "B", "B", "C", "C", "D", "D",
    ]  # fmt: skip
    assert CREDIT.worse("B", "C")
    assert not CREDIT.worse("C", "B")
    assert not CREDIT.worse("", "D")  # the first scoring is not a move
