"""Instalment plans: exact schedules, the policy's limits, and the plan conversation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversations.replies import render_reply
from bot.flows.context import OpenInvoice
from bot.flows.decided import counter_offer
from bot.flows.decided import plan_approved_replies as approved_replies
from bot.flows.decided import plan_rejected_replies as rejected_replies
from bot.flows.effects import AnswerCounter, RequestPlan
from bot.flows.plan import (
    PlanProblem,
    needs_staff_approval,
    offered_counts,
    schedule,
    validate_plan,
)
from tests.support.flow_helpers import TODAY, Chat, context, policy

RULES = policy().instalments  # counts 2,3,6; max 6; min 100 EUR; 180 days; every 30; staff > 3000


def test_schedule_splits_evenly_and_the_last_instalment_absorbs_the_rounding() -> None:
    rows = schedule(100_000, 3, dt.date(2026, 12, 1), 30)
    assert rows == [
        (dt.date(2026, 12, 1), 33_333),
        (dt.date(2026, 12, 31), 33_333),
        (dt.date(2027, 1, 30), 33_334),
    ]
    assert schedule(60_000, 6, TODAY, 30)[-1] == (TODAY + dt.timedelta(days=150), 10_000)
    assert schedule(5, 3, TODAY, 7) == [
        (TODAY, 1),
        (TODAY + dt.timedelta(days=7), 1),
        (TODAY + dt.timedelta(days=14), 3),
    ]


def test_schedule_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        schedule(100, 0, TODAY, 30)
    with pytest.raises(ValueError):
        schedule(-1, 2, TODAY, 30)


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**12),
    count=st.integers(min_value=1, max_value=36),
    interval=st.integers(min_value=1, max_value=92),
)
def test_schedule_always_adds_up_exactly(total: int, count: int, interval: int) -> None:
    rows = schedule(total, count, TODAY, interval)
    assert len(rows) == count
    assert sum(amount for _, amount in rows) == total
    amounts = [amount for _, amount in rows]
    assert all(amount == amounts[0] for amount in amounts[:-1])
    assert 0 <= amounts[-1] - amounts[0] < count
    assert [due for due, _ in rows] == [
        TODAY + dt.timedelta(days=interval * i) for i in range(count)
    ]


def test_validate_plan_names_every_broken_rule() -> None:
    assert validate_plan(150_000, 3, TODAY, TODAY, RULES) == []
    assert validate_plan(0, 3, TODAY, TODAY, RULES) == [PlanProblem.NOTHING_DUE]
    assert PlanProblem.COUNT_TOO_LOW in validate_plan(150_000, 1, TODAY, TODAY, RULES)
    assert PlanProblem.COUNT_TOO_HIGH in validate_plan(150_000, 7, TODAY, TODAY, RULES)
    assert validate_plan(50_000, 6, TODAY, TODAY, RULES) == [PlanProblem.INSTALMENT_TOO_SMALL]
    # 6 instalments every 30 days: the last on day 150; starting in 31 days ends on day 181.
    assert validate_plan(600_000, 6, TODAY + dt.timedelta(days=30), TODAY, RULES) == []
    late = TODAY + dt.timedelta(days=31)
    assert validate_plan(600_000, 6, late, TODAY, RULES) == [PlanProblem.TOO_LONG]
    yesterday = TODAY - dt.timedelta(days=1)
    assert validate_plan(600_000, 2, yesterday, TODAY, RULES) == [PlanProblem.FIRST_DUE_IN_PAST]


def test_min_instalment_is_checked_on_the_smallest_instalment() -> None:
    assert validate_plan(20_000, 2, TODAY, TODAY, RULES) == []  # 100.00 + 100.00
    assert validate_plan(20_001, 2, TODAY, TODAY, RULES) == []  # 100.00 + 100.01
    assert validate_plan(19_999, 2, TODAY, TODAY, RULES) == [PlanProblem.INSTALMENT_TOO_SMALL]


def test_staff_approve_plans_above_the_limit_only() -> None:
    rules = policy()
    assert not needs_staff_approval(300_000, rules)
    assert needs_staff_approval(300_001, rules)


def test_offered_counts_respect_the_minimum_instalment_and_the_length() -> None:
    assert offered_counts(600_000, RULES, TODAY, TODAY) == (2, 3, 6)
    assert offered_counts(30_000, RULES, TODAY, TODAY) == (2, 3)
    assert offered_counts(20_000, RULES, TODAY, TODAY) == (2,)
    assert offered_counts(19_999, RULES, TODAY, TODAY) == ()
    assert offered_counts(600_000, RULES, TODAY + dt.timedelta(days=60), TODAY) == (2, 3)


def invoices(total_cents: int) -> tuple[OpenInvoice, ...]:
    return (OpenInvoice("FT-9", total_cents, dt.date(2026, 10, 1)),)


def test_picking_a_count_shows_the_schedule_and_confirming_approves_at_once() -> None:
    chat = Chat(context(invoices(150_000)))
    chat.send("Paga a rate")
    assert chat.stage == "plan.choose"
    assert chat.option_keys == ["plan_2", "plan_3", "plan_6", "plan_first_date", "back"]
    shown = chat.send("3 rate")
    assert chat.stage == "plan.confirm"
    assert "500,00 €" in shown[0] and "23 dicembre 2026" in shown[0]
    done = chat.send("sì")
    assert chat.stage == "menu.main"
    assert chat.effects == [
        RequestPlan(
            count=3,
            first_due=TODAY,
            schedule=(
                (TODAY, 50_000),
                (TODAY + dt.timedelta(days=30), 50_000),
                (TODAY + dt.timedelta(days=60), 50_000),
            ),
            total_cents=150_000,
            needs_staff=False,
        )
    ]
    assert "approvato" in done[0]


def test_a_plan_above_the_limit_goes_to_staff() -> None:
    chat = Chat(context(invoices(450_000), language="en"))
    chat.send(option="instalments")
    shown = chat.send(option="plan_6")
    assert "approval" in shown[0]
    done = chat.send("yes")
    (effect,) = chat.effects
    assert isinstance(effect, RequestPlan) and effect.needs_staff and effect.count == 6
    assert sum(amount for _, amount in effect.schedule) == 450_000
    assert "passed on your request" in done[0]


def test_the_debtor_may_propose_the_first_date() -> None:
    chat = Chat(context(invoices(600_000)))
    chat.send("2")  # instalments
    chat.send(option="plan_first_date")
    assert chat.stage == "plan.first_date"
    shown = chat.send("il 15")
    assert chat.stage == "plan.choose"
    assert "15 dicembre 2026" in shown[0]
    chat.send("2 rate")
    chat.send("1")  # yes
    (effect,) = chat.effects
    assert effect.first_due == dt.date(2026, 12, 15)
    assert [due for due, _ in effect.schedule] == [dt.date(2026, 12, 15), dt.date(2027, 1, 14)]


def test_a_first_date_too_late_is_refused_with_the_reason() -> None:
    chat = Chat(context(invoices(600_000), language="en"))
    chat.send(option="instalments")
    chat.send(option="plan_first_date")
    refused = chat.send("15/12/2027")
    assert chat.stage == "plan.first_date"
    assert "cannot last more than 180 days" in refused[0]
    assert chat.effects == []
    helped = chat.send("gibberish")
    assert chat.stage == "plan.first_date"
    assert "didn't understand" in helped[0]
    assert chat.option_keys == ["back"]


def test_a_balance_too_small_for_any_plan_gets_the_reason_and_the_menu() -> None:
    chat = Chat(context(invoices(15_000)))
    shown = chat.send("rate")
    assert chat.stage == "menu.main"
    assert "almeno 100,00 €" in shown[0]


def test_declining_the_schedule_goes_back_to_the_counts() -> None:
    chat = Chat(context(invoices(150_000)))
    chat.send(option="instalments")
    chat.send(option="plan_2")
    chat.send("no")
    assert chat.stage == "plan.choose"
    assert chat.effects == []


def test_a_balance_that_changed_since_the_schedule_was_shown_is_checked_again() -> None:
    chat = Chat(context(invoices(150_000)))
    chat.send(option="instalments")
    chat.send(option="plan_6")  # 250 EUR each
    chat.ctx = context(invoices(30_000))  # a payment arrived meanwhile: 50 EUR each now
    refused = chat.send("sì")
    assert chat.effects == []
    assert chat.stage == "plan.choose"
    assert "almeno 100,00 €" in refused[0]


def test_the_debtor_accepts_or_declines_a_counter_offer() -> None:
    ctx = context(invoices(150_000))
    chat = Chat(ctx, state=counter_offer(ctx, 41, 150_000, 6, dt.date(2026, 12, 10)).new_state)
    assert chat.stage == "plan.counter"
    helped = chat.send("forse")
    assert "Non ho capito" in helped[0] and chat.stage == "plan.counter"
    assert chat.option_keys == ["yes", "no"]
    chat.send("sì")
    assert chat.effects == [AnswerCounter(plan_id=41, accepted=True)]
    declined = Chat(ctx, state=counter_offer(ctx, 42, 150_000, 2, TODAY).new_state)
    shown = declined.send("no")
    assert declined.effects == [AnswerCounter(plan_id=42, accepted=False)]
    assert "informato il nostro ufficio" in shown[0]
    assert declined.option_keys[0] == "pay_now"


def test_the_counter_offer_shows_the_staff_terms() -> None:
    ctx = context(invoices(150_000), language="en")
    outcome = counter_offer(ctx, 41, 100_000, 3, dt.date(2026, 12, 10))
    text = render_reply(outcome.replies[0], "en").replace("\xa0", " ")
    assert "3 instalments for €1,000.00" in text
    assert "10 December 2026: €333.33" in text and "8 February 2027: €333.34" in text


def test_what_the_debtor_reads_when_staff_decide() -> None:
    rows = schedule(100_000, 2, TODAY, 30)
    (approved,) = approved_replies(rows, "EUR", 100_000)
    assert approved.fills == ("pay_url",)
    text = render_reply(approved, "it", {"pay_url": "https://x/pay/1"}).replace("\xa0", " ")
    assert "approvato" in text and "500,00 €" in text and "https://x/pay/1" in text
    (rejected,) = rejected_replies(context(invoices(100_000)))
    assert "non possiamo accettare" in render_reply(rejected, "it")
    assert [o.key for o in rejected.options][:2] == ["pay_now", "instalments"]
