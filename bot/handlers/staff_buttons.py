"""The staff chat's buttons: the alert cards' Approve / Reject / Counter / Confirm ... presses.

Every press from the staff chat ends with ApplicationHandlerStop: it never reaches a debtor flow.
Each press maps to one decision (bot/decisions/); every press is in the audit log.

Button data (Option.key on the alert cards):
  plan:approve|reject|counter:<plan id>, plan:counter:<plan id>:<count>|date
  discount:approve|reject:<id>, claim:confirm|notfound:<id>,
  dispute:resolve|cancel_invoice|resume:<id>, notice:approve|deadline|skip:<id>
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop
from tortoise.models import Model

from bot.decisions import claims, discounts, disputes, notices, plans
from bot.decisions.common import Decision, Verdict, check_authority
from bot.flows.plan import offered_counts
from bot.handlers.staff_chat import COUNTER_DATE_TEMPLATE, Context, StaffChat
from bot.handlers.staff_notices import ask_deadline
from bot.models import (
    AuditEvent,
    Channel,
    Direction,
    DiscountRequest,
    Dispute,
    FormalNotice,
    Message,
    MessageStatus,
    PaymentClaim,
    PaymentPlan,
    StaffMember,
)
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Telegram shows at most 200 characters in a button press's answer.
ANSWER_LIMIT = 200
CAPTION_LIMIT = 1024  # a document's caption (a notice card)

Decide = Callable[[Runtime, Any, StaffMember | None], Awaitable[Decision]]

# (kind, action) -> (model, decision)
DECISIONS: dict[tuple[str, str], tuple[type[Model], Decide]] = {
    ("plan", "approve"): (PaymentPlan, plans.activate_plan),
    ("plan", "reject"): (PaymentPlan, plans.reject_plan),
    ("discount", "approve"): (DiscountRequest, discounts.approve_discount),
    ("discount", "reject"): (DiscountRequest, discounts.reject_discount),
    ("claim", "confirm"): (PaymentClaim, claims.confirm_claim),
    ("claim", "notfound"): (PaymentClaim, claims.claim_not_found),
    ("dispute", "resolve"): (Dispute, disputes.resolve_dispute),
    ("dispute", "cancel_invoice"): (Dispute, disputes.cancel_disputed_invoice),
    ("dispute", "resume"): (Dispute, disputes.resume_chasing),
    ("notice", "approve"): (FormalNotice, notices.approve_notice),
    ("notice", "skip"): (FormalNotice, notices.skip_notice),
}
# Presses that ask something before deciding (no decision of their own).
QUESTIONS = (("plan", "counter"), ("notice", "deadline"))


def parse_button(data: str) -> tuple[str, str, int, str] | None:
    """'plan:counter:7:3' -> ("plan", "counter", 7, "3"); None for anything not a staff button."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit():
        return None
    kind, action, number = parts[0], parts[1], int(parts[2])
    extra = parts[3] if len(parts) == 4 else ""
    if (kind, action) not in DECISIONS and (kind, action) not in QUESTIONS:
        return None
    if extra and (kind, action) != ("plan", "counter"):
        return None
    return kind, action, number, extra


class StaffButtons(StaffChat):
    """The callback-query handler of the staff chat."""

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
        if (kind, action) == ("notice", "deadline"):
            await self._answer(update, await ask_deadline(self, update, member, number))
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
        outcome = self.decision_text(decision)
        refused = decision.verdict in (Verdict.NOT_ALLOWED, Verdict.INVALID)
        await self._answer(update, outcome, alert=refused)
        if refused:
            return
        query = update.callback_query
        assert query is not None and query.message is not None
        card = getattr(query.message, "text", None) or ""
        caption = getattr(query.message, "caption", None)  # a card with a document (a notice)
        try:
            if decision.verdict is Verdict.ALREADY_DECIDED:
                await query.edit_message_reply_markup(reply_markup=None)
            elif caption is not None:
                await query.edit_message_caption(
                    f"{caption}\n\n{outcome}"[:1024], reply_markup=None
                )
            else:
                await query.edit_message_text(f"{card}\n\n{outcome}".strip(), reply_markup=None)
        except TelegramError as exc:  # the card is old or unchanged; the answer said it all
            log.info("staff card not edited: %s", exc)

    async def _counter(self, update: Update, member: StaffMember, plan_id: int, extra: str) -> None:
        plan = await PaymentPlan.get_or_none(id=plan_id)
        if plan is None:
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
            return
        if extra in ("", "date"):  # before offering terms: may this member decide at all?
            refused = await check_authority(
                member, "plan.counter", f"plan:{plan_id}", plan.total_cents, plan.currency
            )
            if refused is not None:
                await self._show(update, refused)
                return
        if not extra:  # first press: choose the terms
            await self._offer_terms(update, member, plan)
        elif extra == "date":
            await self._ask_date(update, member, plan_id)
        elif not extra.isdigit():
            await self._answer(update, self.text("unknown_button.txt"), alert=True)
        else:
            decision = await plans.counter_plan(self.runtime, plan, member, count=int(extra))
            await self._show(update, decision)

    async def _offer_terms(self, update: Update, member: StaffMember, plan: PaymentPlan) -> None:
        """The card's buttons become the counts the policy allows, and "another first date"."""
        query = update.callback_query
        assert query is not None
        await AuditEvent.create(
            actor=f"staff:{member.id}", action="plan.counter.opened", subject=f"plan:{plan.id}"
        )
        today = self.runtime.today()
        first_due = max(plan.first_due_date, today)
        counts = offered_counts(plan.total_cents, self.runtime.policy.instalments, first_due, today)
        labels = [
            InlineKeyboardButton(
                self.text("counter_count_label.txt", count=count),
                callback_data=f"plan:counter:{plan.id}:{count}",
            )
            for count in counts
            if count != plan.instalment_count
        ]
        date_button = InlineKeyboardButton(
            self.text("counter_date_label.txt"), callback_data=f"plan:counter:{plan.id}:date"
        )
        await self._answer(update, self.text("counter_choose.txt", plan_id=plan.id))
        try:
            rows = [labels, [date_button]] if labels else [[date_button]]
            await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
        except TelegramError as exc:
            log.info("counter buttons not shown: %s", exc)

    async def _ask_date(self, update: Update, member: StaffMember, plan_id: int) -> None:
        """Ask for the first date; a reply to this message is read by staff_commands.on_reply."""
        query = update.callback_query
        assert query is not None
        await AuditEvent.create(
            actor=f"staff:{member.id}", action="plan.counter.ask_date", subject=f"plan:{plan_id}"
        )
        await self._answer(update, self.text("counter_choose.txt", plan_id=plan_id))
        text = self.text("counter_ask_date.txt", plan_id=plan_id)
        sent = await query.get_bot().send_message(self.chat_id, text)
        await self._remember(sent.message_id, COUNTER_DATE_TEMPLATE, text, {"plan_id": plan_id})

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
