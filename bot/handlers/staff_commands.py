"""The staff chat's commands and replies: /overdue, /debtor, /credit, /plan, /pause, /resume,
/done, and a staff member's reply to a relayed message (the hand-off) or to the counter-offer's
date prompt; /handoff REF hands a case to a collector or a lawyer (not the chat hand-off).

Every update from the staff chat ends with ApplicationHandlerStop: it never reaches a debtor flow.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.conversations.notify import notify_debtor, reply_contact_point, tell_debtor
from bot.conversations.replies import Reply
from bot.conversations.store import debtor_context, get_state, set_state
from bot.credit.card import CreditCard, load_credit_card, render_card, score_line
from bot.decisions import pauses, plans
from bot.escalation.outsourcing import AlreadyOutsourced, outsource
from bot.escalation.showing import claim_line_text, with_claim_line
from bot.flows.promise import parse_date
from bot.flows.stages import handed_off
from bot.flows.states import hand_back
from bot.handlers.staff_chat import COUNTER_DATE_TEMPLATE, Context, StaffChat
from bot.handlers.staff_notices import NOTICE_DEADLINE_TEMPLATE, deadline_reply
from bot.models import AuditEvent, Debtor, Message, PaymentPlan, StaffMember
from bot.registry.history import load_history
from bot.staff_reports import debtor_report, overdue_report, plan_report
from bot.texts import render

DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 365
STAFF_MESSAGE_TEMPLATE = "decisions/staff_message.txt"
# The hand-off package is attached in the staff chat up to this size (the Bot API takes 50 MB).
MAX_HANDOFF_ZIP_BYTES = 20 * 1024 * 1024
log = logging.getLogger(__name__)


def parse_pause_args(args: list[str]) -> tuple[str, int] | None:
    """'/pause Rossi Srl 14' -> ("Rossi Srl", 14); the days are optional (DEFAULT_PAUSE_DAYS)."""
    if not args:
        return None
    days = DEFAULT_PAUSE_DAYS
    if len(args) > 1 and args[-1].lstrip("-").isdigit():
        days = int(args[-1])
        args = args[:-1]
    if not 1 <= days <= MAX_PAUSE_DAYS:
        return None
    return " ".join(args), days


class StaffCommands(StaffChat):
    """The staff chat's command and message handlers."""

    async def on_overdue(self, update: Update, context: Context) -> None:
        if await self._staff_only(update) is not None:
            report = await overdue_report(self.runtime.today())
            await self._say(update, self.text("overdue.txt", **report))
        raise ApplicationHandlerStop

    async def on_debtor(self, update: Update, context: Context) -> None:
        if await self._staff_only(update) is not None:
            query = " ".join(context.args or [])
            if not query:
                await self._say(update, self.text("usage.txt", command="debtor"))
            else:
                debtor = await self._one_debtor(update, query)
                if debtor is not None:
                    await self._say(update, await self.debtor_card(debtor))
        raise ApplicationHandlerStop

    async def on_credit(self, update: Update, context: Context) -> None:
        """/credit REF: the debtor's credit card (limit, exposure, risk score and reasons)."""
        if await self._staff_only(update) is not None:
            query = " ".join(context.args or [])
            if not query:
                await self._say(update, self.text("usage.txt", command="credit"))
            else:
                debtor = await self._one_debtor(update, query)
                if debtor is not None:
                    card = await self._credit_card(debtor)
                    await self._say(update, render_card(card, self.language))
        raise ApplicationHandlerStop

    async def _credit_card(self, debtor: Debtor) -> CreditCard:
        runtime = self.runtime
        return await load_credit_card(
            runtime.today(), debtor, zone=runtime.settings.zone, credit=runtime.policy.credit
        )

    async def debtor_card(self, debtor: Debtor) -> str:
        """/debtor: the header (exposure, the score's line), the card, and as much of the whole
        timeline as one message holds (bot/registry/)."""
        report = await debtor_report(debtor, self.runtime.policy)
        history = await load_history(debtor, self.runtime.today())
        line = score_line(await self._credit_card(debtor), self.language)
        runtime = self.runtime
        claim = await claim_line_text(runtime.policy, debtor.id, runtime.today(), self.language)
        line = with_claim_line(line, claim)  # interest and the €40 to date (docs/interest.md)
        return history.chat_text(self.text("debtor.txt", **report), self.language, line)

    async def on_plan(self, update: Update, context: Context) -> None:
        if await self._staff_only(update) is not None:
            query = " ".join(context.args or [])
            if not query:
                await self._say(update, self.text("usage.txt", command="plan"))
            else:
                debtor = await self._one_debtor(update, query)
                if debtor is not None:
                    await self._say(update, self.text("plan.txt", **await plan_report(debtor)))
        raise ApplicationHandlerStop

    async def on_pause(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        if member is not None:
            parsed = parse_pause_args(list(context.args or []))
            if parsed is None:
                await self._say(
                    update, self.text("usage.txt", command="pause", max_days=MAX_PAUSE_DAYS)
                )
            else:
                debtor = await self._one_debtor(update, parsed[0])
                if debtor is not None:
                    until = await pauses.pause_debtor(self.runtime, debtor, member, parsed[1])
                    await self._say(
                        update, self.text("paused.txt", debtor=debtor, until=until, by=member.name)
                    )
        raise ApplicationHandlerStop

    async def on_resume(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        if member is not None:
            query = " ".join(context.args or [])
            if not query:
                await self._say(update, self.text("usage.txt", command="resume"))
            else:
                debtor = await self._one_debtor(update, query)
                if debtor is not None:
                    await pauses.resume_debtor(self.runtime, debtor, member)
                    await self._say(update, self.text("resumed.txt", debtor=debtor, by=member.name))
        raise ApplicationHandlerStop

    async def on_done(self, update: Update, context: Context) -> None:
        member = await self._acting_staff(update)
        if member is not None:
            debtor: Debtor | None = None
            row = await self._replied_row(update)
            if row is not None and row.debtor_id is not None:  # type: ignore[attr-defined]
                debtor = await Debtor.get_or_none(id=row.debtor_id)  # type: ignore[attr-defined]
            elif context.args:
                debtor = await self._one_debtor(update, " ".join(context.args))
            else:
                await self._say(update, self.text("usage.txt", command="done"))
            if debtor is not None:
                await self._hand_back(update, member, debtor)
        raise ApplicationHandlerStop

    async def _hand_back(self, update: Update, member: StaffMember, debtor: Debtor) -> None:
        state = await get_state(debtor)
        if not handed_off(state):
            await self._say(update, self.text("not_in_handoff.txt", debtor=debtor))
            return
        ctx = await debtor_context(self.runtime, debtor)
        outcome = hand_back(state, ctx)
        await set_state(debtor, outcome.new_state)
        await AuditEvent.create(
            actor=f"staff:{member.id}", action="handoff.ended", subject=f"debtor:{debtor.id}"
        )
        await tell_debtor(self.runtime, debtor, outcome.replies)
        await self._say(update, self.text("handed_back.txt", debtor=debtor, by=member.name))

    async def on_reply(self, update: Update, context: Context) -> None:
        """A staff member answers a relayed message (or the counter's date prompt)."""
        message = update.effective_message
        row = await self._replied_row(update)
        if message is None or row is None:
            raise ApplicationHandlerStop  # staff talking among themselves
        member = await self._acting_staff(update)
        if member is not None:
            if row.template == COUNTER_DATE_TEMPLATE:
                await self._counter_date(update, member, row, message.text or "")
            elif row.template == NOTICE_DEADLINE_TEMPLATE:
                text = message.text or ""
                await self._say(update, await deadline_reply(self, update, member, row, text))
            elif row.debtor_id is not None:  # type: ignore[attr-defined]
                debtor = await Debtor.get(id=row.debtor_id)  # type: ignore[attr-defined]
                await self._relay(update, member, debtor, message.text or "")
        raise ApplicationHandlerStop

    async def _counter_date(
        self, update: Update, member: StaffMember, row: Message, text: str
    ) -> None:
        plan = await PaymentPlan.get_or_none(id=row.context.get("plan_id"))
        today = self.runtime.today()
        day = parse_date(text, self.language, today, prefer="future")
        if plan is None or day is None:
            await self._say(update, self.text("counter_bad_date.txt", text=text[:40]))
            return
        decision = await plans.counter_plan(self.runtime, plan, member, first_due=day)
        await self._say(update, self.decision_text(decision))

    async def _relay(self, update: Update, member: StaffMember, debtor: Debtor, text: str) -> None:
        state = await get_state(debtor)
        if not handed_off(state):
            await self._say(update, self.text("not_in_handoff.txt", debtor=debtor))
            return
        if not text.strip():
            await self._say(update, self.text("relay_text_only.txt"))
            return
        if await reply_contact_point(debtor) is None:
            await self._say(update, self.text("relay_unreachable.txt", debtor=debtor))
            return
        words = render(
            STAFF_MESSAGE_TEMPLATE,
            debtor.language,
            staff_name=member.name,
            company=self.runtime.settings.company_name,
            text=text,
        )
        await AuditEvent.create(
            actor=f"staff:{member.id}",
            action="handoff.reply",
            subject=f"debtor:{debtor.id}",
            data={"chars": len(text)},
        )
        await notify_debtor(
            self.runtime,
            debtor,
            [Reply(text=words, template=STAFF_MESSAGE_TEMPLATE)],
            kind="staff_message",
        )

    async def on_handoff(self, update: Update, context: Context) -> None:
        """/handoff REF: the case to a collector or a lawyer (bot/escalation/outsourcing.py)."""
        member = await self._acting_staff(update)
        if member is not None:
            query = " ".join(context.args or [])
            if not query:
                await self._say(update, self.text("usage.txt", command="handoff"))
            else:
                debtor = await self._one_debtor(update, query)
                if debtor is not None:
                    await self._outsource(update, member, debtor)
        raise ApplicationHandlerStop

    async def _outsource(self, update: Update, member: StaffMember, debtor: Debtor) -> None:
        runtime = self.runtime
        try:
            done = await outsource(
                runtime.settings,
                debtor,
                actor=f"staff:{member.id}",
                by=member.name,
                now=runtime.now(),
                language=self.language,
            )
        except AlreadyOutsourced:
            on = debtor.outsourced_at.astimezone(runtime.settings.zone).date()  # type: ignore[union-attr]
            await self._say(update, self.text("already_outsourced.txt", debtor=debtor, on=on))
            return
        attach = done.archive.stat().st_size <= MAX_HANDOFF_ZIP_BYTES
        fields = {"folder": done.folder, "archive": done.archive, "figures": done.figures}
        text = self.text(
            "outsourced.txt",
            debtor=debtor,
            by=member.name,
            cancelled=done.cancelled,
            zip_attached=attach,
            **fields,
        )
        await self._say(update, text)
        message = update.effective_message
        if attach and message is not None:
            try:
                await message.reply_document(
                    document=done.archive.read_bytes(), filename=done.archive.name
                )
            except TelegramError as exc:  # the hand-off is done; the path was given above
                log.warning("hand-off package not attached: %s", exc)

    async def on_other(self, update: Update, context: Context) -> None:
        """Anything else said in the staff chat is the staff's own business."""
        raise ApplicationHandlerStop
