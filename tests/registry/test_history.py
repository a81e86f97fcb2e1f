"""The registry against the database: a debtor's whole timeline loaded from every table, /debtor's
card with the header and as much of it as one message holds."""

from __future__ import annotations

import csv
import io

from bot.config import Settings
from bot.handlers.staff_commands import StaffCommands
from bot.models import Channel, Direction, Message, MessageStatus
from bot.registry.history import load_history
from bot.registry.texts import TELEGRAM_LIMIT, csv_text
from tests.registry.registry_data import NOW, debtor_with_history
from tests.support.scheduler_data import FrozenClock, make_runtime


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


async def test_the_whole_timeline_in_order(settings: Settings, db: str) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    history = await load_history(debtor, runtime.today())
    lines = [plain(line) for line in history.lines("it")]
    assert lines == [
        "01/09/26 12:00 📄 Fattura F-C042-1 emessa: 1.234,56 €, scadenza 01/10/26"
        " (pagata in parte)",
        "03/11/26 11:00 → telegram reminders/overdue_1.txt: consegnato",
        "03/11/26 13:00 ← telegram: «posso pagare a rate? Mario Rossi 333 1234567»",
        "03/11/26 14:00 📅 Piano #1 chiesto: 4 rate, totale 1.000,00 €, prima scadenza 10/11/26"
        " (respinto)",
        "04/11/26 01:00 🗂 Anna: plan.rejected (plan:1)",
        "05/11/26 11:00 🤝 Promessa di pagamento entro il 05/11/26 (in attesa)",
        "06/11/26 11:00 💶 Pagamento di 234,56 € (bonifico): riuscito",
        "06/11/26 11:00    ↳ 234,56 € sulla fattura F-C042-1",
        "10/11/26 12:00 📄 Fattura F-C042-2 emessa: 500,00 €, scadenza 10/12/26 (aperta)",
        "25/11/26 11:00 → sms reminders/overdue_2.txt: in coda",
    ]
    terminal = plain(history.terminal_text("it"))
    assert terminal.startswith(
        "👤 Rossi Impianti S.r.l. (C042, #1)\n💰 Esposizione: 1.500,00 € su 2 fatture "
        "(scaduto 1.000,00 €, non ancora scaduto 500,00 €)\n\n🕓 Cronologia (10 voci):\n"
    )
    rows = list(csv.DictReader(io.StringIO(csv_text(history.entries))))
    assert [row["kind"] for row in rows][:3] == ["invoice", "message_out", "message_in"]
    assert rows[4]["actor"] == "Anna" and rows[4]["text"] == "plan.rejected"


async def test_debtor_card_holds_header_card_and_the_newest_entries(
    settings: Settings, db: str
) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    for n in range(300):
        await Message.create(
            debtor=debtor, direction=Direction.INBOUND, channel=Channel.TELEGRAM,
            body=f"messaggio numero {n} " + "parole " * 10, status=MessageStatus.HANDLED,
            sent_at=NOW.replace(hour=9, minute=0, second=n % 60, microsecond=n),
        )  # fmt: skip
    commands = StaffCommands(runtime)
    text = plain(await commands.debtor_card(debtor))
    assert len(text) <= TELEGRAM_LIMIT
    assert text.startswith("👤 Rossi Impianti S.r.l. (C042, #1)\n💰 Esposizione: 1.500,00 €")
    assert "\nRischio " in text and "/100, fascia " in text  # the credit card's score line
    assert "F-C042-1: 1.000,00 €, scadenza 1º ottobre 2026 (pagata in parte)" in text
    assert "messaggio numero 299" in text  # the newest
    assert "messaggio numero 0 " not in text and "Fattura F-C042-1 emessa" not in text
    assert "voci più vecchie non mostrate: python -m bot history C042" in text
