"""The staff chat's part in a formal notice: the Edit deadline press asks for a date or a number
of days, and the reply to that question sets it (bot/decisions/notices.py renders the PDF again
and queues a fresh card; the old card loses its buttons). Approve and Skip are ordinary decisions
(bot/handlers/staff_buttons.py)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.decisions import notices
from bot.decisions.common import audit
from bot.handlers.staff_chat import StaffChat
from bot.models import Channel, Direction, FormalNotice, Message, MessageStatus, StaffMember

log = logging.getLogger(__name__)

NOTICE_DEADLINE_TEMPLATE = "staff/notice_ask_deadline.txt"


async def ask_deadline(chat: StaffChat, update: Update, member: StaffMember, notice_id: int) -> str:
    """Ask for the new deadline (a reply to this question is read by `deadline_reply`); the
    answer for the press."""
    query = update.callback_query
    assert query is not None and query.message is not None
    notice = await FormalNotice.get_or_none(id=notice_id)
    if notice is None or notice.status not in notices.OPEN_STATUSES:
        return chat.text("unknown_button.txt")
    await audit(member, "notice.deadline.ask", notices.subject_of(notice))
    text = chat.text("notice_ask_deadline.txt", protocol=notice.protocol, deadline=notice.deadline)
    sent = await query.get_bot().send_message(chat.chat_id, text)
    now = chat.runtime.now()
    await Message.create(
        direction=Direction.OUTBOUND,
        audience="staff",
        channel=Channel.TELEGRAM,
        template=NOTICE_DEADLINE_TEMPLATE,
        body=text,
        context={"notice_id": notice.id, "card_message_id": query.message.message_id},
        status=MessageStatus.SENT,
        provider_id=f"{chat.chat_id}:{sent.message_id}",
        scheduled_at=now,
        sent_at=now,
    )
    return chat.text("notice_deadline_asked.txt", protocol=notice.protocol)


async def deadline_reply(
    chat: StaffChat, update: Update, member: StaffMember, row: Message, text: str
) -> str:
    """The reply to the deadline question: the new deadline set, or why not."""
    notice = await FormalNotice.get_or_none(id=row.context.get("notice_id"))
    if notice is None:
        return chat.text("unknown_button.txt")
    day = notices.deadline_from(text, notice.issued_on, chat.runtime.today())
    if day is None:
        return chat.text("notice_bad_deadline.txt", text=text[:40])
    decision = await notices.set_deadline(chat.runtime, notice, member, day)
    if decision.verdict.value == "deadline_set":
        card = row.context.get("card_message_id")
        message = update.effective_message
        if card and message is not None:
            try:  # the old card's buttons go: the fresh card below carries them
                await message.get_bot().edit_message_reply_markup(
                    chat.chat_id, int(card), reply_markup=None
                )
            except TelegramError as exc:
                log.info("old notice card not edited: %s", exc)
    return chat.decision_text(decision)
