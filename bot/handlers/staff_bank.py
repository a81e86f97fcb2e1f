"""The staff chat's part in bank reconciliation: the unmatched-credits card's buttons
(`bankcredit:<credit>:<debtor>`) and `/assign <credit> <debtor name or ref>` for a debtor the card
did not offer. Both end in bot/decisions/bank_credits.py."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.decisions.bank_credits import assign_credit
from bot.handlers.staff_buttons import StaffButtons
from bot.handlers.staff_chat import Context
from bot.models import AuditEvent, BankCredit, Debtor
from bot.payments.bank_card import parse_assign_button

BUTTON_PATTERN = r"^bankcredit:"


def parse_assign_args(args: list[str]) -> tuple[int, str] | None:
    """['#12', 'Rossi', 'S.r.l.'] -> (12, 'Rossi S.r.l.'); None when malformed."""
    if len(args) < 2:
        return None
    number = args[0].lstrip("#")
    if not number.isdigit():
        return None
    return int(number), " ".join(args[1:])


class StaffBank(StaffButtons):
    async def on_assign_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.message is None or query.message.chat.id != self.chat_id:
            return
        parsed = parse_assign_button(query.data or "")
        member = await self.member(update)
        if member is None:
            await self._answer(update, self.text("not_staff.txt"), alert=True)
        elif parsed is None:
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
        else:
            credit = await BankCredit.get_or_none(id=parsed[0])
            debtor = await Debtor.get_or_none(id=parsed[1])
            if credit is None or debtor is None:
                await self._answer(update, self.text("unknown_button.txt"), alert=True)
            else:
                decision = await assign_credit(self.runtime, credit, debtor, member)
                await self._show(update, decision)
        raise ApplicationHandlerStop

    async def on_assign(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        if member is not None:
            parsed = parse_assign_args(list(context.args or []))
            credit = await BankCredit.get_or_none(id=parsed[0]) if parsed else None
            if parsed is None or credit is None:
                await AuditEvent.create(
                    actor=f"staff:{member.id}",
                    action="bankcredit.assign.unknown",
                    subject=f"chat:{self.chat_id}",
                    data={"args": " ".join(context.args or [])[:64]},
                )
                await self._say(update, self.text("usage.txt", command="assign"))
            else:
                debtor = await self._one_debtor(update, parsed[1])
                if debtor is not None:
                    decision = await assign_credit(self.runtime, credit, debtor, member)
                    await self._say(update, self.decision_text(decision))
        raise ApplicationHandlerStop
