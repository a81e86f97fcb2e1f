"""Issue 14, items 1-3: what a reminder claims is true, read on the rendered texts.

Only what is due is called overdue; no text claims a reminder the message log does not hold;
a debtor told "no reminders while we review your plan" gets none while the plan waits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from bot.config import Settings
from bot.escalation.claims import load_claim
from bot.formats import money
from bot.models import Channel, Debtor, Message, MessageStatus, PaymentPlan, PlanStatus
from bot.policy import Reminders
from bot.runtime import Runtime
from bot.texts import render
from scheduler.cadence import plan
from scheduler.coverage import SkipReason
from scheduler.dispatch import Dispatcher
from scheduler.outbox_record import DispatchOutcome
from scheduler.steps import next_step
from tests.support.scheduler_data import (
    FrozenClock,
    ScriptedSender,
    add_contact,
    make_debtor,
    make_invoice,
    runtime_with,
    senders,
    sent_reminders,
)

# Wednesday 25 November 2026, 10:00 in Rome.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


async def plan_and_send(runtime: Runtime) -> None:
    await plan(runtime)
    await Dispatcher(runtime).drain()


def with_policy(runtime: Runtime, **reminders: object) -> Runtime:
    policy = runtime.policy.model_copy(update={"reminders": Reminders.model_validate(reminders)})
    return dataclasses.replace(runtime, policy=policy)


def plain(text: str) -> str:
    """The text with no-break spaces as spaces (money formatting may use either)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def total_line(text: str) -> str:
    return next(line for line in plain(text).splitlines() if line.startswith("Totale da pagare"))


# 1. Only what is due is called overdue ---------------------------------------------------------


async def test_overdue_reminder_lists_and_totals_only_invoices_past_due(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor()
    await make_invoice(debtor, ago(10), 100_000, number="FT-SCADUTA")
    await make_invoice(debtor, TODAY, 30_000, number="FT-OGGI")
    await make_invoice(debtor, TODAY + dt.timedelta(days=15), 50_000, number="FT-FUTURA")
    await plan_and_send(runtime)
    [sent] = out[Channel.TELEGRAM].sent
    listed, _, apart = plain(sent.text).partition("In scadenza")
    assert "scaduta da 10 giorni" in listed
    assert "FT-SCADUTA" in listed and "FT-OGGI" not in listed and "FT-FUTURA" not in listed
    assert total_line(sent.text) == "Totale da pagare: 1.000,00 €"
    assert "non comprese nel totale" in apart
    assert "fattura FT-OGGI, scadenza 25 novembre 2026: 300,00 €" in apart
    assert "fattura FT-FUTURA, scadenza 10 dicembre 2026: 500,00 €" in apart


async def test_policy_may_leave_invoices_not_yet_due_out(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = with_policy(runtime_with(settings, clock, out), not_yet_due="omit")
    debtor = await make_debtor()
    await make_invoice(debtor, ago(10), 100_000, number="FT-SCADUTA")
    await make_invoice(debtor, TODAY + dt.timedelta(days=15), 50_000, number="FT-FUTURA")
    await plan_and_send(runtime)
    [sent] = out[Channel.TELEGRAM].sent
    assert "FT-FUTURA" not in sent.text and "In scadenza" not in sent.text
    assert total_line(sent.text) == "Totale da pagare: 1.000,00 €"


async def test_final_notice_never_names_an_invoice_not_yet_due(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor(channels=(Channel.EMAIL,))
    late = await make_invoice(debtor, ago(62), 100_000, number="FT-VECCHIA")
    await make_invoice(debtor, TODAY + dt.timedelta(days=15), 50_000, number="FT-FUTURA")
    steps = ["overdue_1", "overdue_2", "overdue_3"]
    await sent_reminders(debtor, late, steps, NOW - dt.timedelta(days=10))
    await plan_and_send(runtime)
    await approve_the_notice(runtime, debtor)  # a formal step waits for staff (docs/notice.md)
    await plan_and_send(runtime)
    [notice] = out[Channel.EMAIL].sent
    assert "costituzione in mora" in notice.text
    assert "FT-VECCHIA" in notice.text
    assert "FT-FUTURA" not in notice.text and "FT-FUTURA" not in notice.html
    document = pdf_text(notice.attachments[0].content)
    assert "FT-VECCHIA" in document and "FT-FUTURA" not in document
    claim = await load_claim(debtor.id, TODAY, runtime.policy)  # FT-VECCHIA alone, with interest
    assert [line.number for line in claim.lines] == ["FT-VECCHIA"]
    assert f"Totale dovuto: {plain(money(claim.total_cents))}" in document


async def test_english_reminder_keeps_the_not_yet_due_line_apart(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor(language="en", channels=(Channel.EMAIL,))
    await make_invoice(debtor, ago(8), 100_000, number="INV-LATE")
    await make_invoice(debtor, TODAY + dt.timedelta(days=5), 20_000, number="INV-NEXT")
    await plan_and_send(runtime)
    [sent] = out[Channel.EMAIL].sent
    listed, _, apart = plain(sent.text).partition("Falling due, not yet overdue")
    assert "INV-LATE" in listed and "INV-NEXT" not in listed
    assert "Total to pay: €1,000.00" in listed
    assert "invoice INV-NEXT, due 30 November 2026: €200.00" in apart
    assert "INV-NEXT" in sent.html.partition("Falling due, not yet overdue")[2]


# 2. The history a message claims happened -------------------------------------------------------

CLAIMS = {  # what a text says about earlier reminders -> how many it claims
    "precedente sollecito": 1,
    "secondo sollecito": 1,
    "terzo sollecito": 2,
}


def claimed(text: str) -> int:
    lowered = text.lower()
    return max((n for words, n in CLAIMS.items() if words in lowered), default=0)


async def approve_the_notice(runtime: Runtime, debtor: Debtor) -> None:
    from bot.decisions.notices import approve_notice
    from bot.models import FormalNotice, StaffMember

    staff = await StaffMember.get_or_none(telegram_user_id=9) or await StaffMember.create(
        telegram_user_id=9, name="Anna"
    )
    await approve_notice(runtime, await FormalNotice.get(debtor_id=debtor.id), staff)


def pdf_text(content: bytes) -> str:
    from tests.escalation.notice_data import pdf_text as read

    return read(content)


async def sent_log(debtor: Debtor) -> list[Message]:
    return await Message.filter(
        debtor_id=debtor.id, audience="debtor", status=MessageStatus.SENT
    ).order_by("sent_at", "id")


async def test_a_debtor_met_70_days_late_is_walked_through_the_steps_in_order(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor()
    await add_contact(debtor, Channel.EMAIL, priority=5)  # where the formal notice goes
    await make_invoice(debtor, ago(70), 250_000)
    for _ in range(40):  # forty days of planning and sending
        await plan_and_send(runtime)
        clock.advance(days=1)
    assert [m.step for m in await sent_log(debtor)] == ["overdue_1", "overdue_2", "overdue_3"]
    await approve_the_notice(runtime, debtor)  # the formal step went to staff, not out
    await plan_and_send(runtime)
    *log, note = await sent_log(debtor)
    assert [m.step for m in log] == ["overdue_1", "overdue_2", "overdue_3", "final_notice"]
    assert note.template == "notice/sent_note"  # the chat hears only that a letter was sent
    assert claimed(log[0].body) == 0 and "scaduta da 70 giorni" in log[0].body
    gaps = [(b.sent_at - a.sent_at).days for a, b in itertools.pairwise(log)]
    assert all(gap >= runtime.policy.reminders.min_days_between_steps for gap in gaps)
    for earlier, message in enumerate(log):
        assert claimed(message.body) <= earlier, (message.step, message.body)


async def test_no_text_claims_more_reminders_than_the_log_holds(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    """Several debtors at every distance from the due date, some with failures on the way:
    every rendered text is checked against the sent reminders of its debtor before it."""
    flaky = ScriptedSender(Channel.TELEGRAM, script=[RuntimeError("down")] * 3)
    out = senders(telegram=flaky)
    runtime = runtime_with(settings, clock, out)
    debtors = []
    for late in (-3, 0, 6, 9, 22, 46, 61, 90):
        debtor = await make_debtor(f"Cliente {late}")
        await make_invoice(debtor, ago(late), 10_000 + late)
        debtors.append(debtor)
    for _ in range(60):
        await plan_and_send(runtime)
        clock.advance(days=1)
    checked = 0
    for debtor in debtors:
        for earlier, message in enumerate(await sent_log(debtor)):
            assert claimed(message.body) <= earlier, (debtor.name, message.step)
            checked += 1
    assert checked >= len(debtors) * 3


def test_next_step_rules() -> None:
    from pathlib import Path

    from bot.policy import load_policy

    policy = load_policy(Path(__file__).resolve().parents[2] / "policy.toml")
    due = TODAY - dt.timedelta(days=70)
    assert next_step(policy, due, TODAY).name == "overdue_1"  # type: ignore[union-attr]
    week = TODAY - dt.timedelta(days=3)
    gap = next_step(policy, due, TODAY, "overdue_1", week)
    assert gap.reason is SkipReason.STEP_GAP  # type: ignore[union-attr]
    assert next_step(policy, due, TODAY, "overdue_1", ago(7)).name == "overdue_2"  # type: ignore[union-attr]
    done = next_step(policy, due, TODAY, "final_notice", ago(7))
    assert done.reason is SkipReason.FINISHED  # type: ignore[union-attr]
    # Before the due date only the courtesy step; never a courtesy reminder once it is due.
    assert next_step(policy, TODAY + dt.timedelta(days=2), TODAY).name == "courtesy"  # type: ignore[union-attr]
    assert next_step(policy, TODAY, TODAY).name == "due_today"  # type: ignore[union-attr]
    not_yet = next_step(policy, ago(1), TODAY, "due_today", ago(1))
    assert not_yet.reason is SkipReason.NOT_DUE_YET  # type: ignore[union-attr]


# 3. A promise the product makes, it keeps -------------------------------------------------------


async def test_no_reminder_while_a_plan_waits_for_staff(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    out = senders()
    runtime = runtime_with(settings, clock, out)
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, ago(8), 500_000)
    await plan(runtime)  # overdue_1 queued ...
    told = render(
        "flows/plan/sent_to_staff.txt", "it", count=3, total_cents=500_000, currency="EUR"
    )
    assert "non le invieremo solleciti" in told
    await PaymentPlan.create(  # ... then the debtor asks for a plan that staff must approve
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=500_000,
        currency="EUR",
        instalment_count=3,
        first_due_date=TODAY + dt.timedelta(days=5),
        invoice_ids=[invoice.id],
    )
    counts = await Dispatcher(runtime).drain()
    assert counts == {DispatchOutcome.CANCELLED: 1}
    [row] = await Message.filter(debtor_id=debtor.id)
    assert row.status == MessageStatus.CANCELLED and row.last_error == "plan_pending"
    for _ in range(30):  # a month of waiting: planning queues nothing, nothing is sent
        clock.advance(days=1)
        result = await plan(runtime)
        await Dispatcher(runtime).drain()
        assert result.skip_counts == {SkipReason.IN_PLAN: 1}
    assert out[Channel.TELEGRAM].sent == []


def test_claim_counter_reads_the_texts() -> None:
    assert claimed("è il nostro terzo sollecito") == 2
    assert claimed("nonostante il nostro precedente sollecito") == 1
    assert claimed("dai nostri registri risulta") == 0


async def test_several_currencies_are_totalled_apart_and_only_when_past_due(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, ago(9), 100_000)
    dollars = await make_invoice(debtor, ago(8), 20_000)
    dollars.currency = "USD"
    await dollars.save()
    later = await make_invoice(debtor, TODAY + dt.timedelta(days=4), 7_000)
    later.currency = "USD"
    await later.save()
    runtime = runtime_with(settings, clock, senders())
    await plan(runtime)
    [row] = await Message.filter(debtor_id=debtor.id)
    assert row.context["totals"] == {"EUR": 100_000, "USD": 20_000}
    assert row.context["upcoming_totals"] == {"USD": 7_000}
