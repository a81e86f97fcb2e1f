"""Cadence planning: one consolidated reminder per debtor, every skip rule, idempotency."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.config import Settings
from bot.models import (
    Channel,
    Dispute,
    DisputeReason,
    DisputeStatus,
    InvoiceStatus,
    Message,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.texts import render
from scheduler.cadence import PlanResult, Skip, plan
from scheduler.coverage import SkipReason
from tests.support.scheduler_data import (
    FrozenClock,
    add_contact,
    make_debtor,
    make_invoice,
    make_runtime,
    sent_reminders,
)

# Wednesday 25 November 2026, 10:00 in Rome.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)


def days(n: int) -> dt.date:
    """A due date `n` days before today (negative: in the future)."""
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def skip_of(result: PlanResult, debtor_id: int) -> Skip:
    return next(s for s in result.skipped if s.debtor_id == debtor_id)


async def reminders() -> list[Message]:
    return await Message.filter(audience="debtor").order_by("id")


async def test_one_consolidated_reminder_lists_every_overdue_invoice(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    oldest = await make_invoice(debtor, days(10), 12_345)
    await make_invoice(debtor, days(2), 50_000)
    later = await make_invoice(debtor, days(-5), 1_000)  # not due yet: apart, outside the total
    await make_invoice(debtor, days(40), 9_999, status=InvoiceStatus.PAID, paid_cents=9_999)
    await make_invoice(debtor, days(40), 7_777, status=InvoiceStatus.CANCELLED)
    await make_invoice(debtor, days(40), 5_555, status=InvoiceStatus.WRITTEN_OFF)
    await make_invoice(
        debtor, days(3), 20_000, status=InvoiceStatus.PARTIALLY_PAID, paid_cents=5_000
    )

    result = await plan(make_runtime(settings, clock))

    assert result.queued_count == 1
    [row] = await reminders()
    assert row.step == "overdue_1"  # 10 days after the most overdue invoice's due date
    assert row.template == "overdue_1"
    assert row.context["days_overdue"] == 10
    assert row.context["cycle"] == f"invoice:{oldest.id}"
    assert row.idempotency_key == f"cadence:{debtor.id}:overdue_1:{oldest.id}"
    listed = [inv["balance_cents"] for inv in row.context["invoices"]]
    assert listed == [12_345, 15_000, 50_000]  # by due date; paid/cancelled/written-off out
    assert row.context["totals"] == {"EUR": 77_345}
    assert [inv["id"] for inv in row.context["upcoming"]] == [later.id]
    assert row.context["upcoming_totals"] == {"EUR": 1_000}
    assert row.status == "pending"
    assert row.scheduled_at == NOW  # inside the contact window already
    assert row.options[0]["key"] == "instalments"  # overdue_1 offers a plan
    assert {o["key"] for o in row.options} >= {"pay_now", "promise", "dispute", "talk_to_person"}


async def test_courtesy_reminder_before_the_due_date(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(-3))
    result = await plan(make_runtime(settings, clock))
    assert [r.step.name for r in result.queued] == ["courtesy"]
    [row] = await reminders()
    assert row.context["courtesy"] is True
    assert row.options[0]["key"] == "discount"  # the courtesy step offers the discount


async def test_not_due_yet(db: str, settings: Settings, clock: FrozenClock) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(-20))
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, debtor.id).reason is SkipReason.NOT_DUE_YET
    assert await reminders() == []


async def test_days_are_counted_in_the_company_time_zone(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, dt.date(2026, 11, 26))
    # 23:30 UTC on the 25th is already 00:30 on the 26th in Rome: the due date is today.
    clock.now = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC)
    result = await plan(make_runtime(settings, clock))
    assert [r.step.name for r in result.queued] == ["due_today"]
    [row] = await reminders()
    # Planned at night: held until the debtor's window opens (Thursday 09:00 CET).
    assert row.scheduled_at == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", [InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED])
async def test_invoices_in_plan_or_disputed_by_status_are_skipped(
    db: str, settings: Settings, clock: FrozenClock, status: InvoiceStatus
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(30), status=status)
    result = await plan(make_runtime(settings, clock))
    expected = SkipReason.IN_PLAN if status is InvoiceStatus.IN_PLAN else SkipReason.DISPUTED
    assert skip_of(result, debtor.id).reason is expected
    assert await reminders() == []


async def test_active_plan_covers_its_invoices_only(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    in_plan = await make_invoice(debtor, days(30))
    other = await make_invoice(debtor, days(8))
    await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=10_000,
        instalment_count=2,
        first_due_date=TODAY,
        invoice_ids=[in_plan.id],
    )
    # A plan that is only proposed pauses nothing.
    await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PROPOSED,
        total_cents=10_000,
        instalment_count=2,
        first_due_date=TODAY,
        invoice_ids=[other.id],
    )
    await plan(make_runtime(settings, clock))
    [row] = await reminders()
    assert [i["id"] for i in row.context["invoices"]] == [other.id]
    assert row.step == "overdue_1"  # counted from the chased invoice, 8 days


async def test_plan_covering_everything_skips_the_debtor(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, days(30))
    await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=10_000,
        instalment_count=2,
        first_due_date=TODAY,
        invoice_ids=[invoice.id],
    )
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, debtor.id).reason is SkipReason.IN_PLAN


async def test_open_dispute_skips_its_invoice_and_resolved_does_not(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    disputed = await make_invoice(debtor, days(30))
    resolved = await make_invoice(debtor, days(25))
    await Dispute.create(debtor=debtor, invoice=disputed, reason=DisputeReason.WRONG_AMOUNT)
    await Dispute.create(
        debtor=debtor,
        invoice=resolved,
        reason=DisputeReason.OTHER,
        status=DisputeStatus.RESOLVED,
    )
    await plan(make_runtime(settings, clock))
    [row] = await reminders()
    assert [i["id"] for i in row.context["invoices"]] == [resolved.id]


async def test_dispute_without_invoice_covers_the_debtor(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(30))
    await Dispute.create(debtor=debtor, reason=DisputeReason.NOT_MINE)
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, debtor.id).reason is SkipReason.DISPUTED


async def test_pending_promise_covers_until_its_date_has_passed(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, days(30))
    await PromiseToPay.create(debtor=debtor, promised_date=TODAY, invoice_ids=[invoice.id])
    runtime = make_runtime(settings, clock)

    result = await plan(runtime)
    assert skip_of(result, debtor.id).reason is SkipReason.PROMISED  # the date is today

    clock.advance(days=1)
    result = await plan(runtime)
    assert result.queued_count == 1  # the date has passed: chased again


async def test_promise_on_the_whole_balance_and_kept_promises(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    promised = await make_debtor("Promised")
    await make_invoice(promised, days(30))
    await PromiseToPay.create(debtor=promised, promised_date=days(-5), invoice_ids=[])
    kept = await make_debtor("Kept earlier")
    await make_invoice(kept, days(30))
    await PromiseToPay.create(
        debtor=kept, promised_date=days(-5), invoice_ids=[], status=PromiseStatus.KEPT
    )
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, promised.id).reason is SkipReason.PROMISED
    assert [r.debtor_id for r in result.queued] == [kept.id]


async def test_mixed_cover_is_reported_as_covered(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(30), status=InvoiceStatus.DISPUTED)
    await make_invoice(debtor, days(20), status=InvoiceStatus.IN_PLAN)
    result = await plan(make_runtime(settings, clock))
    skip = skip_of(result, debtor.id)
    assert skip.reason is SkipReason.COVERED
    assert skip.detail == "disputed, in_plan"


async def test_contact_rules(db: str, settings: Settings, clock: FrozenClock) -> None:
    none = await make_debtor("No contact", channels=())
    opted = await make_debtor("Opted out", channels=())
    await add_contact(opted, Channel.SMS, opted_out=True)
    await add_contact(opted, Channel.EMAIL, opted_out=True)
    dead = await make_debtor("Unreachable", channels=())
    await add_contact(dead, Channel.TELEGRAM, unreachable=True)
    await add_contact(dead, Channel.SMS, opted_out=True)
    partly = await make_debtor("Opted out of SMS only", channels=())
    await add_contact(partly, Channel.SMS, opted_out=True)
    await add_contact(partly, Channel.EMAIL, priority=1)
    for debtor in (none, opted, dead, partly):
        await make_invoice(debtor, days(10))

    result = await plan(make_runtime(settings, clock))

    assert skip_of(result, none.id).reason is SkipReason.NO_CONTACT
    assert skip_of(result, opted.id).reason is SkipReason.OPTED_OUT
    assert skip_of(result, dead.id).reason is SkipReason.UNREACHABLE
    [queued] = result.queued
    assert queued.debtor_id == partly.id
    assert [c.channel for c in queued.route] == [Channel.EMAIL]


async def test_paused_debtors_are_skipped_until_the_pause_ends(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    paused = await make_debtor("Paused", paused_until=NOW + dt.timedelta(days=2))
    was_paused = await make_debtor("Was paused", paused_until=NOW - dt.timedelta(days=1))
    await make_invoice(paused, days(10))
    await make_invoice(was_paused, days(10))
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, paused.id).reason is SkipReason.PAUSED
    assert [r.debtor_id for r in result.queued] == [was_paused.id]


async def test_escalation_step_raises_a_staff_alert(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor("Late Payer")
    late = await make_invoice(debtor, days(50), 100_000)
    await sent_reminders(debtor, late, ["overdue_1", "overdue_2"], NOW - dt.timedelta(days=20))
    runtime = make_runtime(settings, clock)
    result = await plan(runtime)
    assert result.alerts_queued == 1
    [alert] = await Message.filter(audience="staff")
    assert alert.template == "staff/escalation.txt"
    assert alert.channel == Channel.TELEGRAM
    assert alert.context["debtor_name"] == "Late Payer"
    assert alert.context["step"] == "overdue_3"
    # Re-planning raises no second alert.
    again = await plan(runtime)
    assert again.alerts_queued == 0
    assert await Message.filter(audience="staff").count() == 1


async def test_rerun_is_idempotent_and_the_next_step_follows(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(7))
    runtime = make_runtime(settings, clock)
    assert (await plan(runtime)).queued_count == 1
    again = await plan(runtime)
    assert again.queued_count == 0
    assert skip_of(again, debtor.id).reason is SkipReason.ALREADY_QUEUED
    assert await Message.all().count() == 1

    clock.advance(days=14)  # day 21: overdue_2's day, but overdue_1 was never sent
    assert (await plan(runtime)).queued == []
    await Message.filter(step="overdue_1").update(status="sent", sent_at=NOW)
    assert [r.step.name for r in (await plan(runtime)).queued] == ["overdue_2"]
    assert [m.step for m in await reminders()] == ["overdue_1", "overdue_2"]


async def test_a_new_cycle_after_the_debtor_paid(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    first = await make_invoice(debtor, days(7))
    runtime = make_runtime(settings, clock)
    await plan(runtime)
    first.status = InvoiceStatus.PAID
    first.paid_cents = first.amount_cents
    await first.save()
    # Weeks later a new invoice falls behind: the debtor is chased again from overdue_1.
    clock.advance(days=40)
    second = await make_invoice(debtor, TODAY + dt.timedelta(days=33))
    result = await plan(runtime)
    assert [r.step.name for r in result.queued] == ["overdue_1"]
    keys = [m.idempotency_key for m in await reminders()]
    assert keys == [
        f"cadence:{debtor.id}:overdue_1:{first.id}",
        f"cadence:{debtor.id}:overdue_1:{second.id}",
    ]


async def test_two_planners_racing_make_no_duplicate(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtors = [await make_debtor(f"Debtor {i}") for i in range(30)]
    for i, debtor in enumerate(debtors):
        await make_invoice(debtor, days(1 + i * 2))
    runtime = make_runtime(settings, clock)
    first, second = await asyncio.gather(
        plan(runtime, chunk_debtors=7), plan(runtime, chunk_debtors=5)
    )
    assert first.queued_count + second.queued_count == 30
    rows = await reminders()
    assert len(rows) == 30
    assert len({r.debtor_id for r in rows}) == 30


async def test_dry_run_writes_nothing_and_reports(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, days(7))
    paused = await make_debtor("Paused", paused_until=NOW + dt.timedelta(days=1))
    await make_invoice(paused, days(7))
    result = await plan(make_runtime(settings, clock), dry_run=True)
    assert result.queued_count == 1
    assert result.skip_counts[SkipReason.PAUSED] == 1
    assert await Message.all().count() == 0
    assert result.summary()["queued"] == 1


async def test_formal_step_routes_to_pec_first(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor(channels=(Channel.TELEGRAM,))
    await add_contact(debtor, Channel.EMAIL, priority=5)
    pec = await add_contact(debtor, Channel.EMAIL, priority=6, is_pec=True)
    late = await make_invoice(debtor, days(61))
    steps = ["overdue_1", "overdue_2", "overdue_3"]
    await sent_reminders(debtor, late, steps, NOW - dt.timedelta(days=10))
    result = await plan(make_runtime(settings, clock))
    [reminder] = result.queued
    assert reminder.step.name == "final_notice"
    assert reminder.route[0].id == pec.id
    # Then the policy's order for final_notice (email, telegram, ...), whatever the priorities.
    assert [c.channel for c in reminder.route[1:]] == [Channel.EMAIL, Channel.TELEGRAM]


async def test_preview_lists_what_goes_out_and_who_is_skipped_without_writing(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    from scheduler.preview import build_preview, render_preview

    runtime = make_runtime(settings, clock)
    due = await make_debtor("Bar Sport", channels=(Channel.SMS, Channel.EMAIL))
    await make_invoice(due, days(8), 123_456)
    paused = await make_debtor("Pausa S.p.A.", paused_until=NOW + dt.timedelta(days=3))
    await make_invoice(paused, days(8))
    gone = await make_debtor("Silenzio S.r.l.", channels=())
    await add_contact(gone, Channel.EMAIL, opted_out=True)
    await make_invoice(gone, days(8))
    promised = await make_debtor("Promessa Srl")
    await make_invoice(promised, days(30))
    await PromiseToPay.create(debtor=promised, promised_date=days(-10))

    preview = await build_preview(runtime, dt.date(2026, 11, 27))
    text = render_preview(preview, runtime)

    assert await Message.all().count() == 0
    assert "Preview for Friday 27 November 2026" in text
    assert f"Bar Sport (#{due.id})  overdue_1  sms +39333" in text
    assert "(then email)" in text and "€1,234.56" in text
    assert f"Pausa S.p.A. (#{paused.id}): paused by staff" in text
    assert f"Silenzio S.r.l. (#{gone.id}): opted out on every channel" in text
    assert f"Promessa Srl (#{promised.id}): covered by a pending promise to pay" in text
    assert "Nothing was written." in text


async def test_preview_on_a_holiday_says_so(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    from scheduler.preview import build_preview, render_preview

    runtime = make_runtime(settings, clock)
    text = render_preview(await build_preview(runtime, dt.date(2026, 12, 8)), runtime)
    assert "Not a business day" in text


def test_preview_command_refuses_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from bot.__main__ import build_parser
    from bot.cli.operations import cmd_preview

    args = build_parser().parse_args(["preview", "--date", "31/12/2026"])
    assert args.func is cmd_preview
    code = asyncio.run(cmd_preview(None, argparse.Namespace(date="31/12/2026")))  # type: ignore[arg-type]
    assert code == 2
    assert "is not a date like 2026-12-01" in capsys.readouterr().err


async def test_many_escalations_in_one_run_become_one_summary_alert(
    db: str, settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scheduler import cadence

    monkeypatch.setattr(cadence, "ESCALATION_ALERTS_PER_RUN", 2)
    for i in range(5):
        debtor = await make_debtor(f"Moroso {i}")
        late = await make_invoice(debtor, days(50), 10_000 * (i + 1))
        await sent_reminders(debtor, late, ["overdue_1", "overdue_2"], NOW - dt.timedelta(days=9))
    runtime = make_runtime(settings, clock)
    result = await plan(runtime, chunk_debtors=2)
    assert result.queued_count == 5
    alerts = await Message.filter(audience="staff").order_by("id")
    assert [a.template for a in alerts] == [
        "staff/escalation.txt",
        "staff/escalation.txt",
        "staff/escalation_summary.txt",
    ]
    summary = alerts[-1].context
    assert summary["count"] == 3 and summary["by_step"] == {"overdue_3": 3}
    assert [t["cents"] for t in summary["top"]] == [50_000, 40_000, 30_000]
    assert "3 more debtors" in render("staff/escalation_summary.txt", "en", **summary)
    assert "Moroso 4 (#" in render("staff/escalation_summary.txt", "it", **summary)
    again = await plan(runtime)
    assert again.alerts_queued == 0  # nothing new escalated


async def test_preview_explains_every_skip_reason() -> None:
    from scheduler.preview import WHY

    assert set(WHY) == set(SkipReason)


async def test_a_plan_waiting_for_staff_covers_its_invoices_in_planning(
    db: str, settings: Settings, clock: FrozenClock
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, days(21), 400_000)
    await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=400_000,
        instalment_count=2,
        first_due_date=TODAY + dt.timedelta(days=3),
        invoice_ids=[invoice.id],
    )
    result = await plan(make_runtime(settings, clock))
    assert skip_of(result, debtor.id).reason is SkipReason.IN_PLAN
    assert await reminders() == []
