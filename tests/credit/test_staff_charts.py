"""The charts in the staff chat, end to end: a staff member types /aging, /cashflow or /dso in the
staff group, the update goes through our webhook and python-telegram-bot, and the answer reaches
the fake Bot API as sendPhoto: a valid PNG, and a caption whose figures are the data's. The Monday
charts go the outbox's way and arrive the same."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.config import Settings
from bot.handlers.staff_charts import parse_weeks
from bot.models import Message, StaffMember, StaffRole
from bot.runtime import Runtime
from bot.web import create_app
from scheduler.dispatch import Dispatcher
from scheduler.weekly_charts import weekly_charts
from tests.decisions.test_staff_chat import ANNA, STRANGER, TODAY, post, staff_says
from tests.providers.telegram.fake_telegram import Call, FakeTelegram
from tests.providers.telegram.telegram_app import (
    STAFF_CHAT,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.support.live_server import serve
from tests.support.scheduler_data import make_debtor, make_invoice

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[Runtime]:
    staff_settings = telegram_settings(settings, fake, default_language="it")
    async with live_runtime(staff_settings, NOW) as runtime:
        yield runtime


@pytest.fixture
async def app_url(runtime: Runtime) -> AsyncIterator[str]:
    await StaffMember.create(
        telegram_user_id=ANNA, name="Anna", role=StaffRole.VIEWER, approval_limit_cents=0
    )
    async with serve(create_app(runtime)) as url:
        yield url


async def books() -> None:
    """Overdue 1.234,56 € (12 days) and 500 € (95 days); 2.000 € due in 3 days."""
    debtor = await make_debtor("Rossi Impianti S.r.l.")
    await make_invoice(debtor, TODAY - dt.timedelta(days=12), 1_234_56)
    await make_invoice(debtor, TODAY - dt.timedelta(days=95), 500_00)
    await make_invoice(debtor, TODAY + dt.timedelta(days=3), 2_000_00)


def photo(call: Call) -> Image.Image:
    filename, _, content = call.files["photo"]
    assert filename.endswith(".png") and content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(content))
    image.verify()  # a whole, valid PNG
    return Image.open(io.BytesIO(content))


def caption(call: Call) -> str:
    return str(call.params["caption"]).replace("\xa0", " ")


def test_weeks_argument() -> None:
    assert parse_weeks([]) == 8
    assert parse_weeks(["12"]) == 12
    assert parse_weeks(["0"]) is None and parse_weeks(["27"]) is None
    assert parse_weeks(["due"]) is None and parse_weeks(["4", "5"]) is None


async def test_aging_is_a_photo_with_the_figures_in_the_caption(
    app_url: str, fake: FakeTelegram
) -> None:
    await books()
    await post(app_url, staff_says(ANNA, "/aging"))
    [call] = fake.calls_to("sendPhoto")
    assert call.params["chat_id"] == str(STAFF_CHAT)
    assert photo(call).size == (800, 450)
    text = caption(call)
    assert "Anzianità dei crediti al 23 novembre 2026" in text
    assert "Totale aperto: 3.734,56 € su 3 fatture, di cui scaduto 1.734,56 €" in text
    assert "Non scaduto: 2.000,00 € (1)" in text
    assert "1-30 giorni: 1.234,56 € (1)" in text
    assert "Oltre 90 giorni: 500,00 € (1)" in text


async def test_cashflow_weeks_and_overdue(app_url: str, fake: FakeTelegram) -> None:
    await books()
    await post(app_url, staff_says(ANNA, "/cashflow 4"))
    [call] = fake.calls_to("sendPhoto")
    photo(call)
    text = caption(call)
    # No payment history: each invoice is expected on its due date; the overdue ones are past it.
    assert "Incassi attesi nelle prossime 4 settimane: 2.000,00 €" in text
    assert "dal 23/11: 2.000,00 €" in text and "dal 14/12: 0,00 €" in text
    assert "Scaduto oggi: 1.734,56 € (2 voci), di cui 1.734,56 € oltre il ritardo" in text


async def test_dso_and_a_bad_argument(app_url: str, fake: FakeTelegram) -> None:
    await books()
    await post(app_url, staff_says(ANNA, "/dso"))
    [call] = fake.calls_to("sendPhoto")
    photo(call)
    text = caption(call)
    # Nothing paid; the oldest invoice was issued 125 days ago, outside the 90-day window:
    # 3.734,56 / 3.234,56 x 90 = 103,9 days. 15 days ago the newest was not issued yet.
    assert "DSO al 23 novembre 2026: 103,9 giorni" in text
    assert "Crediti aperti 3.734,56 €, fatturato degli ultimi 90 giorni 3.234,56 €" in text
    assert "In aumento di 13,9 giorni: i clienti pagano più lentamente" in text
    await post(app_url, staff_says(ANNA, "/cashflow 99"))
    assert fake.texts_to(STAFF_CHAT)[-1].startswith("Uso: /cashflow [settimane] (da 1 a 26")
    assert len(fake.calls_to("sendPhoto")) == 1


async def test_only_staff_get_charts(app_url: str, fake: FakeTelegram) -> None:
    await post(app_url, staff_says(STRANGER, "/aging"))
    assert fake.calls_to("sendPhoto") == []
    assert len(fake.calls_to("sendMessage")) == 1


async def test_monday_charts_go_through_the_outbox_once(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    await books()
    assert await weekly_charts(runtime) == 2
    assert await weekly_charts(runtime) == 0  # once a week
    rows = await Message.filter(audience="staff").order_by("id")
    assert [row.context["chart"] for row in rows] == ["aging", "cashflow"]
    await Dispatcher(runtime).drain()
    aging_call, cashflow_call = fake.calls_to("sendPhoto")
    assert photo(aging_call).size == photo(cashflow_call).size == (800, 450)
    assert "Totale aperto: 3.734,56 € su 3 fatture" in caption(aging_call)
    assert "Incassi attesi nelle prossime 8 settimane: 2.000,00 €" in caption(cashflow_call)
    assert {row.status.value for row in await Message.filter(audience="staff")} == {"sent"}
