"""The staff chat's /paid and /writeoff: money that arrived by other ways, and what cannot be
collected (bot/payments/manual.py, bot/writeoffs.py; docs/payments.md).

/paid REF AMOUNT [DATE] [note]: any staff member but a viewer. The chat message's id makes it land
once: Telegram's redelivery of the same update records nothing twice.
/writeoff REF [AMOUNT] reason: staff whose `writeoff_limit_cents` covers the amount; anyone else
is refused politely and the refusal is audited.

`paid_text` and `writeoff_text` are the commands without Telegram (the demo calls them): the
words typed after the command in, the answer out.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import writeoffs
from bot.handlers.staff_chat import Context, StaffChat
from bot.models import AuditEvent, StaffMember
from bot.payments.manual import ManualError, find_ref, parse_paid, record_manual


class StaffManual(StaffChat):
    """/paid and /writeoff, answered in the staff chat with what was done and what is open."""

    def error_text(self, error: ManualError) -> str:
        return self.text("manual/error.txt", key=error.key, **error.context)

    async def on_paid(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        message = update.effective_message
        if member is not None and message is not None:
            key = f"staff-chat:{self.chat_id}:{message.message_id}"
            await self._say(update, await self.paid_text(member, list(context.args or []), key))
        raise ApplicationHandlerStop

    async def paid_text(self, member: StaffMember, args: list[str], key: str) -> str:
        """Record what /paid says (`key`: the chat message, recorded once) and say what it did."""
        try:
            request = parse_paid(args, self.runtime.today())
            outcome = await record_manual(
                self.runtime.settings,
                self.runtime.now(),
                request,
                actor=f"staff:{member.id}",
                provider_ref=key,
            )
        except ManualError as error:
            return self.error_text(error)
        return self.text("manual/paid.txt", by=member.name, **outcome.context())

    async def on_writeoff(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        if member is not None:
            await self._say(update, await self.writeoff_text(member, list(context.args or [])))
        raise ApplicationHandlerStop

    async def writeoff_text(self, member: StaffMember, args: list[str]) -> str:
        try:
            return await self._write_off(member, args)
        except ManualError as error:
            return self.error_text(error)

    async def _write_off(self, member: StaffMember, args: list[str]) -> str:
        request = writeoffs.parse_writeoff(args)
        debtor, invoice = await find_ref(request.ref)
        amount = request.amount_cents or await writeoffs.open_total(debtor, invoice)
        if amount <= 0:
            raise ManualError("nothing_open", ref=invoice.number if invoice else debtor.name)
        if not writeoffs.may_write_off(member, amount):
            await AuditEvent.create(
                actor=f"staff:{member.id}",
                action="writeoff_refused",
                subject=f"debtor:{debtor.id}",
                data={"amount_cents": amount, "limit_cents": member.writeoff_limit_cents},
            )
            return self.text(
                "manual/writeoff_refused.txt",
                amount_cents=amount,
                limit_cents=member.writeoff_limit_cents,
                currency=invoice.currency if invoice is not None else "EUR",
            )
        outcome = await writeoffs.write_off(
            self.runtime.now(),
            debtor=debtor,
            invoice=invoice,
            amount_cents=request.amount_cents,
            reason=request.reason,
            actor=f"staff:{member.id}",
            staff=member,
        )
        return self.text("manual/written_off.txt", by=member.name, **outcome.context())
