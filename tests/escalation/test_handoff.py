"""Handing a case to a collector or a lawyer: the cadence stops (planning, pending rows, the
outbox), the case is marked and audited, the package holds what the data holds and its README
says the same figures; payments that still arrive are allocated as usual."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest

from bot.config import Settings
from bot.escalation.evidence import case_folder
from bot.escalation.outsourcing import AlreadyOutsourced, outsource
from bot.models import (
    AuditEvent,
    Channel,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    PaymentMethod,
)
from bot.outbox import queue_message, queue_staff_alert
from bot.payments.allocation import PaymentTarget
from bot.payments.recording import record_payment
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)


async def _case() -> tuple[Debtor, list[Invoice]]:
    debtor = await make_debtor("Rossi Impianti S.r.l.", channels=(Channel.TELEGRAM,))
    overdue = await make_invoice(debtor, TODAY - dt.timedelta(days=40), 120_000, number="F-1")
    partly = await make_invoice(
        debtor,
        TODAY - dt.timedelta(days=10),
        50_000,
        number="F-2",
        status=InvoiceStatus.PARTIALLY_PAID,
        paid_cents=20_000,
    )
    later = await make_invoice(debtor, TODAY + dt.timedelta(days=20), 30_000, number="F-3")
    paid = await make_invoice(
        debtor,
        TODAY - dt.timedelta(days=90),
        10_000,
        number="F-0",
        status=InvoiceStatus.PAID,
        paid_cents=10_000,
    )
    return debtor, [overdue, partly, later, paid]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_handoff_marks_stops_and_writes_the_package(db: str, settings: Settings) -> None:
    debtor, invoices = await _case()
    folder = case_folder(settings.var_dir, debtor.external_ref)
    (folder / "receipts").mkdir(parents=True)
    (folder / "diffida-2026-001.pdf").write_bytes(b"%PDF-1.7 notice")
    (folder / "receipts" / "x_avvenuta-consegna_1.eml").write_bytes(b"receipt")
    reminder = await queue_message(
        debtor=debtor, template="reminders/overdue", context={}, scheduled_at=NOW, step="s1"
    )
    alert = await queue_staff_alert("staff/error.txt", {}, now=NOW, debtor=debtor)
    assert reminder is not None and alert is not None

    done = await outsource(settings, debtor, actor="staff:7", by="Anna", now=NOW, language="it")

    stored = await Debtor.get(id=debtor.id)
    assert stored.outsourced_at == NOW and stored.outsourced_by == "Anna"
    assert (await Message.get(id=reminder.id)).status is MessageStatus.CANCELLED
    assert (await Message.get(id=reminder.id)).last_error == "cancelled: outsourced"
    assert (await Message.get(id=alert.id)).status is MessageStatus.PENDING  # staff still told
    assert done.cancelled == 1
    [event] = await AuditEvent.filter(action="case.outsourced")
    assert (event.actor, event.subject) == ("staff:7", f"debtor:{debtor.id}")
    assert event.data["by"] == "Anna" and event.data["zip"] == str(done.archive)

    # The figures, computed here from the invoices as made above.
    open_cents = 120_000 + (50_000 - 20_000) + 30_000
    overdue_cents = 120_000 + 30_000
    assert (done.figures.open_cents, done.figures.overdue_cents) == (open_cents, overdue_cents)
    assert done.folder.parent == settings.var_dir / "handoff"
    names = sorted(str(p.relative_to(done.folder)) for p in done.folder.rglob("*") if p.is_file())
    assert names == [
        "README.txt",
        "case/diffida-2026-001.pdf",
        "case/receipts/x_avvenuta-consegna_1.eml",
        "debtor.json",
        "invoices.csv",
        "messages.csv",
        "payments.csv",
        "receipts.csv",
    ]
    rows = _rows((done.folder / "invoices.csv").read_text())
    assert [(r["number"], int(r["balance_cents"])) for r in rows] == [
        (i.number, i.balance_cents) for i in sorted(invoices, key=lambda i: i.due_date)
    ]
    assert sum(int(r["balance_cents"]) for r in rows) == open_cents
    messages = _rows((done.folder / "messages.csv").read_text())
    assert {int(m["id"]) for m in messages} == {reminder.id, alert.id}
    data = json.loads((done.folder / "debtor.json").read_text())
    assert data["external_ref"] == debtor.external_ref and data["outsourced_by"] == "Anna"
    assert data["figures"]["open_cents"] == open_cents
    assert data["figures"]["oldest_due"] == (TODAY - dt.timedelta(days=40)).isoformat()
    readme = (done.folder / "README.txt").read_text().replace("\xa0", " ")
    assert "Affidata da Sollecito Demo S.r.l. il 25 novembre 2026 (a cura di Anna)" in readme
    assert "Fatture: 4, per un totale di 2.100,00 €, di cui già pagato 300,00 €" in readme
    assert (
        "Ancora dovuto: 1.800,00 € su 3 fatture, di cui scaduto 1.500,00 € su 2 fatture" in readme
    )
    assert "(la scadenza più vecchia è il 16 ottobre 2026)" in readme
    assert "Pagamenti ricevuti: 0, per 0,00 €" in readme
    assert "- case/diffida-2026-001.pdf" in readme
    with zipfile.ZipFile(done.archive) as archive:
        assert sorted(archive.namelist()) == [f"{done.folder.name}/{n}" for n in names]

    with pytest.raises(AlreadyOutsourced, match="handed off on 2026-11-25T09:00"):
        await outsource(settings, debtor, actor="cli", by="cli", now=NOW, language="it")


async def test_the_cadence_stops_and_payments_are_still_allocated(
    db: str, settings: Settings
) -> None:
    outsourced, invoices = await _case()
    other = await make_debtor("Bianchi S.p.A.")
    await make_invoice(other, TODAY - dt.timedelta(days=40), 70_000)
    runtime = make_runtime(settings, FrozenClock(NOW))
    await outsource(settings, outsourced, actor="cli", by="cli", now=NOW, language="en")

    result = await plan(runtime, now=NOW)
    planned = await Message.filter(direction=Direction.OUTBOUND).exclude(step="")
    assert result.queued_count == 1 and {m.debtor_id for m in planned} == {other.id}  # type: ignore[attr-defined]

    # Something queued for the debtor after the hand-off (a promise check, say) is not sent.
    late = await queue_message(
        debtor=outsourced, template="reminders/overdue", context={}, scheduled_at=NOW
    )
    assert late is not None
    await Dispatcher(runtime).drain()
    late = await Message.get(id=late.id)
    assert (late.status, late.last_error) == (MessageStatus.CANCELLED, "outsourced")

    recorded = await record_payment(
        settings,
        NOW,
        debtor_id=outsourced.id,
        amount_cents=120_000,
        currency="EUR",
        method=PaymentMethod.BANK_TRANSFER,
        provider_ref="bank:after-handoff",
        received_at=NOW,
        target=PaymentTarget(),
    )
    assert recorded is not None
    first = await Invoice.get(id=invoices[0].id)
    assert first.status is InvoiceStatus.PAID and first.paid_cents == 120_000
    assert [(i.number, cents) for i, cents in recorded.shares] == [("F-1", 120_000)]
    sent_to_debtor = await Message.filter(
        debtor_id=outsourced.id, audience="debtor", status=MessageStatus.SENT
    ).count()
    assert sent_to_debtor == 0


async def test_a_package_that_cannot_be_written_leaves_the_case_as_it_was(
    db: str, settings: Settings
) -> None:
    debtor, _ = await _case()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "handoff").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        await outsource(settings, debtor, actor="cli", by="cli", now=NOW, language="it")
    stored = await Debtor.get(id=debtor.id)
    assert stored.outsourced_at is None and not await AuditEvent.exists(action="case.outsourced")
    assert Path(settings.var_dir / "handoff").is_file()
