"""Privacy: everything held about a person exported; their personal data erased while the books
keep the invoices and payments; an erased debtor never chased and never matched again; both in
the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.config import Settings
from bot.credit.exposure import Exposure
from bot.inbound import find_contact_points
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Conversation,
    Debtor,
    Invoice,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
)
from bot.registry.privacy import as_json, erase_debtor, export_debtor
from bot.registry.texts import header_text
from scheduler.cadence import plan
from tests.registry.registry_data import CHAT, NOW, PHONE, debtor_with_history
from tests.support.scheduler_data import FrozenClock, make_debtor, make_invoice, make_runtime


async def test_the_export_holds_everything_and_is_audited(settings: Settings, db: str) -> None:
    make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    data = json.loads(as_json(await export_debtor(debtor)))
    assert data["debtor"]["name"] == "Rossi Impianti S.r.l."
    assert data["debtor"]["tax_code"] == "RSSMRA80A01H501U"
    assert sorted(p["address"] for p in data["contact_points"]) == sorted([CHAT, PHONE])
    assert [i["number"] for i in data["invoices"]] == ["F-C042-1", "F-C042-2"]
    assert data["payments"][0]["amount_cents"] == 23_456
    assert data["allocations"][0]["amount_cents"] == 23_456
    assert len(data["messages"]) == 3
    assert "Mario Rossi 333 1234567" in json.dumps(data["messages"])
    assert [p["status"] for p in data["plans"]] == ["rejected"]
    assert [a["action"] for a in data["audit_events"]] == ["plan.rejected"]
    assert data["messages"][0]["sent_at"] == "2026-11-03T10:00:00+00:00"
    audit = await AuditEvent.get(action="privacy.exported")
    assert audit.subject == f"debtor:{debtor.id}" and audit.actor == "cli"
    assert audit.data["messages"] == 3 and audit.data["invoices"] == 2


async def test_erase_anonymises_the_person_and_keeps_the_books(settings: Settings, db: str) -> None:
    make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    await Conversation.create(debtor=debtor, state={"flow": "menu"})
    invoices_before = await Invoice.filter(debtor_id=debtor.id).values()
    changed = await erase_debtor(debtor, NOW)
    assert changed["contact_points"] == 2 and changed["cancelled"] == 1
    erased = await Debtor.get(id=debtor.id)
    assert erased.name == f"[erased #{debtor.id}]" and erased.erased_at == NOW
    assert (erased.tax_code, erased.notes, erased.external_ref) == ("", "", "C042")
    for point in await ContactPoint.filter(debtor_id=debtor.id):
        assert point.address == f"erased:{point.id}" and not point.reachable
    for message in await Message.filter(debtor_id=debtor.id):
        assert message.body == "" and message.context == {}
    waiting = await Message.get(debtor_id=debtor.id, template="reminders/overdue_2.txt")
    assert waiting.status == MessageStatus.CANCELLED
    assert not await Conversation.filter(debtor_id=debtor.id).exists()
    # The books: the same invoices, the payment and its allocation, the note's words gone.
    assert await Invoice.filter(debtor_id=debtor.id).values() == invoices_before
    payment = await Payment.get(debtor_id=debtor.id)
    assert payment.amount_cents == 23_456 and payment.note == ""
    assert await PaymentAllocation.filter(payment_id=payment.id).count() == 1
    audit = await AuditEvent.get(action="privacy.erased")
    assert audit.subject == f"debtor:{debtor.id}" and audit.data == changed
    header = header_text(erased, Exposure(), "it")
    assert header.startswith(
        f"👤 [erased #{debtor.id}] (C042, #{debtor.id}) — dati personali cancellati il "
        "23 novembre 2026\n💰 Esposizione: nessuna"
    )
    # Nothing of the person is left to export.
    exported = as_json(await export_debtor(erased))
    for word in ("Rossi", "Mario", PHONE, CHAT, "RSSMRA", "lunedì", "333 1234567"):
        assert word not in exported, word


async def test_an_erased_debtor_is_never_matched_by_inbound(settings: Settings, db: str) -> None:
    make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    assert [p.debtor_id for p in await find_contact_points(Channel.SMS, PHONE)] == [debtor.id]  # type: ignore[attr-defined]
    # Even an address still on file (erased by hand, or restored by an import) matches no one.
    await Debtor.filter(id=debtor.id).update(erased_at=NOW)
    assert await find_contact_points(Channel.SMS, PHONE) == []
    await erase_debtor(await Debtor.get(id=debtor.id), NOW)
    assert await find_contact_points(Channel.TELEGRAM, CHAT) == []


async def test_an_erased_debtor_is_never_chased(settings: Settings, db: str) -> None:
    runtime = make_runtime(settings, FrozenClock(NOW))
    kept, erased = await make_debtor("Bianchi"), await make_debtor("Verdi")
    for debtor in (kept, erased):
        await make_invoice(debtor, NOW.date() - dt.timedelta(days=20), 50_000)
    await erase_debtor(erased, NOW)
    result = await plan(runtime, dry_run=True)
    assert [reminder.debtor_id for reminder in result.queued] == [kept.id]
    assert result.debtors_seen == 1


async def test_an_import_does_not_write_an_erased_person_again(
    settings: Settings, db: str, tmp_path: Path
) -> None:
    from bot.importers import run_import

    make_runtime(settings, FrozenClock(NOW))
    debtor = await debtor_with_history()
    await erase_debtor(debtor, NOW)
    file = tmp_path / "debtors.csv"
    file.write_text(f"external_ref,name,phone\nC042,Rossi Impianti S.r.l.,{PHONE}\n")
    report = await run_import(
        debtors=file, invoices=None, dry_run=False, default_language="it",
        default_timezone="Europe/Rome",
    )  # fmt: skip
    assert [p.render() for p in report.problems] == [
        f"{file}:2: external_ref: the personal data of 'C042' were erased; remove the row"
    ]
    assert (await Debtor.get(id=debtor.id)).name == f"[erased #{debtor.id}]"
    assert await find_contact_points(Channel.SMS, PHONE) == []
