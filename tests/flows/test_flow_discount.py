"""The early-payment discount: exact rounding, validity, staff first above the threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversations.replies import render_reply
from bot.flows.context import OpenInvoice
from bot.flows.decided import discount_approved_replies as approved_replies
from bot.flows.decided import discount_rejected_replies as rejected_replies
from bot.flows.discount import (
    Offer,
    discount_cents,
    discount_offer,
)
from bot.flows.effects import AlertStaff, MakePayLink
from tests.support.flow_helpers import TODAY, Chat, context, policy


def test_the_offer_rounds_half_up_to_the_cent() -> None:
    rules = policy()  # 2% for 10 days, staff above 5000 EUR
    assert discount_offer(123_456, TODAY, rules) == Offer(
        amount_cents=120_987,
        percent=Decimal("2.0"),
        valid_until=dt.date(2026, 12, 3),
        needs_staff=False,
        discount_cents=2_469,
        balance_cents=123_456,
    )
    assert discount_cents(25, Decimal("2")) == 1  # 0.50 cent -> 1
    assert discount_cents(24, Decimal("2")) == 0  # 0.48 cent -> 0
    assert discount_cents(100, Decimal("2.5")) == 3  # 2.5 cents -> 3
    assert discount_cents(1_000_001, Decimal("33.33")) == 333_300


@settings(max_examples=300, deadline=None)
@given(
    balance=st.integers(min_value=1, max_value=10**13),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=50, places=2),
)
def test_the_discount_is_exact_and_never_more_than_asked(balance: int, percent: Decimal) -> None:
    saved = discount_cents(balance, percent)
    exact = Decimal(balance) * percent / 100
    assert abs(Decimal(saved) - exact) <= Decimal("0.5")
    assert 0 <= saved <= balance


def test_no_offer_without_a_discount_in_the_policy_or_without_a_balance() -> None:
    assert discount_offer(100_000, TODAY, policy().model_copy(update={"discount": None})) is None
    assert discount_offer(0, TODAY, policy()) is None


def test_staff_decide_above_the_threshold() -> None:
    assert not discount_offer(500_000, TODAY, policy()).needs_staff  # type: ignore[union-attr]
    assert discount_offer(500_001, TODAY, policy()).needs_staff  # type: ignore[union-attr]


def test_accepting_makes_a_link_for_the_discounted_amount_until_the_date() -> None:
    chat = Chat(context(discount_offered=True))
    chat.send("")  # the menu's help shows the discount option
    assert "discount" in chat.option_keys
    offer = chat.send("sconto")
    assert "1.470,49 €" in offer[0] and "3 dicembre 2026" in offer[0]
    done = chat.send("accetto")
    assert chat.effects == [MakePayLink("discount", 147_049, dt.date(2026, 12, 3))]
    assert chat.last is not None and chat.last.replies[0].fills == ("pay_url",)
    assert "https://sollecito.example/pay/TESTTOKEN" in done[0]


def test_above_the_threshold_the_offer_goes_to_staff_first() -> None:
    big = (OpenInvoice("FT-1", 800_000, dt.date(2026, 11, 1)),)
    chat = Chat(context(big, language="en", discount_offered=True))
    chat.send(option="discount")
    done = chat.send(option="accept")
    assert chat.effects == [
        AlertStaff(
            "discount_approval",
            {
                "balance_cents": 800_000,
                "amount_cents": 784_000,
                "discount_cents": 16_000,
                "percent": "2",
                "valid_until": "2026-12-03",
                "currency": "EUR",
            },
        )
    ]
    assert "submitting the 2% discount for approval" in done[0]


def test_the_discount_is_not_offered_where_the_step_does_not_offer_it() -> None:
    chat = Chat(context(discount_offered=False))
    chat.send("")
    assert "discount" not in chat.option_keys
    refused = chat.send(option="discount")  # a stale button from an earlier reminder
    assert "Al momento non è disponibile uno sconto." in refused[0]
    assert chat.effects == []


def test_what_the_debtor_reads_when_staff_decide_on_the_discount() -> None:
    alert = {
        "amount_cents": 784_000,
        "percent": "2",
        "valid_until": "2026-12-03",
        "currency": "EUR",
    }
    (approved,) = approved_replies(alert)
    assert approved.fills == ("pay_url",)
    text = render_reply(approved, "en", {"pay_url": "https://x/pay/2"}).replace("\xa0", " ")
    assert "€7,840.00" in text and "3 December 2026" in text and "https://x/pay/2" in text
    (rejected,) = rejected_replies(context(language="en"))
    assert "cannot grant the discount" in render_reply(rejected, "en")
    assert rejected.options
