"""`python -m bot case REF` (the case's files, receipts and the notices' delivery state, and a
clear error for an unknown REF) and `/handoff REF` in the staff chat, end to end through the
webhook and the fake Bot API (the package's zip attached as a document)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.case import case_text
from bot.config import Settings
from bot.escalation.evidence import case_folder
from bot.escalation.pec_receipts import record_receipt
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    Message,
    MessageStatus,
    StaffMember,
    StaffRole,
)
from bot.providers.pec.sample_receipts import ReceiptSpec, receipt_email
from bot.runtime import Runtime
from bot.web import create_app
from tests.decisions.test_staff_chat import post, staff_says, staff_texts
from tests.providers.telegram.fake_telegram import FakeTelegram
from tests.providers.telegram.telegram_app import (
    STAFF_CHAT,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.support.cli_run import run_cli
from tests.support.live_server import serve

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
AT = dt.datetime(2026, 11, 23, 11, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
MSGID = "<abc123.sollecito@azienda.example.it>"
ANNA, VIEWER = 501, 503


async def _debtor_with_notice(settings: Settings) -> tuple[Debtor, Message]:
    debtor = await Debtor.create(external_ref="C042", name="Rossi Impianti S.r.l.")
    pec = await ContactPoint.create(
        debtor=debtor, channel=Channel.EMAIL, address="rossi@pec.rossi.example.it", is_pec=True
    )
    notice = await Message.create(
        debtor=debtor,
        contact_point=pec,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        template="escalation/notice",
        status=MessageStatus.SENT,
        provider_id=MSGID,
        sent_at=NOW,
    )
    folder = case_folder(settings.var_dir, "C042")
    folder.mkdir(parents=True)
    (folder / "diffida-2026-001.pdf").write_bytes(b"%PDF-1.7 " + b"x" * 91)
    for kind, minutes in (("accettazione", 0), ("avvenuta-consegna", 1)):
        spec = ReceiptSpec(
            kind,
            MSGID,
            "diffide@pec.azienda.example.it",
            "rossi@pec.rossi.example.it",
            "Diffida",
            AT + dt.timedelta(minutes=minutes),
            identificativo=f"id-{kind}",
        )
        await record_receipt(settings.var_dir, receipt_email(spec), now=NOW)
    return debtor, notice


async def test_case_lists_files_receipts_and_delivery(db: str, settings: Settings) -> None:
    debtor, notice = await _debtor_with_notice(settings)
    text = await case_text(settings, debtor)
    assert text.startswith("Fascicolo di Rossi Impianti S.r.l. (C042)\n")
    assert "- diffida-2026-001.pdf (PDF, 100 byte)" in text
    assert "File (5):" in text  # the PDF, two .eml, two daticert.xml
    assert "_accettazione_1.daticert.xml (ricevuta" in text
    assert (
        f"- #{notice.id} escalation/notice (PEC): sent, inviata il 23 novembre 2026; "
        "consegna: consegnata"
    ) in text
    assert "- accettazione del 23 novembre 2026 11:05:00, destinatario rossi@pec.rossi" in text
    assert "- avvenuta-consegna del 23 novembre 2026 11:06:00" in text
    english = await case_text(settings.model_copy(update={"default_language": "en"}), debtor)
    assert "delivery: delivered" in english and "PEC receipts (2):" in english


async def test_a_notice_without_receipts_and_one_not_delivered(db: str, settings: Settings) -> None:
    debtor = await Debtor.create(external_ref="C043", name="Verdi S.n.c.")
    quiet = await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        template="escalation/notice",
        status=MessageStatus.SENT,
        provider_id="<q@x>",
    )
    spec = ReceiptSpec(
        "errore-consegna", "<f@x>", "a@pec.it", "verdi@pec.it", "Diffida", AT, errore="no-dest"
    )
    failed = await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        template="escalation/notice",
        status=MessageStatus.SENT,
        provider_id="<f@x>",
    )
    await record_receipt(settings.var_dir, receipt_email(spec), now=NOW)
    text = await case_text(settings, debtor)
    assert f"#{quiet.id} escalation/notice: sent; consegna: nessuna ricevuta" in text
    assert f"#{failed.id} escalation/notice: sent; consegna: NON consegnata" in text
    assert "errore no-dest" in text


def test_case_for_an_unknown_ref_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'db.sqlite3'}"
    assert run_cli("migrate", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    result = run_cli("case", "NOPE", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no debtor with reference 'NOPE'"
    result = run_cli("case", "handoff", "NOPE", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 1 and "'NOPE'" in result.stderr


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, fake: FakeTelegram, db: str) -> AsyncIterator[Runtime]:
    staff_settings = telegram_settings(settings, fake, default_language="it")
    async with live_runtime(staff_settings, NOW) as runtime:
        yield runtime


async def test_handoff_in_the_staff_chat(runtime: Runtime, fake: FakeTelegram) -> None:
    await StaffMember.create(telegram_user_id=ANNA, name="Anna", role=StaffRole.ADMIN)
    await StaffMember.create(telegram_user_id=VIEWER, name="Vera", role=StaffRole.VIEWER)
    debtor, _ = await _debtor_with_notice(runtime.settings)
    await Invoice.create(
        number="F-9",
        debtor=debtor,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        amount_cents=123_456,
    )
    async with serve(create_app(runtime)) as url:
        await post(url, staff_says(VIEWER, "/handoff C042"))
        await post(url, staff_says(ANNA, "/handoff"))
        await post(url, staff_says(ANNA, "/handoff C042"))
        await post(url, staff_says(ANNA, "/handoff Rossi"))

    texts = [text for text in staff_texts(fake) if text]  # the document has no caption
    assert texts[0].startswith("Il suo ruolo è di sola consultazione")
    assert texts[1].startswith("Uso: /handoff")
    done = texts[2]
    assert done.startswith(
        "📦 Pratica di Rossi Impianti S.r.l. (C042) affidata per il recupero da Anna."
    )
    assert "Ancora dovuto: 1.234,56 € su 1 fattura, di cui scaduto 1.234,56 €." in done
    assert "L'archivio .zip è allegato qui sotto." in done
    stored = await Debtor.get(id=debtor.id)
    assert stored.outsourced_by == "Anna" and stored.outsourced_at == NOW
    assert str(runtime.settings.var_dir / "handoff" / "C042-20261123-100000") in done
    [document] = fake.calls_to("sendDocument")
    assert int(document.params["chat_id"]) == STAFF_CHAT
    assert texts[3] == (
        "La pratica di Rossi Impianti S.r.l. (C042) è già stata affidata per il recupero "
        "il 23 novembre 2026 da Anna."
    )
    assert await AuditEvent.filter(action="case.outsourced").count() == 1
