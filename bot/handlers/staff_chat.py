"""What the staff chat's handlers share: who may speak, the texts, finding a debtor by name.

The staff chat is the Telegram group TELEGRAM_STAFF_CHAT_ID; its buttons are handled in
staff_buttons.py, its commands and replies in staff_commands.py, and staff.py registers both.
Only registered staff (`python -m bot staff add`) get answers; anyone else gets a polite refusal.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.decisions.common import Decision
from bot.models import AuditEvent, Debtor, Message, StaffMember, StaffRole
from bot.runtime import Runtime
from bot.staff_reports import MATCHES_SHOWN, find_debtors
from bot.texts import render

log = logging.getLogger(__name__)

COUNTER_DATE_TEMPLATE = "staff/counter_ask_date.txt"

Context = ContextTypes.DEFAULT_TYPE


class StaffChat:
    """The staff chat's shared helpers, bound to the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.chat_id = runtime.settings.telegram_staff_chat_id
        self.language = runtime.settings.default_language

    def text(self, template: str, **context: Any) -> str:
        return render(f"staff/{template}", self.language, **context)

    async def member(self, update: Update) -> StaffMember | None:
        """The registered, active staff member behind this update; None (and audited) otherwise."""
        user = update.effective_user
        if user is None:
            return None
        member = await StaffMember.get_or_none(telegram_user_id=user.id, active=True)
        if member is None:
            what = update.callback_query.data if update.callback_query else "message"
            await AuditEvent.create(
                actor=f"telegram:{user.id}",
                action="staff.refused",
                subject=f"chat:{self.chat_id}",
                data={"what": (what or "")[:64]},
            )
        return member

    def decision_text(self, decision: Decision) -> str:
        """What a decision says in the staff chat: templates/<lang>/staff/decision/<verdict>."""
        return self.text(
            f"decision/{decision.verdict.value}.txt",
            by=decision.by,
            detail=decision.detail,
            amount_cents=decision.amount_cents,
            currency=decision.currency,
        )

    # Commands --------------------------------------------------------------------------------

    async def _say(self, update: Update, text: str) -> None:
        message = update.effective_message
        if message is None:
            return
        try:
            await message.reply_text(text)
        except TelegramError as exc:  # the command's effect is done; a redelivery would repeat it
            log.warning("staff chat answer not sent: %s", exc)

    async def _staff_only(self, update: Update) -> StaffMember | None:
        member = await self.member(update)
        if member is None:
            await self._say(update, self.text("not_staff.txt"))
        return member

    async def _acting_staff(self, update: Update) -> StaffMember | None:
        """Staff who may change something (pause, resume, talk to a debtor): not viewers."""
        member = await self._staff_only(update)
        if member is not None and member.role is StaffRole.VIEWER:
            await AuditEvent.create(
                actor=f"staff:{member.id}",
                action="staff.viewer_refused",
                subject=f"chat:{self.chat_id}",
            )
            await self._say(update, self.text("viewer_only.txt"))
            return None
        return member

    async def _one_debtor(self, update: Update, query: str) -> Debtor | None:
        matches = await find_debtors(query)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            await self._say(update, self.text("debtor_not_found.txt", query=query))
        else:
            await self._say(
                update,
                self.text(
                    "debtor_ambiguous.txt",
                    query=query,
                    debtors=matches[:MATCHES_SHOWN],
                    more=len(matches) > MATCHES_SHOWN,
                ),
            )
        return None

    async def _replied_row(self, update: Update) -> Message | None:
        """The staff-chat message this one answers, as stored when it was sent."""
        message = update.effective_message
        replied = message.reply_to_message if message else None
        if replied is None:
            return None
        return await Message.get_or_none(
            audience="staff", provider_id=f"{self.chat_id}:{replied.message_id}"
        )
