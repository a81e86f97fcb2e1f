"""The early-warning job: the facts from the database, one staff message through the Telegram Bot
API (the fake, with the real sender), no repeat within a week, business days only."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.config import Settings
from bot.credit.warning import REFLAG_DAYS, SignalKind
from bot.credit.warning_data import load_warning_facts
from bot.models import (
    AuditEvent,
    Channel,
    Debtor,
    Direction,
    Instalment,
    Message,
    MessageStatus,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from bot.runtime import Runtime
from bot.texts import render
from scheduler.dispatch import Dispatcher
from scheduler.early_warning import AUDIT_ACTION, early_warning
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

NOW = dt.datetime(2026, 11, 25, 7, 35, tzinfo=dt.UTC)  # Wednesday, 08:35 in Rome
TODAY = dt.date(2026, 11, 25)
STAFF_CHAT = -100777
TOKEN = "123456:WARNING-token"


@dataclass
class Stack:
    runtime: Runtime
    clock: FrozenClock
    fake: FakeTelegram

    async def send_all(self) -> list[str]:
        await Dispatcher(self.runtime).drain()
        return self.fake.texts_to(STAFF_CHAT)


@pytest.fixture
async def stack(db: str, settings: Settings) -> AsyncIterator[Stack]:
    from bot.providers.telegram.sender import TelegramSender

    fake = await FakeTelegram(TOKEN).start()
    live = settings.model_copy(
        update={"telegram_bot_token": TOKEN, "telegram_api_base_url": fake.base_url}
    )
    clock = FrozenClock(NOW)
    runtime = make_runtime(
        live,
        clock,
        {Channel.TELEGRAM: TelegramSender.from_settings(live)},
        telegram_staff_chat_id=STAFF_CHAT,
    )
    try:
        yield Stack(runtime, clock, fake)
    finally:
        await runtime.close()
        await fake.stop()


async def paid_history(settings: Settings, debtor: Debtor, days_late: list[int]) -> None:
    """Monthly invoices of 1.000,00 €, the last due 40 days ago, each paid in full `days_late`
    after its due date (a bank transfer allocated by the real rule)."""
    first_due = TODAY - dt.timedelta(days=40 + 30 * (len(days_late) - 1))
    for n, late in enumerate(days_late):
        due = first_due + dt.timedelta(days=30 * n)
        await make_invoice(debtor, due, 100_000)
        paid = dt.datetime.combine(due + dt.timedelta(days=late), dt.time(10), dt.UTC)
        await record_payment(
            settings,
            paid,
            debtor_id=debtor.id,
            amount_cents=100_000,
            currency="EUR",
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=f"bank-{debtor.id}-{n}",
            received_at=paid,
        )


async def a_bad_and_a_good_payer(settings: Settings) -> tuple[Debtor, Debtor]:
    worse = await make_debtor("Edilizia Declino S.r.l.")
    steady = await make_debtor("Puntuale S.p.A.")
    await paid_history(settings, worse, [5, 4, 6, 5, 18, 24, 33])
    await paid_history(settings, steady, [5, 4, 6, 5, 7, 4, 6])
    await make_invoice(worse, TODAY - dt.timedelta(days=10), 250_000)  # overdue now
    await Message.all().delete()  # the receipts the payments queued are not this test's
    return worse, steady


async def test_a_deteriorating_debtor_is_flagged_in_one_staff_message(
    stack: Stack, settings: Settings
) -> None:
    worse, _ = await a_bad_and_a_good_payer(settings)
    flagged = await early_warning(stack.runtime)
    assert flagged is not None and [w.debtor_id for w in flagged] == [worse.id]
    [text] = await stack.send_all()
    assert "Segnali di peggioramento, 25 novembre 2026: 1 debitore da seguire" in text
    assert f"Edilizia Declino S.r.l. ({worse.external_ref})" in text
    # 18, 24 and 33 days late, after 5 4 6 5 (median 5).
    assert "le ultime 3 fatture in media con 25 giorni di ritardo, di solito 5." in text
    # Paying later with 2.500,00 € overdue: the money is the trouble.
    assert "Azione consigliata: proporre un piano di rientro." in text
    assert "Puntuale" not in text
    [event] = await AuditEvent.filter(action=AUDIT_ACTION)
    assert event.subject == f"debtor:{worse.id}"
    assert event.data["signal"] == "paying_later" and event.data["day"] == "2026-11-25"


async def test_no_repeat_within_a_week_then_again(stack: Stack, settings: Settings) -> None:
    await a_bad_and_a_good_payer(settings)
    assert await early_warning(stack.runtime)
    assert await early_warning(stack.runtime) is None  # today's message is queued already
    stack.clock.now = NOW + dt.timedelta(days=1)  # Thursday: the same signal, not news
    assert await early_warning(stack.runtime) == []
    stack.clock.now = NOW + dt.timedelta(days=REFLAG_DAYS)  # a week on, still worse: again
    flagged = await early_warning(stack.runtime)
    assert flagged and flagged[0].signals[0].kind is SignalKind.PAYING_LATER
    assert len(await stack.send_all()) == 2
    assert await AuditEvent.filter(action=AUDIT_ACTION).count() == 2


async def test_business_days_only_and_nothing_when_nobody_is_flagged(
    stack: Stack, settings: Settings
) -> None:
    await a_bad_and_a_good_payer(settings)
    stack.clock.now = dt.datetime(2026, 11, 28, 7, 35, tzinfo=dt.UTC)  # Saturday
    assert await early_warning(stack.runtime) is None
    stack.clock.now = dt.datetime(2026, 12, 8, 7, 35, tzinfo=dt.UTC)  # Immacolata, a Tuesday
    assert await early_warning(stack.runtime) is None
    assert await Message.all().count() == 0
    assert await AuditEvent.filter(action=AUDIT_ACTION).count() == 0
    await Debtor.filter(name__startswith="Edilizia").update(erased_at=NOW)  # nobody left to flag
    stack.clock.now = NOW
    assert await early_warning(stack.runtime) == []
    assert await stack.send_all() == []


async def test_promise_silence_and_several_signals_stop_credit(
    stack: Stack, settings: Settings
) -> None:
    """A first broken promise, silence after answering and later payments: stop credit."""
    worse, _ = await a_bad_and_a_good_payer(settings)
    await PromiseToPay.create(
        debtor=worse, promised_date=TODAY - dt.timedelta(days=4), status=PromiseStatus.BROKEN
    )
    for days in (120, 80):
        stack.clock.now = NOW - dt.timedelta(days=days)
        await Message.create(
            debtor=worse, direction=Direction.INBOUND, status=MessageStatus.HANDLED, body="ok"
        )
    stack.clock.now = NOW
    for n, days in enumerate((26, 18, 11, 4)):
        await Message.create(
            debtor=worse,
            direction=Direction.OUTBOUND,
            step="overdue_1",
            status=MessageStatus.SENT,
            sent_at=NOW - dt.timedelta(days=days),
            idempotency_key=f"test-reminder-{n}",
        )
    [warning] = await early_warning(stack.runtime) or []
    assert {s.kind for s in warning.signals} == {
        SignalKind.PAYING_LATER,
        SignalKind.FIRST_BROKEN_PROMISE,
        SignalKind.SILENCE,
    }
    [text] = await stack.send_all()
    assert (
        "Prima promessa di pagamento non mantenuta: la data promessa è passata da 4 giorni." in text
    )
    assert "nessuna risposta a 4 solleciti negli ultimi 30 giorni, dopo 2 risposte" in text
    assert "Azione consigliata: sospendere il fido." in text


async def test_partial_payments_and_a_late_instalment_are_read_from_the_tables(
    stack: Stack, settings: Settings
) -> None:
    debtor = await make_debtor("Acconti S.n.c.")
    for n, (cents, days) in enumerate(((50_000, 200), (60_000, 120), (10_000, 10))):
        invoice = await make_invoice(debtor, TODAY - dt.timedelta(days=days + 5), 100_000)
        at = NOW - dt.timedelta(days=days)
        await record_payment(
            settings,
            at,
            debtor_id=debtor.id,
            amount_cents=cents,
            currency="EUR",
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=f"part-{n}",
            received_at=at,
            target=PaymentTarget(invoice_ids=(invoice.id,)),
        )
    in_plan = await make_invoice(debtor, TODAY - dt.timedelta(days=60), 90_000)
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.ACTIVE,
        total_cents=90_000,
        instalment_count=2,
        first_due_date=TODAY - dt.timedelta(days=3),
        invoice_ids=[in_plan.id],
    )
    for seq in (1, 2):
        due = TODAY - dt.timedelta(days=3) + dt.timedelta(days=30 * (seq - 1))
        await Instalment.create(plan=plan, seq=seq, due_date=due, amount_cents=45_000)
    facts, _ = await load_warning_facts(stack.runtime.settings.zone, TODAY)
    [mine] = [f for f in facts if f.debtor_id == debtor.id]
    amounts = [p.amount_cents for p in sorted(mine.partials, key=lambda p: p.day)]
    assert amounts == [50_000, 60_000, 10_000]
    assert [i.due for i in mine.instalments] == [TODAY - dt.timedelta(days=3)]
    [warning] = await early_warning(stack.runtime) or []
    kinds = {s.kind for s in warning.signals}
    assert kinds == {SignalKind.SMALLER_PARTIALS, SignalKind.INSTALMENT_LATE}
    await Message.filter(template="receipt").delete()
    texts = await stack.send_all()
    [text] = [t for t in texts if "Segnali di peggioramento" in t]
    assert (
        "l'ultimo, di 100,00\xa0€, copre il 10% della fattura; i precedenti in media il 55%" in text
    )
    assert "Rata del piano di rientro in ritardo di 3 giorni (450,00\xa0€)" in text
    assert "entro i 5 giorni di tolleranza" in text


def test_the_english_text_says_what_the_figures_say() -> None:
    context = {
        "digest_date": "2026-11-25",
        "currency": "EUR",
        "flagged": [
            {
                "name": "Decline Ltd",
                "ref": "C9",
                "action": "call",
                "signals": [
                    {"kind": "smaller_partials", "last_cents": 12_345, "last_percent": 10}
                    | {"usual_percent": 55},
                    {"kind": "instalment_late", "days_late": 1, "grace_days": 5}
                    | {"amount_cents": 40_000},
                ],
            }
        ],
    }
    text = render("staff/early_warning.txt", "en", **context)
    assert "Early warning, 25 November 2026: 1 debtor to follow up" in text
    assert "the last one, €123.45, covers 10% of its invoice; the earlier ones 55%" in text
    assert "Plan instalment 1 day late (€400.00), still within the 5 days' grace." in text
    assert "Suggested action: call them." in text


def test_one_invoice_is_not_an_average() -> None:
    signals = [{"kind": "paying_later", "recent_count": 1, "recent_days": 1, "usual_days": 0}]
    flagged = [{"name": "Uno S.r.l.", "ref": "C1", "action": "call", "signals": signals}]
    context = {"digest_date": "2026-11-25", "currency": "EUR", "flagged": flagged}
    italian = render("staff/early_warning.txt", "it", **context)
    assert "l'ultima fattura con 1 giorno di ritardo, di solito 0." in italian
    assert "in media" not in italian and "Azione consigliata: telefonare." in italian
    english = render("staff/early_warning.txt", "en", **context)
    assert "the last invoice 1 day late, usually 0." in english
    assert "on average" not in english
