"""The cadence reaching a formal step: a notice waits for staff, with its PDF on the staff card;
nothing goes to the debtor until it is approved, and never by SMS or chat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.escalation.claims import load_claim
from bot.formats import money
from bot.models import Channel, FormalNotice, Message, NoticeChannel, NoticeStatus
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
from tests.support.scheduler_data import STAFF_CHAT, senders


async def test_the_formal_step_opens_a_notice_for_staff_and_sends_nothing(settings, db) -> None:
    case = await debtor_at_final_step()
    chans = senders()
    runtime = notice_runtime(settings, chans)
    result = await plan(runtime)
    assert result.queued_count == 1
    notice = await FormalNotice.get(debtor_id=case.debtor.id)
    assert notice.status is NoticeStatus.PENDING
    assert notice.protocol == f"{TODAY.year}/0001"
    assert notice.deadline == TODAY + dt.timedelta(days=15)  # policy [notice] deadline_days
    assert notice.channel is NoticeChannel.PEC or notice.channel is NoticeChannel.EMAIL
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)
    assert notice.total_cents == claim.total_cents
    assert notice.principal_cents == sum(i.balance_cents for i in case.invoices)
    # No message for the debtor: only the staff card, with the PDF and the three buttons.
    debtor_rows = await Message.filter(audience="debtor", step="final_notice")
    assert debtor_rows == []
    (card,) = await Message.filter(audience="staff")
    assert [o["key"] for o in card.options] == [
        f"notice:approve:{notice.id}",
        f"notice:deadline:{notice.id}",
        f"notice:skip:{notice.id}",
    ]
    (pdf,) = attachments_of(card.attachments)
    assert pdf.mime_type == "application/pdf"
    assert pdf.content == Path(notice.pdf_path).read_bytes()
    assert notice.protocol in pdf_text(pdf.content)
    await Dispatcher(runtime).drain()
    (shown,) = chans[Channel.TELEGRAM].sent
    assert shown.address == str(STAFF_CHAT) and shown.attachments == (pdf,)
    text = plain(shown.text)
    assert notice.protocol in text and "Rossi Impianti S.r.l." in text
    assert money(claim.total_cents, "EUR", "it").replace("\xa0", " ") in text
    assert "entro l'8 dicembre 2026" in text  # 23/11 + 15 days
    assert "Nulla parte senza approvazione" in text
    for channel in (Channel.SMS, Channel.EMAIL, Channel.WHATSAPP):
        assert chans[channel].sent == []


async def test_planning_again_opens_no_second_notice(settings, db) -> None:
    await debtor_at_final_step()
    runtime = notice_runtime(settings, senders())
    await plan(runtime)
    again = await plan(runtime)
    assert again.queued_count == 0
    assert await FormalNotice.all().count() == 1
    assert await Message.filter(audience="staff").count() == 1


async def test_protocol_numbers_follow_each_other_within_the_year(settings, db) -> None:
    first = await debtor_at_final_step()
    second = await debtor_at_final_step()
    await plan(notice_runtime(settings, senders()))
    notices = await FormalNotice.all().order_by("sequence")
    assert [n.protocol for n in notices] == [f"{TODAY.year}/0001", f"{TODAY.year}/0002"]
    assert {n.debtor_id for n in notices} == {first.debtor.id, second.debtor.id}


async def test_a_debtor_without_an_address_is_reported_not_skipped(settings, db) -> None:
    case = await debtor_at_final_step(pec=False, email=False)
    chans = senders()
    runtime = notice_runtime(settings, chans)
    await plan(runtime)
    notice = await FormalNotice.get(debtor_id=case.debtor.id)
    assert notice.status is NoticeStatus.NO_ADDRESS and notice.address == ""
    await Dispatcher(runtime).drain()
    (card,) = chans[Channel.TELEGRAM].sent
    assert "non ha un indirizzo e-mail o PEC" in card.text
    assert chans[Channel.SMS].sent == []


async def test_without_a_pec_mailbox_the_card_says_there_is_no_legal_proof(settings, db) -> None:
    await debtor_at_final_step(pec=False)
    chans = senders()
    runtime = notice_runtime(settings, chans)
    await plan(runtime)
    notice = await FormalNotice.get()
    assert notice.channel is NoticeChannel.EMAIL
    await Dispatcher(runtime).drain()
    (card,) = chans[Channel.TELEGRAM].sent
    assert "e-mail ordinaria" in card.text and "prova legale di consegna" in card.text


async def test_the_preview_says_a_formal_step_waits_for_staff(settings, db) -> None:
    from scheduler.preview import build_preview, render_preview

    case = await debtor_at_final_step()
    runtime = notice_runtime(settings, senders())
    text = plain(render_preview(await build_preview(runtime, TODAY), runtime))
    line = next(line for line in text.splitlines() if "final_notice" in line)
    assert case.debtor.name in line and "a PDF for staff to approve" in line
    total = sum(invoice.balance_cents for invoice in case.invoices)
    assert plain(money(total, "EUR", "en")) in line
    assert await FormalNotice.all().count() == 0  # the preview writes nothing
