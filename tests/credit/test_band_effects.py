"""What a risk band does (policy [[credit.bands]]): overdue reminders sooner and firmer, no
discount, every plan to staff; a debtor not scored yet is in no band and nothing changes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from bot.config import Settings
from bot.conversations.store import flow_context
from bot.flows.effects import RequestPlan
from bot.flows.states import REMINDER_STEP, initial_state
from bot.models import Channel, Debtor, Message
from bot.policy import load_policy
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from scheduler.steps import next_step, step_day
from tests.support.flow_helpers import Chat, context
from tests.support.scheduler_data import (
    FrozenClock,
    make_debtor,
    make_invoice,
    make_runtime,
    runtime_with,
    senders,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "policy.toml")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
TODAY = dt.date(2026, 11, 25)


def test_the_overdue_steps_come_sooner_but_never_before_the_due_date_has_passed() -> None:
    overdue_1 = POLICY.step_named("overdue_1")
    courtesy = POLICY.step_named("courtesy")
    assert overdue_1 is not None and courtesy is not None
    assert step_day(overdue_1, 3) == 4
    assert step_day(overdue_1, 30) == 1  # an overdue reminder needs an overdue invoice
    assert step_day(courtesy, 7) == courtesy.days  # steps before the due date stay
    due = TODAY - dt.timedelta(days=4)
    # No band: the due-day reminder still (overdue_1 comes on day 7).
    assert next_step(POLICY, due, TODAY) is POLICY.step_named("due_today")
    sooner = next_step(POLICY, due, TODAY, earlier=3)
    assert sooner is overdue_1  # the policy's own step, its days as written


async def test_a_band_d_debtor_gets_the_first_reminder_sooner_and_firmer(
    db: str, settings: Settings
) -> None:
    telegram = senders()[Channel.TELEGRAM]
    runtime = runtime_with(settings, FrozenClock(NOW), {Channel.TELEGRAM: telegram})
    plain = await make_debtor("Bianchi S.r.l.")
    risky = await make_debtor("Rossi S.r.l.")
    await Debtor.filter(id=risky.id).update(risk_band="D")  # 7 days sooner, firmer wording
    for debtor in (plain, risky):
        await make_invoice(debtor, TODAY - dt.timedelta(days=2), 50_000)
    result = await plan(runtime, now=NOW)
    assert sorted((r.debtor_name, r.step.name) for r in result.queued) == [
        ("Bianchi S.r.l.", "due_today"),  # overdue_1 on day 7
        ("Rossi S.r.l.", "overdue_1"),  # on day 1: 7 days sooner, never before the due date
    ]
    rows = {row.step: row for row in await Message.filter(audience="debtor")}
    assert rows["overdue_1"].context["firm"] is True
    assert rows["overdue_1"].context["days_overdue"] == 2
    assert "firm" not in rows["due_today"].context
    await Dispatcher(runtime).drain()
    sent = {message.text.split(",")[0]: message.text for message in telegram.sent}
    firm = "La preghiamo di considerare questo sollecito con la massima urgenza"
    assert firm in sent["Gentile Rossi S.r.l."]
    assert "scaduta da 2 giorni" in sent["Gentile Rossi S.r.l."]
    assert firm not in sent["Gentile Bianchi S.r.l."]


async def test_a_band_without_discount_gets_a_courtesy_reminder_without_it(
    db: str, settings: Settings
) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    plain = await make_debtor("Bianchi S.r.l.")
    risky = await make_debtor("Rossi S.r.l.")
    await Debtor.filter(id=risky.id).update(risk_band="C")
    for debtor in (plain, risky):
        await make_invoice(debtor, TODAY + dt.timedelta(days=3), 50_000)  # courtesy, with discount
    await plan(runtime, now=NOW)
    rows = {row.debtor_id: row for row in await Message.filter(audience="debtor")}  # type: ignore[attr-defined]
    assert rows[plain.id].context["offer"] == "discount"
    assert next(o["key"] for o in rows[plain.id].options) == "discount"
    assert rows[risky.id].context["offer"] is None
    assert "discount" not in [o["key"] for o in rows[risky.id].options]
    assert "firm" not in rows[risky.id].context


def test_the_flow_context_follows_the_debtors_band(settings: Settings) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    state = {**initial_state(), REMINDER_STEP: "courtesy"}  # answering a discount step
    unscored = Debtor(id=1, name="Bianchi", external_ref="C1", risk_band="")
    band_c = Debtor(id=2, name="Rossi", external_ref="C2", risk_band="C")
    band_d = Debtor(id=3, name="Verdi", external_ref="C3", risk_band="D")
    first = flow_context(runtime, unscored, (), state)
    assert first.discount_offered and first.auto_plans
    second = flow_context(runtime, band_c, (), state)
    assert not second.discount_offered and second.auto_plans
    third = flow_context(runtime, band_d, (), state)
    assert not third.discount_offered and not third.auto_plans


def test_in_a_band_without_auto_plans_even_a_small_plan_goes_to_staff() -> None:
    small = context()  # 1.500,50 €: well under the policy's 3.000 € for staff approval
    chat = Chat(replace(small, auto_plans=False))
    chat.send(option="instalments")
    chat.send(option="plan_2")
    chat.send("sì")
    (effect,) = chat.effects
    assert isinstance(effect, RequestPlan) and effect.needs_staff
    approved = Chat(small)
    approved.send(option="instalments")
    approved.send(option="plan_2")
    approved.send("sì")
    (at_once,) = approved.effects
    assert isinstance(at_once, RequestPlan) and not at_once.needs_staff
    assert json.dumps(effect.total_cents) == json.dumps(at_once.total_cents)
