"""Credit alerts in the staff chat, end to end: an import takes a debtor over the limit, a debtor
moves into a worse band, a controller asks /credit REF. The alerts go through the outbox and the
real Telegram sender to the fake Bot API (tests/providers/telegram/fake_telegram.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.credit.alerts import check_credit, credit_scope, rescore_all
from bot.importers import run_import
from bot.models import (
    Debtor,
    Message,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    StaffMember,
    StaffRole,
)
from bot.runtime import Runtime
from bot.web import create_app
from scheduler.dispatch import Dispatcher
from tests.decisions.test_staff_chat import post, staff_says, staff_texts
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import fake_telegram, live_runtime, telegram_settings
from tests.support.live_server import serve

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
ANNA = 501


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[Runtime]:
    staff_settings = telegram_settings(settings, fake, default_language="it")
    async with live_runtime(staff_settings, NOW) as runtime:
        yield runtime


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


async def import_files(runtime: Runtime, debtors: Path | None, invoices: Path | None):  # type: ignore[no-untyped-def]
    return await run_import(
        debtors=debtors,
        invoices=invoices,
        dry_run=False,
        default_language="it",
        default_timezone="Europe/Rome",
        payment_terms_days=30,
        credit=credit_scope(runtime.settings, runtime.policy, runtime.now()),
    )


async def test_an_import_that_takes_a_debtor_over_the_limit_alerts_staff_with_the_figures(
    runtime: Runtime, fake: FakeTelegram, tmp_path: Path
) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name,credit_limit\nC001,Rossi S.r.l.,5000\n")
    first = write(
        tmp_path / "i1.csv",
        "number,debtor_ref,issue_date,due_date,amount\n"
        "F-1,C001,2026-10-01,2026-10-31,4000.00\n",  # overdue on 23 November
    )
    report = await import_files(runtime, debtors, first)
    assert report.ok and report.credit_notes == []  # 4.000 of 5.000: within the limit
    assert await Message.filter(template="staff/credit_alert.txt").count() == 0

    second = write(
        tmp_path / "i2.csv",
        "number,debtor_ref,issue_date,due_date,amount\n"
        "F-1,C001,2026-10-01,2026-10-31,4000.00\n"
        "F-2,C001,2026-11-20,2026-12-20,1500.50\n",  # a new invoice, not yet due
    )
    report = await import_files(runtime, None, second)
    assert report.credit_notes == ["over the credit limit: Rossi S.r.l. (C001)"]
    assert "staff alerted, over the credit limit: Rossi S.r.l. (C001)" in report.render()
    await Dispatcher(runtime).drain()
    [alert] = staff_texts(fake)
    assert alert.startswith(
        "⚠️ Fido superato: l'esposizione di 5.500,50 € supera il fido di 5.000,00 € di 500,50 €"
    )
    assert (
        "Esposizione: 5.500,50 € su 2 fatture (4.000,00 € scaduti, 1.500,50 € non ancora scaduti)"
        in alert
    )
    assert "Fido: 5.000,00 €, superato di 500,50 €" in alert
    assert "Rischio: 25/100, fascia B" in alert
    assert "- nessuno storico: punteggio neutro (+25)" in alert
    assert "/credit C001" in alert

    # The same file again changes nothing and alerts no one.
    report = await import_files(runtime, None, second)
    assert report.credit_notes == []
    assert await Message.filter(template="staff/credit_alert.txt").count() == 1


async def test_a_worse_band_alerts_staff_a_first_scoring_does_not(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    debtor = await Debtor.create(external_ref="C002", name="Bianchi Bar", risk_band="A")
    fresh = await Debtor.create(external_ref="C003", name="Verdi Snc")
    for _ in range(2):
        await PaymentPlan.create(
            debtor=debtor,
            status=PlanStatus.BROKEN,
            total_cents=100_000,
            instalment_count=2,
            first_due_date=NOW.date(),
        )
        await PaymentPlan.create(
            debtor=fresh,
            status=PlanStatus.BROKEN,
            total_cents=100_000,
            instalment_count=2,
            first_due_date=NOW.date(),
        )
    for _ in range(3):
        await PromiseToPay.create(
            debtor=debtor, promised_date=NOW.date(), status=PromiseStatus.BROKEN
        )
    scope = credit_scope(runtime.settings, runtime.policy, runtime.now())
    check = await rescore_all(scope)
    assert check.scored == 2
    assert [card.external_ref for card in check.worse] == ["C002"]
    assert check.alerts == 1
    stored = {d.external_ref: d for d in await Debtor.all()}
    assert stored["C002"].risk_band == "C"  # 25 + 2 x 8 + 3 x 5 = 56
    assert stored["C003"].risk_band == "B"  # 25 + 16 = 41, first scoring: no alert
    assert stored["C003"].risk_scored_at == NOW

    await Dispatcher(runtime).drain()
    [alert] = staff_texts(fake)
    assert alert.startswith("⚠️ Rischio in peggioramento: dalla fascia A alla fascia C")
    assert "Rischio: 56/100, fascia C" in alert
    assert "- 2 piani di rientro decaduti (+16)" in alert
    assert "- 3 promesse di pagamento non mantenute (+15)" in alert
    assert "Fido: non impostato" in alert
    assert "Nella fascia C: solleciti 3 giorni prima; nessuno sconto." in alert

    # Scored again the same day: the band is the same, nothing new.
    again = await check_credit(scope, [debtor.id, fresh.id])
    assert again.worse == [] and again.alerts == 0


async def test_staff_ask_for_a_debtors_credit_card(
    runtime: Runtime, fake: FakeTelegram, db: str
) -> None:
    await StaffMember.create(telegram_user_id=ANNA, name="Anna", role=StaffRole.ADMIN)
    await Debtor.create(external_ref="C004", name="Neri S.p.A.", credit_limit_cents=1_000_000)
    async with serve(create_app(runtime)) as url:
        await post(url, staff_says(ANNA, "/credit C004"))
        await post(url, staff_says(ANNA, "/credit"))
    card, usage = staff_texts(fake)
    assert card.startswith("📊 Neri S.p.A. (C004)")
    assert "Esposizione: nessuna fattura aperta" in card
    assert "Fido: 10.000,00 €, disponibili 10.000,00 €" in card
    assert "Rischio: 25/100, fascia B" in card
    assert usage == "Uso: /credit NOME-o-CODICE"
