"""The unmatched-credits card end to end: an import queues one card, the outbox sends it to the
staff chat on the fake Bot API with its buttons, a staff press (through our webhook and
python-telegram-bot) assigns the credit, and /assign answers in the chat."""

from __future__ import annotations

import json
from pathlib import Path

from bot.models import AuditEvent, BankCredit, Debtor, Payment, StaffMember
from bot.payments.reconcile import import_bank_statement
from bot.runtime import Runtime
from scheduler.dispatch import Dispatcher
from tests.decisions import test_staff_chat as chat
from tests.decisions.test_staff_chat import (
    ANNA,
    MARCO,
    NOW,
    answers,
    post,
    staff_press,
    staff_says,
    staff_texts,
)
from tests.payments.test_bank_import import _ledger
from tests.providers.telegram.fake_telegram import FakeTelegram

# The staff chat tests' fixtures: the fake Bot API, the live runtime and app, Anna and Marco.
fake = chat.fake
staff_settings = chat.staff_settings
runtime = chat.runtime
app_url = chat.app_url
staff = chat.staff

STATEMENT = Path(__file__).resolve().parents[1] / "data" / "bank" / "camt053_v02.xml"


async def _card(runtime: Runtime, fake: FakeTelegram) -> tuple[BankCredit, Debtor, str]:
    await _ledger()
    await import_bank_statement(runtime.settings, NOW, STATEMENT.read_bytes(), "v02.xml")
    await Dispatcher(runtime).drain()
    (credit,) = await BankCredit.filter(status="unmatched")
    neri = await Debtor.get(external_ref="C004")
    return credit, neri, f"bankcredit:{credit.id}:{neri.id}"


async def test_the_card_reaches_the_staff_chat_and_a_press_assigns_the_credit(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    credit, neri, button = await _card(runtime, fake)
    (card,) = [t for t in staff_texts(fake) if t.startswith("🏦")]
    assert "1 accredito non abbinato, in tutto 500,00 €" in card
    assert "NERI COSTRUZIONI SRL (IT86P0300203280000400162854)" in card
    sent = [
        c for c in fake.calls_to("sendMessage") if str(c.params.get("text", "")).startswith("🏦")
    ]
    markup = sent[0].params["reply_markup"]
    keyboard = json.loads(markup) if isinstance(markup, str) else markup
    (row,) = keyboard["inline_keyboard"]
    assert row[0]["callback_data"] == button
    assert row[0]["text"].replace("\xa0", " ") == f"#{credit.id} 500,00 € → Neri Costruzioni S.r.l."

    await post(app_url, staff_press(ANNA, button))
    assert answers(fake) == ["✅ Pagamento confermato da Anna (500,00 € registrati)"]
    payment = await Payment.get(provider_ref=credit.provider_ref)
    assert payment.debtor_id == neri.id  # type: ignore[attr-defined]
    assert (await BankCredit.get(id=credit.id)).status == "assigned"
    assert (
        await AuditEvent.filter(
            action="bankcredit.assigned", actor=f"staff:{staff['anna'].id}"
        ).count()
        == 1
    )

    await post(app_url, staff_press(MARCO, button))
    assert answers(fake)[-1] == "Già deciso da Anna."
    assert await Payment.filter(provider_ref=credit.provider_ref).count() == 1


async def test_assign_command_names_any_debtor(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    credit, _, _ = await _card(runtime, fake)
    await post(app_url, staff_says(ANNA, "/assign"))
    assert staff_texts(fake)[-1].startswith("Uso: /assign NUMERO-ACCREDITO")
    await post(app_url, staff_says(ANNA, f"/assign #{credit.id} C003"))
    assert staff_texts(fake)[-1] == "✅ Pagamento confermato da Anna (500,00 € registrati)"
    verdi = await Debtor.get(external_ref="C003")
    payment = await Payment.get(provider_ref=credit.provider_ref)
    assert payment.debtor_id == verdi.id and payment.unallocated_cents == 50_000  # type: ignore[attr-defined]
