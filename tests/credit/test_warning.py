"""The early warning's signals, pure, relative to a frozen day."""

from __future__ import annotations

import datetime as dt

from bot.credit.exposure import Exposure
from bot.credit.lateness import Settled
from bot.credit.warning import (
    REFLAG_DAYS,
    Action,
    DebtorFacts,
    DueInstalment,
    Partial,
    Signal,
    SignalKind,
    Warning,
    assess,
    first_broken_promise,
    fresh,
    instalment_late,
    paying_later,
    silence,
    smaller_partials,
    suggest,
)

TODAY = dt.date(2026, 11, 25)
GRACE = 5


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def history(*days_late: int, first_due_ago: int = 400) -> list[Settled]:
    """Monthly invoices, the oldest due `first_due_ago` days ago, paid `days_late` after."""
    rows = []
    for n, late in enumerate(days_late):
        due = ago(first_due_ago - 30 * n)
        rows.append(Settled(1, n + 1, due, due + dt.timedelta(days=late), 10_000))
    return rows


def test_a_steady_payer_shows_nothing() -> None:
    facts = DebtorFacts(1, settled=history(5, 7, 4, 6, 5, 8, 6, 5, 7, 4))
    assert assess(facts, TODAY, GRACE) is None


def test_paying_later_and_later_is_flagged_with_the_figures() -> None:
    facts = DebtorFacts(1, settled=history(5, 4, 6, 5, 18, 24, 33))
    signal = paying_later(facts, TODAY)
    assert signal == Signal(
        SignalKind.PAYING_LATER, {"recent_count": 3, "recent_days": 25, "usual_days": 5}
    )


def test_one_late_invoice_among_punctual_ones_is_not_a_trend() -> None:
    assert paying_later(DebtorFacts(1, settled=history(5, 4, 6, 5, 5, 30, 6)), TODAY) is None


def test_an_open_invoice_counts_once_it_is_later_than_usual() -> None:
    settled = history(5, 4, 6, 5, 12, 16, first_due_ago=220)
    # 12 and 16, and an invoice open 40 days: (12 + 16 + 40) / 3 = 23 > 5 + LATER_BY_DAYS.
    signal = paying_later(DebtorFacts(1, settled=settled, open_overdue=[ago(40)]), TODAY)
    assert signal is not None and signal.figures["recent_days"] == 23
    # The same invoice open only 3 days is no later than usual: it does not count.
    assert paying_later(DebtorFacts(1, settled=settled, open_overdue=[ago(3)]), TODAY) is None


def test_too_little_history_says_nothing() -> None:
    assert paying_later(DebtorFacts(1, settled=history(0, 40, 50)), TODAY) is None


def test_a_smaller_partial_payment_than_the_usual_share() -> None:
    partials = [
        Partial(ago(200), 5_000, 10_000),
        Partial(ago(120), 6_000, 10_000),
        Partial(ago(10), 2_000, 20_000),  # 10% of its invoice, the usual 55%
    ]
    signal = smaller_partials(DebtorFacts(1, partials=partials), TODAY)
    assert signal == Signal(
        SignalKind.SMALLER_PARTIALS, {"last_cents": 2_000, "last_percent": 10, "usual_percent": 55}
    )
    # The same share as usual, even a smaller amount, is not a sign.
    same = [*partials[:2], Partial(ago(10), 2_750, 5_000)]
    assert smaller_partials(DebtorFacts(1, partials=same), TODAY) is None
    # An old small partial payment is no longer news.
    old = [*partials[:2], Partial(ago(45), 2_000, 20_000)]
    assert smaller_partials(DebtorFacts(1, partials=old), TODAY) is None


def test_the_first_broken_promise_only() -> None:
    first = first_broken_promise(DebtorFacts(1, broken_promises=[ago(3)]), TODAY)
    assert first == Signal(SignalKind.FIRST_BROKEN_PROMISE, {"days_ago": 3})
    again = DebtorFacts(1, broken_promises=[ago(3), ago(90)])
    assert first_broken_promise(again, TODAY) is None
    long_ago = DebtorFacts(1, broken_promises=[ago(20)])
    assert first_broken_promise(long_ago, TODAY) is None


def test_silence_after_answering() -> None:
    reminders = [ago(25), ago(18), ago(11), ago(5)]
    used_to = DebtorFacts(1, replies=[ago(100), ago(60)], reminders=reminders)
    assert silence(used_to, TODAY) == Signal(
        SignalKind.SILENCE, {"reminders": 4, "answered_before": 2, "days": 30}
    )
    # Never answered: silence is their habit, not a change.
    assert silence(DebtorFacts(1, replies=[ago(100)], reminders=reminders), TODAY) is None
    # Answered one of them.
    answered = DebtorFacts(1, replies=[ago(100), ago(60), ago(14)], reminders=reminders)
    assert silence(answered, TODAY) is None
    # A reminder sent yesterday has not had its chance to be answered.
    recent = DebtorFacts(1, replies=[ago(100), ago(60)], reminders=[*reminders[:3], ago(1)])
    assert silence(recent, TODAY) is None


def test_a_plan_instalment_late_within_grace() -> None:
    late = DebtorFacts(1, instalments=[DueInstalment(ago(3), 50_000, 10_000)])
    assert instalment_late(late, TODAY, GRACE) == Signal(
        SignalKind.INSTALMENT_LATE, {"days_late": 3, "grace_days": 5, "amount_cents": 40_000}
    )
    # A day late (a transfer on its way), or past the grace (the plan lapses): not this signal.
    for days in (1, 6):
        facts = DebtorFacts(1, instalments=[DueInstalment(ago(days), 50_000)])
        assert instalment_late(facts, TODAY, GRACE) is None


def test_the_suggested_action() -> None:
    later = Signal(SignalKind.PAYING_LATER, {})
    silent = Signal(SignalKind.SILENCE, {})
    broken = Signal(SignalKind.FIRST_BROKEN_PROMISE, {})
    overdue = DebtorFacts(1, exposure=Exposure(overdue_cents=10_000))
    assert suggest([silent], overdue) is Action.CALL
    assert suggest([later], overdue) is Action.OFFER_PLAN
    assert suggest([later], DebtorFacts(1)) is Action.CALL  # nothing overdue to plan
    assert suggest([later, silent, broken], overdue) is Action.STOP_CREDIT
    over_limit = DebtorFacts(1, exposure=Exposure(overdue_cents=10_000), credit_limit_cents=5_000)
    assert suggest([silent], over_limit) is Action.STOP_CREDIT


def test_a_debtor_is_not_flagged_again_for_the_same_signal_within_a_week() -> None:
    later = Signal(SignalKind.PAYING_LATER, {})
    silent = Signal(SignalKind.SILENCE, {})
    warning = Warning(1, (later, silent), Action.OFFER_PLAN)
    flagged = {(1, SignalKind.PAYING_LATER): ago(REFLAG_DAYS - 1)}
    assert fresh([warning], flagged, TODAY) == [Warning(1, (silent,), Action.OFFER_PLAN)]
    assert fresh([warning], {**flagged, (1, SignalKind.SILENCE): ago(2)}, TODAY) == []
    week = {(1, SignalKind.PAYING_LATER): ago(REFLAG_DAYS), (1, SignalKind.SILENCE): ago(30)}
    assert fresh([warning], week, TODAY) == [warning]
