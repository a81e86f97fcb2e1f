"""Approve, Skip and a new deadline (the decisions the staff buttons run), and what an approved
notice becomes in the outbox: an e-mail with the PDF, by PEC first, never an SMS or a chat
message; the chats get only a short note once it has gone."""

from __future__ import annotations

import datetime as dt

from bot.decisions.common import Verdict
from bot.decisions.notices import approve_notice, deadline_from, set_deadline, skip_notice
from bot.escalation.claims import load_claim
from bot.formats import money
from bot.models import (
    AuditEvent,
    Channel,
    FormalNotice,
    InvoiceStatus,
    Message,
    MessageStatus,
    NoticeChannel,
    NoticeStatus,
    StaffMember,
    StaffRole,
)
from bot.outbox import attachments_of
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.escalation.notice_data import (
    TODAY,
    debtor_at_final_step,
    notice_runtime,
    pdf_text,
    plain,
)
from tests.support.scheduler_data import senders

PEC_MAILBOX = {"pec_smtp_host": "127.0.0.1", "pec_smtp_from": "bianchi@pec.example.it"}


async def staff_member(role: StaffRole = StaffRole.CONTROLLER) -> StaffMember:
    return await StaffMember.create(telegram_user_id=501, name="Anna", role=role)


async def opened(settings, **case) -> tuple:
    chans = senders()
    runtime = notice_runtime(settings, chans, **PEC_MAILBOX)
    data = await debtor_at_final_step(**case)
    await plan(runtime)
    await Dispatcher(runtime).drain()  # the staff card goes
    chans[Channel.TELEGRAM].sent.clear()
    return runtime, chans, data, await FormalNotice.get(debtor_id=data.debtor.id)


async def test_approved_the_notice_goes_by_pec_with_its_pdf_and_nothing_else(settings, db) -> None:
    runtime, chans, case, notice = await opened(settings)
    decision = await approve_notice(runtime, notice, await staff_member())
    assert decision.verdict is Verdict.APPROVED and decision.detail == "pec"
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.APPROVED and notice.channel is NoticeChannel.PEC
    row = await Message.get(id=notice.message_id)
    assert row.idempotency_key == notice.cycle_key  # the log holds the formal step as sent
    await Dispatcher(runtime).drain()
    (sent,) = chans[Channel.EMAIL].sent
    assert sent.certified and sent.address.endswith(".pec@example.it")
    (pdf,) = sent.attachments
    assert pdf.filename == "diffida-2026-0001.pdf" and pdf.mime_type == "application/pdf"
    assert pdf.content == (await _pdf_bytes(notice))
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)
    text = plain(sent.text)
    assert "prot. n. 2026/0001 del 23 novembre 2026" in text
    assert f"somma complessiva di {plain(money(claim.total_cents))}" in text
    assert "entro l'8 dicembre 2026" in text
    for invoice in case.invoices:
        assert invoice.number in text
    assert "2026/0001" in sent.subject
    await notice.refresh_from_db()
    row = await Message.get(id=notice.message_id)
    assert notice.status is NoticeStatus.SENT and row.status is MessageStatus.SENT
    assert notice.sent_at is not None
    # Sent, it puts the debtor in default that day: a consumer's legal interest runs from then.
    await case.debtor.refresh_from_db()
    assert case.debtor.in_default_since == TODAY
    # The chats get only the courteous note; SMS and WhatsApp nothing formal.
    (note,) = chans[Channel.TELEGRAM].sent
    assert "comunicazione formale (prot. 2026/0001)" in note.text and "via PEC" in note.text
    assert "diffid" not in note.text.lower()
    assert chans[Channel.SMS].sent == [] and chans[Channel.WHATSAPP].sent == []


async def _pdf_bytes(notice: FormalNotice) -> bytes:
    from pathlib import Path

    return Path(notice.pdf_path).read_bytes()


async def test_without_a_pec_address_it_goes_by_ordinary_email(settings, db) -> None:
    runtime, chans, _, notice = await opened(settings, pec=False, chats=(Channel.SMS,))
    decision = await approve_notice(runtime, notice, await staff_member())
    assert decision.detail == "email"
    await Dispatcher(runtime).drain()
    (sent,) = chans[Channel.EMAIL].sent
    assert not sent.certified and sent.attachments[0].mime_type == "application/pdf"
    (note,) = chans[Channel.SMS].sent
    assert "per e-mail" in note.text and "2026/0001" in note.text
    assert "DIFFIDA" not in note.text


async def test_when_the_pec_address_fails_staff_hear_it_went_without_proof(settings, db) -> None:
    from bot.channels.base import SendError, SendOutcome

    runtime, chans, _, notice = await opened(settings)
    chans[Channel.EMAIL].script = [SendError(SendOutcome.UNREACHABLE, "550 no such mailbox")]
    await approve_notice(runtime, notice, await staff_member())
    await Dispatcher(runtime).drain()
    assert [m.certified for m in chans[Channel.EMAIL].sent] == [False]
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.SENT and notice.channel is NoticeChannel.EMAIL
    texts = [m.text for m in chans[Channel.TELEGRAM].sent if "prova legale" in m.text]
    assert len(texts) == 1 and "2026/0001" in texts[0]


async def test_skip_leaves_it_unsent_and_a_second_press_says_who_decided(settings, db) -> None:
    runtime, chans, _, notice = await opened(settings)
    anna = await staff_member()
    assert (await skip_notice(runtime, notice, anna)).verdict is Verdict.SKIPPED
    again = await approve_notice(runtime, notice, anna)
    assert again.verdict is Verdict.ALREADY_DECIDED and again.by == "Anna"
    await Dispatcher(runtime).drain()
    assert chans[Channel.EMAIL].sent == []
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.SKIPPED and notice.decided_by_id == anna.id
    actions = await AuditEvent.filter(subject=f"notice:{notice.id}").values_list(
        "action", flat=True
    )
    assert "notice.skipped" in actions and "notice.approve.already_decided" in actions
    await plan(runtime)  # planning again does not bring it back
    assert await FormalNotice.all().count() == 1


async def test_a_viewer_may_not_approve(settings, db) -> None:
    runtime, _, _, notice = await opened(settings)
    decision = await approve_notice(runtime, notice, await staff_member(StaffRole.VIEWER))
    assert decision.verdict is Verdict.NOT_ALLOWED
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.PENDING


async def test_a_new_deadline_renders_the_pdf_again_and_refreshes_the_card(settings, db) -> None:
    runtime, chans, _, notice = await opened(settings)
    new = TODAY + dt.timedelta(days=20)
    decision = await set_deadline(runtime, notice, await staff_member(), new)
    assert decision.verdict is Verdict.DEADLINE_SET
    await notice.refresh_from_db()
    assert notice.deadline == new
    assert "13 dicembre 2026" in pdf_text(await _pdf_bytes(notice))
    await Dispatcher(runtime).drain()
    (card,) = chans[Channel.TELEGRAM].sent
    assert "13 dicembre 2026" in card.text and card.attachments[0].content == await _pdf_bytes(
        notice
    )
    too_late = TODAY + dt.timedelta(days=200)
    refused = await set_deadline(runtime, notice, await StaffMember.get(), too_late)
    assert refused.verdict is Verdict.INVALID and refused.detail == "deadline"


async def test_approve_without_an_address_keeps_it_waiting(settings, db) -> None:
    runtime, _, _, notice = await opened(settings, pec=False, email=False)
    decision = await approve_notice(runtime, notice, await staff_member())
    assert decision.verdict is Verdict.INVALID and decision.detail == "no_address"
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.NO_ADDRESS
    assert await Message.filter(audience="debtor", step="final_notice").count() == 0


def test_a_deadline_is_read_as_days_or_a_date() -> None:
    issued = dt.date(2026, 11, 23)
    assert deadline_from("20", issued, issued) == dt.date(2026, 12, 13)
    assert deadline_from("30 giorni", issued, issued) == dt.date(2026, 12, 23)
    assert deadline_from("31/12", issued, issued) == dt.date(2026, 12, 31)
    assert deadline_from("boh", issued, issued) is None


async def test_the_approved_row_carries_the_pdf_for_every_retry(settings, db) -> None:
    runtime, _, _, notice = await opened(settings)
    await approve_notice(runtime, notice, await staff_member())
    row = await Message.get(id=(await FormalNotice.get(id=notice.id)).message_id)
    (pdf,) = attachments_of(row.attachments)
    assert pdf.content == await _pdf_bytes(notice)
    assert row.context["channels"] == ["email"]


async def test_paid_meanwhile_the_notice_is_not_sent(settings, db) -> None:
    runtime, chans, case, notice = await opened(settings)
    for invoice in case.invoices:
        invoice.paid_cents = invoice.amount_cents
        invoice.status = InvoiceStatus.PAID
        await invoice.save()
    decision = await approve_notice(runtime, notice, await staff_member())
    assert decision.verdict is Verdict.INVALID and decision.detail == "settled"
    await notice.refresh_from_db()
    assert notice.status is NoticeStatus.SKIPPED
    await Dispatcher(runtime).drain()
    assert chans[Channel.EMAIL].sent == []


async def test_a_partial_payment_updates_the_notice_before_it_can_go(settings, db) -> None:
    runtime, chans, case, notice = await opened(settings)
    first = case.invoices[0]
    first.paid_cents = 23_456
    first.status = InvoiceStatus.PARTIALLY_PAID
    await first.save()
    anna = await staff_member()
    decision = await approve_notice(runtime, notice, anna)
    assert decision.verdict is Verdict.INVALID and decision.detail == "changed"
    await notice.refresh_from_db()
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)
    assert notice.status is NoticeStatus.PENDING and notice.total_cents == claim.total_cents
    assert plain(money(claim.total_cents)) in pdf_text(await _pdf_bytes(notice))
    await Dispatcher(runtime).drain()
    (card,) = chans[Channel.TELEGRAM].sent  # the fresh card, with today's amounts
    assert plain(money(claim.total_cents)) in plain(card.text)
    assert (await approve_notice(runtime, notice, anna)).verdict is Verdict.APPROVED
