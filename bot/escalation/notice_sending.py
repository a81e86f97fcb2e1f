"""Sending an approved formal notice, through the outbox (retried with backoff, never dropped).

The notice goes by e-mail only: by PEC (the company's PEC mailbox, PEC_SMTP_*) to the debtor's
PEC address when there is one, otherwise by ordinary e-mail, with the PDF attached; staff are told
plainly when it has no legal proof of delivery. Its outbox row carries the cycle's cadence key, so
the log holds the formal step as sent, and the e-mail's Message-ID is the row's provider id (the
PEC receipts are matched by it). Never by SMS, WhatsApp or Telegram: there, once the notice is
sent, the debtor gets only a short courteous note that a formal letter was sent.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.escalation.default import put_in_default
from bot.escalation.notice import notice_channel
from bot.escalation.notice_document import claim_of, pdf_attachment
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    FormalNotice,
    Message,
    NoticeChannel,
    NoticeStatus,
)
from bot.outbox import attachments_payload, queue_message, queue_staff_alert
from bot.runtime import Runtime

NOTICE_TEMPLATE = "notice/email"
NOTE_TEMPLATE = "notice/sent_note"
NOTE_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS)
KIND = "formal_notice"


def notice_context(notice: FormalNotice, pec: bool) -> dict[str, Any]:
    """The notice's outbox row context: what the e-mail's text needs, and its route (e-mail
    only, a PEC address first)."""
    claim = claim_of(notice)
    return {
        "kind": KIND,
        "notice_id": notice.id,
        "protocol": notice.protocol,
        "issued_on_date": notice.issued_on.isoformat(),
        "deadline_date": notice.deadline.isoformat(),
        "notice_total_cents": notice.total_cents,
        "currency": notice.currency,
        "pec": pec,
        "formal": True,
        "channels": [Channel.EMAIL.value],
        "invoices": [
            {
                "id": line.invoice_id,
                "number": line.number,
                "due_date": line.due_date.isoformat(),
                "currency": line.currency,
                "balance_cents": line.principal_cents,
            }
            for line in claim.lines
        ],
        "totals": {notice.currency: notice.total_cents},
    }


async def queue_notice(
    runtime: Runtime, notice: FormalNotice, debtor: Debtor, point: ContactPoint
) -> Message | None:
    """The notice's e-mail in the outbox (to `point`, with the PDF), keyed by its cycle."""
    pec = notice_channel(point, runtime.settings.pec_enabled) is NoticeChannel.PEC
    row = await queue_message(
        debtor=debtor,
        template=NOTICE_TEMPLATE,
        context=notice_context(notice, pec),
        scheduled_at=runtime.now(),
        step=notice.step,
        channel=Channel.EMAIL,
        contact_point=point,
        idempotency_key=notice.cycle_key,
    )
    if row is not None:
        row.attachments = attachments_payload([pdf_attachment(notice)])
        await row.save(update_fields=["attachments"])
    return row


async def notice_sent(runtime: Runtime, row: Message, contact_point_id: int | None) -> None:
    """The outbox sent the notice's row: the notice is sent, by PEC or not (staff told when
    not), and the debtor's chats get the short note."""
    notice = await FormalNotice.get_or_none(id=row.context.get("notice_id"))
    if notice is None or notice.status is NoticeStatus.SENT:
        return
    point = await ContactPoint.get_or_none(id=contact_point_id) if contact_point_id else None
    channel = notice_channel(point, runtime.settings.pec_enabled) or NoticeChannel.EMAIL
    announced = notice.channel
    notice.status = NoticeStatus.SENT
    notice.sent_at = runtime.now()
    notice.channel = channel
    notice.address = point.address if point else notice.address
    await notice.save()
    debtor = await Debtor.get(id=notice.debtor_id)  # type: ignore[attr-defined]
    # The notice puts the debtor in default (costituzione in mora) on the day it went out: a
    # consumer's legal interest runs from the day after (bot/escalation/default.py).
    await put_in_default(debtor.id, runtime.now().astimezone(ZoneInfo(debtor.timezone)).date())
    if channel is NoticeChannel.EMAIL and announced is not NoticeChannel.EMAIL:
        # It was to go by PEC and went by ordinary e-mail after all (the PEC address failed).
        await queue_staff_alert(
            "staff/notice_plain_email.txt",
            {"protocol": notice.protocol, "debtor_name": debtor.name, "address": notice.address},
            now=runtime.now(),
            debtor=debtor,
            idempotency_key=f"notice-plain:{notice.id}",
        )
    await queue_note(runtime, notice, debtor)


async def queue_note(runtime: Runtime, notice: FormalNotice, debtor: Debtor) -> Message | None:
    """The courteous note on the debtor's chats (never the notice itself), when they have one."""
    points = await ContactPoint.filter(debtor_id=debtor.id, channel__in=NOTE_CHANNELS)
    if not any(point.reachable for point in points):
        return None
    return await queue_message(
        debtor=debtor,
        template=NOTE_TEMPLATE,
        context={
            "kind": "notice_note",
            "notice_id": notice.id,
            "protocol": notice.protocol,
            "pec": notice.channel is NoticeChannel.PEC,
            "address": notice.address,
            "channels": [channel.value for channel in NOTE_CHANNELS],
        },
        scheduled_at=runtime.now(),
        idempotency_key=f"notice-note:{notice.id}",
    )
