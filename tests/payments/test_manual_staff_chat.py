"""/paid and /writeoff end to end: staff type them in the staff group, the update reaches our
webhook (uvicorn, real secret) and python-telegram-bot, the answer goes to the fake Bot API
(tests/providers/telegram/fake_telegram.py). Every answer is checked word for word against the
data it reports (allocations, what is still open, the credit, the limits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.models import (
    AuditEvent,
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    StaffMember,
    StaffRole,
    WriteOff,
)
from bot.providers.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bot.runtime import Runtime
from bot.web import create_app
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import (
    SECRET,
    STAFF_CHAT,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.providers.telegram.telegram_updates import DATE
from tests.support.live_server import serve

ANNA, MARCO, VIOLA = 501, 502, 503
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
_ids = iter(range(70_000, 90_000))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture(params=["it", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def app_url(
    settings: Settings, fake: FakeTelegram, db: str, language: str
) -> AsyncIterator[str]:
    staff_settings = telegram_settings(settings, fake, default_language=language)
    runtime: Runtime
    async with live_runtime(staff_settings, NOW) as runtime, serve(create_app(runtime)) as url:
        yield url


@pytest.fixture
async def staff(db: str) -> dict[str, StaffMember]:
    anna = await StaffMember.create(
        telegram_user_id=ANNA, name="Anna", role=StaffRole.ADMIN, writeoff_limit_cents=100_000
    )
    marco = await StaffMember.create(telegram_user_id=MARCO, name="Marco")
    viola = await StaffMember.create(telegram_user_id=VIOLA, name="Viola", role=StaffRole.VIEWER)
    return {"anna": anna, "marco": marco, "viola": viola}


def says(user_id: int, text: str) -> dict[str, Any]:
    update_id = next(_ids)
    command = text.split()[0]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": DATE,
            "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff"},
            "from": {"id": user_id, "is_bot": False, "first_name": "U"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


async def post(url: str, update: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200


def last_text(fake: FakeTelegram) -> str:
    return fake.texts_to(STAFF_CHAT)[-1].replace("\xa0", " ").replace("\u202f", " ")


async def rossi() -> tuple[Debtor, Invoice, Invoice]:
    debtor = await Debtor.create(external_ref="C042", name="Rossi Impianti S.r.l.")
    made = [
        await Invoice.create(
            number=number,
            debtor=debtor,
            issue_date=TODAY - dt.timedelta(days=days + 30),
            due_date=TODAY - dt.timedelta(days=days),
            amount_cents=cents,
        )
        for number, cents, days in (("F-1", 30_000, 40), ("F-2", 50_000, 5))
    ]
    old, new = made
    return debtor, old, new


PAID = {
    "it": (
        "✅ Registrato il pagamento di 400,00 € da Rossi Impianti S.r.l. (C042) del 20 novembre"
        " 2026, contanti («contanti al banco»), da Marco.\n"
        "- fattura F-1: 300,00 €, saldata\n"
        "- fattura F-2: 100,00 €, restano 400,00 €\n"
        "Ancora aperto: 400,00 € su 1 fattura (F-2 400,00 €)."
    ),
    "en": (
        "✅ Recorded a payment of €400.00 from Rossi Impianti S.r.l. (C042) on 20 November"
        ' 2026, cash ("contanti al banco"), by Marco.\n'
        "- invoice F-1: €300.00, settled\n"
        "- invoice F-2: €100.00, €400.00 still owed\n"
        "Still open: €400.00 on 1 invoice (F-2 €400.00)."
    ),
}


async def test_paid_records_allocates_and_says_what_is_open(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], language: str
) -> None:
    _, old, new = await rossi()
    await post(app_url, says(MARCO, "/paid C042 400,00 20/11/2026 contanti al banco"))
    assert last_text(fake) == PAID[language]
    payment = await Payment.get()
    assert (payment.amount_cents, payment.method) == (40_000, PaymentMethod.CASH)
    assert payment.received_at.astimezone(dt.UTC).date() == dt.date(2026, 11, 20)
    assert (await Invoice.get(id=old.id)).status is InvoiceStatus.PAID
    assert (await Invoice.get(id=new.id)).balance_cents == 40_000
    audit = await AuditEvent.get(action="payment_recorded")
    assert audit.actor == f"staff:{staff['marco'].id}"


async def test_paid_overpayment_is_kept_as_credit(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], language: str
) -> None:
    await rossi()
    await post(app_url, says(ANNA, "/paid F-2 1000 bonifico"))
    text = last_text(fake)
    credit = {
        "it": "200,00 € eccedono quanto era aperto: restano come credito a favore del cliente",
        "en": "€200.00 is more than was open: kept as a credit in the customer's favour",
    }[language]
    assert credit in text
    assert text.endswith(
        {
            "it": "Nulla resta aperto per Rossi Impianti S.r.l.",
            "en": "Nothing is left open for Rossi Impianti S.r.l.",
        }[language]
    )
    assert (await Payment.get()).unallocated_cents == 20_000


@pytest.mark.parametrize(
    ("command", "it", "en"),
    [
        (
            "/paid C999 10",
            "Nessun cliente e nessuna fattura corrispondono a «C999»",
            'No customer and no invoice match "C999"',
        ),
        (
            "/paid C042 dieci",
            "Non riesco a leggere l'importo «dieci»",
            'I cannot read the amount "dieci"',
        ),
        (
            "/paid C042 10 30/11/2026",
            "La data 30 novembre 2026 è nel futuro",
            "30 November 2026 is in the future",
        ),
        ("/paid C042", "Uso: /paid RIFERIMENTO IMPORTO", "Usage: /paid REFERENCE AMOUNT"),
    ],
)
async def test_paid_errors_are_polite_and_write_nothing(
    app_url: str,
    fake: FakeTelegram,
    staff: dict[str, StaffMember],
    language: str,
    command: str,
    it: str,
    en: str,
) -> None:
    await rossi()
    await post(app_url, says(MARCO, command))
    assert last_text(fake).startswith({"it": it, "en": en}[language])
    assert await Payment.all().count() == 0


async def test_writeoff_within_the_limit_closes_and_is_no_payment(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], language: str
) -> None:
    _, old, new = await rossi()
    await post(app_url, says(ANNA, "/writeoff F-1 cliente irreperibile"))
    expected = {
        "it": (
            "✂️ Stralciati 300,00 € di Rossi Impianti S.r.l. (C042), da Anna. Motivo: «cliente"
            " irreperibile». Non è un incasso: non entra nei pagamenti ricevuti.\n"
            "- fattura F-1: 300,00 €, chiusa come stralciata (nessun altro sollecito)\n"
            "Ancora aperto: 500,00 € su 1 fattura (F-2 500,00 €)."
        ),
        "en": (
            '✂️ Wrote off €300.00 of Rossi Impianti S.r.l. (C042), by Anna. Reason: "cliente'
            ' irreperibile". Not money received: it is not counted among payments.\n'
            "- invoice F-1: €300.00, closed as written off (no more reminders)\n"
            "Still open: €500.00 on 1 invoice (F-2 €500.00)."
        ),
    }[language]
    assert last_text(fake) == expected
    assert (await Invoice.get(id=old.id)).status is InvoiceStatus.WRITTEN_OFF
    assert (await Invoice.get(id=new.id)).balance_cents == 50_000
    assert await Payment.all().count() == 0
    record = await WriteOff.get()
    assert (record.staff_id, record.reason) == (staff["anna"].id, "cliente irreperibile")  # type: ignore[attr-defined]


async def test_writeoff_over_the_limit_or_by_a_viewer_is_refused(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], language: str
) -> None:
    await rossi()
    await post(app_url, says(ANNA, "/writeoff C042 motivo"))  # 800,00 € open: within 1.000,00 €
    assert (await WriteOff.all().count()) == 1
    await rossi_again()
    await post(app_url, says(MARCO, "/writeoff C043 5 arrotondamento"))
    refused = {
        "it": "Mi spiace, non può stralciare 5,00 €: non ha un limite per gli stralci.",
        "en": "Sorry, you cannot write off €5.00: you have no write-off limit.",
    }[language]
    assert last_text(fake).startswith(refused)
    await post(app_url, says(ANNA, "/writeoff C043 motivo"))  # 2.000,00 € open
    over = {
        "it": "Mi spiace, non può stralciare 2.000,00 €: il Suo limite per gli stralci è"
        " 1.000,00 €.",
        "en": "Sorry, you cannot write off €2,000.00: your write-off limit is €1,000.00.",
    }[language]
    assert last_text(fake).startswith(over)
    await post(app_url, says(VIOLA, "/writeoff C043 5 motivo"))
    assert (await WriteOff.all().count()) == 1
    refusals = await AuditEvent.filter(action="writeoff_refused").values_list("actor", flat=True)
    assert sorted(refusals) == sorted([f"staff:{staff['marco'].id}", f"staff:{staff['anna'].id}"])


async def rossi_again() -> None:
    debtor = await Debtor.create(external_ref="C043", name="Verdi S.n.c.")
    await Invoice.create(
        number="V-1",
        debtor=debtor,
        issue_date=TODAY - dt.timedelta(days=60),
        due_date=TODAY - dt.timedelta(days=30),
        amount_cents=200_000,
    )
