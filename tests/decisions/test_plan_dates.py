"""Dates a person can act on: plan instalments and offer deadlines fall on the company's business
days, and the first instalment is never already past when the schedule is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from functools import partial

import pytest

from bot.config import Settings
from bot.decisions import plans
from bot.decisions.common import Verdict
from bot.flows.discount import discount_offer
from bot.flows.plan import schedule
from bot.flows.promise import preset_dates
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Instalment,
    Invoice,
    Message,
    PaymentPlan,
    PlanStatus,
    StaffMember,
)
from bot.policy import Policy, load_policy
from bot.runtime import Runtime, build_senders
from bot.texts import date as format_date
from bot.web import create_app
from scheduler.calendar import is_business_day, next_business_day
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import fake_telegram, live_runtime, telegram_settings
from tests.support.live_server import serve
from tests.support.telegram_chat import TelegramDebtor

SATURDAY = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)  # Monday 7 is a working day, 8 is not
CHAT = 5005


@pytest.fixture
def policy(settings: Settings) -> Policy:
    return load_policy(settings.policy_file)


def test_a_date_on_a_holiday_or_weekend_moves_to_the_next_business_day(policy: Policy) -> None:
    rows = schedule(300_00, 3, dt.date(2026, 11, 25), 30, partial(next_business_day, policy=policy))
    # 25 December (Christmas, a Friday), 26 (Santo Stefano), 27 (Sunday) -> Monday 28.
    # 24 January 2027 is a Sunday -> Monday 25: counted from the planned date, not the moved one.
    assert [due for due, _ in rows] == [
        dt.date(2026, 11, 25),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 25),
    ]
    assert sum(amount for _, amount in rows) == 300_00


def test_the_discount_runs_to_a_business_day(policy: Policy) -> None:
    # valid_days = 10: from Tuesday 15 December 2026 that is Friday 25 (Christmas) -> Monday 28.
    offer = discount_offer(100_000, dt.date(2026, 12, 15), policy, policy_day(policy))
    assert offer is not None and offer.valid_until == dt.date(2026, 12, 28)


def test_the_promise_buttons_offer_working_days(policy: Policy) -> None:
    business = policy_day(policy)
    # Tuesday 22 December 2026: in 3 days and next Friday are Christmas -> Monday 28.
    assert preset_dates(dt.date(2026, 12, 22), business) == {
        "promise_in_3_days": dt.date(2026, 12, 28),
        "promise_next_friday": dt.date(2026, 12, 28),
        "promise_end_of_month": dt.date(2026, 12, 31),
    }
    # Monday 25 January 2027: the month ends on a Sunday -> its last working day, Friday 29.
    presets = preset_dates(dt.date(2027, 1, 25), business)
    assert presets["promise_end_of_month"] == dt.date(2027, 1, 29)
    assert presets["promise_in_3_days"] == dt.date(2027, 1, 28)


def policy_day(policy: Policy):  # type: ignore[no-untyped-def]
    return partial(next_business_day, policy=policy)


# --- through the engine, on Telegram -----------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def app_url(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[str]:
    async with (
        live_runtime(telegram_settings(settings, fake), SATURDAY) as runtime,
        serve(create_app(runtime)) as url,
    ):
        yield url


async def overdue(amount_cents: int) -> Debtor:
    debtor = await Debtor.create(external_ref="P-1", name="Neri S.r.l.", language="it")
    await Invoice.create(
        number="F-P-1",
        debtor=debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=amount_cents,
    )
    await ContactPoint.create(
        debtor=debtor, channel=Channel.TELEGRAM, address=str(CHAT), verified_at=SATURDAY
    )
    return debtor


async def test_a_plan_asked_on_a_saturday_starts_on_the_next_working_day(
    app_url: str, fake: FakeTelegram, policy: Policy
) -> None:
    debtor = await overdue(90_000)
    chat = TelegramDebtor(app_url, fake, CHAT)
    [offer] = await chat.say("rate")
    monday = dt.date(2026, 12, 7)
    assert f"con la prima il {format_date(monday, 'it')}" in offer
    shown = await chat.press("plan_3")
    for day in (monday, dt.date(2027, 1, 7), dt.date(2027, 2, 5)):  # 6 January: Epiphany
        assert format_date(day, "it") in shown[-1]
    assert format_date(dt.date(2026, 12, 5), "it") not in shown[-1]
    await chat.press("yes")
    plan = await PaymentPlan.get(debtor_id=debtor.id)
    rows = await Instalment.filter(plan_id=plan.id).order_by("seq")
    assert [row.due_date for row in rows] == [monday, dt.date(2027, 1, 7), dt.date(2027, 2, 5)]
    assert all(is_business_day(row.due_date, policy) for row in rows)
    # Where the plan was agreed is kept, for the notice should it lapse (scheduler/lapse.py).
    requested = await AuditEvent.get(action="flow.plan_requested", subject=f"plan:{plan.id}")
    point = await ContactPoint.get(debtor_id=debtor.id, channel=Channel.TELEGRAM)
    assert requested.data["contact_point_id"] == point.id


# --- a staff decision days after the request ---------------------------------------------------


async def test_approved_days_later_the_schedule_starts_today_not_in_the_past(
    settings: Settings, db: str, policy: Policy
) -> None:
    requested = dt.date(2026, 11, 23)
    decided = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # Friday: four days later
    debtor = await overdue(300_000)
    invoice = await Invoice.get(debtor_id=debtor.id)
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=300_000,
        instalment_count=3,
        first_due_date=requested,
        invoice_ids=[invoice.id],
    )
    for seq in (1, 2, 3):
        due = requested + dt.timedelta(days=30 * (seq - 1))
        await Instalment.create(plan=plan, seq=seq, due_date=due, amount_cents=100_000)
    anna = await StaffMember.create(
        telegram_user_id=7100, name="Anna", approval_limit_cents=1_000_000
    )
    runtime = Runtime(
        settings=settings, policy=policy, senders=build_senders(settings), now=lambda: decided
    )
    decision = await plans.activate_plan(runtime, plan, anna)
    assert decision.verdict is Verdict.APPROVED

    rows = await Instalment.filter(plan_id=plan.id).order_by("seq")
    # 27 November, then 27 December (a Sunday) -> Monday 28, then 26 January 2027.
    expected = [dt.date(2026, 11, 27), dt.date(2026, 12, 28), dt.date(2027, 1, 26)]
    assert [row.due_date for row in rows] == expected
    assert (await PaymentPlan.get(id=plan.id)).first_due_date == expected[0]
    [sent] = await Message.filter(direction=Direction.OUTBOUND, audience="debtor")
    for day in expected:
        assert format_date(day, "it") in sent.body
    assert format_date(requested, "it") not in sent.body
