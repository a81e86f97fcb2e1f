"""The staff chat (the Telegram group TELEGRAM_STAFF_CHAT_ID): buttons, commands, hand-off replies.

Registered on the Application in group -1, ahead of the debtor handlers, and every update from the
staff chat ends with ApplicationHandlerStop: a staff press or message never reaches a debtor flow.
Only registered staff (`python -m bot staff add`) get answers; anyone else gets a polite refusal,
and every press is in the audit log. Decisions themselves live in bot/decisions.py.

Button data (Option.key on the alert cards):
  plan:approve|reject|counter:<plan id>, plan:counter:<plan id>:<count>|date
  discount:approve|reject:<id>, claim:confirm|notfound:<id>,
  dispute:resolve|cancel_invoice|resume:<id>
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from tortoise.models import Model

from bot import decisions
from bot.decisions import Decision, Verdict
from bot.flows.engine import Reply, get_state, notify_debtor, reply_contact_point, set_state
from bot.flows.plan import offered_counts
from bot.flows.promise import parse_date
from bot.flows.states import hand_back
from bot.models import (
    AuditEvent,
    Channel,
    Debtor,
    Direction,
    DiscountRequest,
    Dispute,
    Message,
    MessageStatus,
    PaymentClaim,
    PaymentPlan,
    StaffMember,
    StaffRole,
)
from bot.runtime import Runtime
from bot.staff_reports import (
    MATCHES_SHOWN,
    debtor_report,
    find_debtors,
    overdue_report,
    plan_report,
)
from bot.texts import render

log = logging.getLogger(__name__)

STAFF_GROUP = -1  # before the debtor handlers (group 0)
DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 365
HANDOFF_FLOW = "handoff"
COUNTER_DATE_TEMPLATE = "staff/counter_ask_date.txt"
STAFF_MESSAGE_TEMPLATE = "decisions/staff_message.txt"
# Telegram shows at most 200 characters in a button press's answer.
ANSWER_LIMIT = 200

Context = ContextTypes.DEFAULT_TYPE
Decide = Callable[[Runtime, Any, StaffMember | None], Awaitable[Decision]]

# (kind, action) -> (model, decision)
DECISIONS: dict[tuple[str, str], tuple[type[Model], Decide]] = {
    ("plan", "approve"): (PaymentPlan, decisions.activate_plan),
    ("plan", "reject"): (PaymentPlan, decisions.reject_plan),
    ("discount", "approve"): (DiscountRequest, decisions.approve_discount),
    ("discount", "reject"): (DiscountRequest, decisions.reject_discount),
    ("claim", "confirm"): (PaymentClaim, decisions.confirm_claim),
    ("claim", "notfound"): (PaymentClaim, decisions.claim_not_found),
    ("dispute", "resolve"): (Dispute, decisions.resolve_dispute),
    ("dispute", "cancel_invoice"): (Dispute, decisions.cancel_disputed_invoice),
    ("dispute", "resume"): (Dispute, decisions.resume_chasing),
}


def parse_button(data: str) -> tuple[str, str, int, str] | None:
    """'plan:counter:7:3' -> ("plan", "counter", 7, "3"); None for anything not a staff button."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit():
        return None
    kind, action, number = parts[0], parts[1], int(parts[2])
    extra = parts[3] if len(parts) == 4 else ""
    if (kind, action) not in DECISIONS and (kind, action) != ("plan", "counter"):
        return None
    if extra and (kind, action) != ("plan", "counter"):
        return None
    return kind, action, number, extra


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


class StaffChat:
    """The staff chat's handler callbacks, bound to the runtime."""

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

    # Buttons ---------------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.message is None or query.message.chat.id != self.chat_id:
            return  # a debtor's button: the debtor handlers take it
        try:
            await self._button(update)
        except Exception:  # the press must still stop here, never reaching a debtor flow
            log.exception("staff button %r failed", query.data)
            await self._answer(update, self.text("error.txt"), alert=True)
        raise ApplicationHandlerStop

    async def _answer(self, update: Update, text: str, *, alert: bool = False) -> None:
        query = update.callback_query
        assert query is not None
        try:
            await query.answer(text[:ANSWER_LIMIT], show_alert=alert)
        except TelegramError as exc:
            log.warning("could not answer staff button press %s: %s", query.id, exc)

    async def _button(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        parsed = parse_button(query.data or "")
        member = await self.member(update)
        if member is None:
            await self._answer(update, self.text("not_staff.txt"), alert=True)
            return
        if parsed is None:
            await AuditEvent.create(
                actor=f"staff:{member.id}",
                action="staff.unknown_button",
                subject=f"chat:{self.chat_id}",
                data={"data": (query.data or "")[:64]},
            )
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
            return
        kind, action, number, extra = parsed
        if (kind, action) == ("plan", "counter"):
            await self._counter(update, member, number, extra)
            return
        model, decide = DECISIONS[(kind, action)]
        record = await model.get_or_none(id=number)
        if record is None:
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
            return
        decision = await decide(self.runtime, record, member)
        await self._show(update, decision)

    async def _show(self, update: Update, decision: Decision) -> None:
        """Answer the press; a decided card shows who decided and loses its buttons."""
        outcome = self.text(
            f"decision/{decision.verdict.value}.txt",
            by=decision.by,
            detail=decision.detail,
            amount_cents=decision.amount_cents,
            currency=decision.currency,
        )
        refused = decision.verdict in (Verdict.NOT_ALLOWED, Verdict.INVALID)
        await self._answer(update, outcome, alert=refused)
        if refused:
            return
        query = update.callback_query
        assert query is not None and query.message is not None
        card = getattr(query.message, "text", None) or ""
        try:
            if decision.verdict is Verdict.ALREADY_DECIDED:
                await query.edit_message_reply_markup(reply_markup=None)
            else:
                await query.edit_message_text(f"{card}\n\n{outcome}".strip(), reply_markup=None)
        except TelegramError as exc:  # the card is old or unchanged; the answer said it all
            log.info("staff card not edited: %s", exc)

    async def _counter(self, update: Update, member: StaffMember, plan_id: int, extra: str) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        plan = await PaymentPlan.get_or_none(id=plan_id)
        if plan is None:
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
            return
        if extra in ("", "date"):  # before offering terms: may this member decide at all?
            refused = await decisions.check_authority(
                member, "plan.counter", f"plan:{plan_id}", plan.total_cents, plan.currency
            )
            if refused is not None:
                await self._show(update, refused)
                return
        if not extra:  # first press: choose the terms
            await AuditEvent.create(
                actor=f"staff:{member.id}", action="plan.counter.opened", subject=f"plan:{plan_id}"
            )
            today = self.runtime.today()
            first_due = max(plan.first_due_date, today)
            counts = offered_counts(
                plan.total_cents, self.runtime.policy.instalments, first_due, today
            )
            labels = [
                InlineKeyboardButton(
                    self.text("counter_count_label.txt", count=count),
                    callback_data=f"plan:counter:{plan_id}:{count}",
                )
                for count in counts
                if count != plan.instalment_count
            ]
            date_button = InlineKeyboardButton(
                self.text("counter_date_label.txt"), callback_data=f"plan:counter:{plan_id}:date"
            )
            await self._answer(update, self.text("counter_choose.txt", plan_id=plan_id))
            try:
                rows = [labels, [date_button]] if labels else [[date_button]]
                await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
            except TelegramError as exc:
                log.info("counter buttons not shown: %s", exc)
            return
        if extra == "date":
            await AuditEvent.create(
                actor=f"staff:{member.id}",
                action="plan.counter.ask_date",
                subject=f"plan:{plan_id}",
            )
            await self._answer(update, self.text("counter_choose.txt", plan_id=plan_id))
            text = self.text("counter_ask_date.txt", plan_id=plan_id)
            sent = await query.get_bot().send_message(self.chat_id, text)
            await self._remember(sent.message_id, COUNTER_DATE_TEMPLATE, text, {"plan_id": plan_id})
            return
        if not extra.isdigit():
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
            return
        decision = await decisions.counter_plan(self.runtime, plan, member, count=int(extra))
        await self._show(update, decision)

    async def _remember(
        self, message_id: int, template: str, text: str, context: dict[str, Any]
    ) -> None:
        """A bot message in the staff chat that a reply will refer to (the counter date prompt)."""
        now = self.runtime.now()
        await Message.create(
            direction=Direction.OUTBOUND,
            audience="staff",
            channel=Channel.TELEGRAM,
            template=template,
            body=text,
            context=context,
            status=MessageStatus.SENT,
            provider_id=f"{self.chat_id}:{message_id}",
            scheduled_at=now,
            sent_at=now,
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
                    report = await debtor_report(debtor, self.runtime.policy)
                    await self._say(update, self.text("debtor.txt", **report))
        raise ApplicationHandlerStop

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
                    until = await decisions.pause_debtor(self.runtime, debtor, member, parsed[1])
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
                    await decisions.resume_debtor(self.runtime, debtor, member)
                    await self._say(update, self.text("resumed.txt", debtor=debtor, by=member.name))
        raise ApplicationHandlerStop

    # Hand-off --------------------------------------------------------------------------------

    async def _replied_row(self, update: Update) -> Message | None:
        """The staff-chat message this one answers, as stored when it was sent."""
        message = update.effective_message
        replied = message.reply_to_message if message else None
        if replied is None:
            return None
        return await Message.get_or_none(
            audience="staff", provider_id=f"{self.chat_id}:{replied.message_id}"
        )

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
        if state.get("flow") != HANDOFF_FLOW:
            await self._say(update, self.text("not_in_handoff.txt", debtor=debtor))
            return
        ctx = await decisions.flow_context(self.runtime, debtor)
        outcome = hand_back(state, ctx)
        await set_state(debtor, outcome.new_state)
        await AuditEvent.create(
            actor=f"staff:{member.id}", action="handoff.ended", subject=f"debtor:{debtor.id}"
        )
        await decisions.tell_debtor(self.runtime, debtor, outcome.replies)
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
        decision = await decisions.counter_plan(self.runtime, plan, member, first_due=day)
        await self._say(
            update,
            self.text(
                f"decision/{decision.verdict.value}.txt",
                by=decision.by,
                detail=decision.detail,
                amount_cents=decision.amount_cents,
                currency=decision.currency,
            ),
        )

    async def _relay(self, update: Update, member: StaffMember, debtor: Debtor, text: str) -> None:
        state = await get_state(debtor)
        if state.get("flow") != HANDOFF_FLOW:
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

    async def on_other(self, update: Update, context: Context) -> None:
        """Anything else said in the staff chat is the staff's own business."""
        raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> None:
    """Add the staff chat's handlers (no-op without TELEGRAM_STAFF_CHAT_ID)."""
    chat_id = runtime.settings.telegram_staff_chat_id
    if chat_id is None:
        return
    staff = StaffChat(runtime)
    in_staff_chat = filters.Chat(chat_id=chat_id)
    commands = {
        "overdue": staff.on_overdue,
        "debtor": staff.on_debtor,
        "pause": staff.on_pause,
        "resume": staff.on_resume,
        "plan": staff.on_plan,
        "done": staff.on_done,
    }
    handlers = [
        CallbackQueryHandler(staff.on_button),
        *(
            CommandHandler(name, callback, filters=in_staff_chat)
            for name, callback in commands.items()
        ),
        MessageHandler(in_staff_chat & filters.REPLY & ~filters.COMMAND, staff.on_reply),
        MessageHandler(in_staff_chat, staff.on_other),
    ]
    application.add_handlers(handlers, group=STAFF_GROUP)


__all__ = ["StaffChat", "parse_button", "parse_pause_args", "register"]
