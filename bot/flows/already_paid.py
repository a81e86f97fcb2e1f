""" "I already paid": ask when, optionally take a receipt, then let staff check.

already_paid.date     today / yesterday / a typed date (read as a past one)  -> .receipt
already_paid.receipt  a photo or PDF, or "no receipt"                         -> ClaimPaid
"""

from __future__ import annotations

import datetime as dt

from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, ReplySpec
from bot.flows.effects import ClaimPaid
from bot.flows.options import Choice
from bot.flows.promise import parse_paid_date
from bot.flows.stages import MENU, At, Data, Stage, go, say

# A claimed payment older than this is surely a misreading (or a different matter for staff).
OLDEST_CLAIM = dt.timedelta(days=366)


def _date_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (
        opt.option(opt.PAID_TODAY),
        opt.option(opt.PAID_YESTERDAY),
        opt.option(opt.BACK),
    )


def _date_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say("flows/already_paid/ask_date.txt", _date_options(data, ctx))


def _to_receipt(day: dt.date, ctx: FlowContext) -> Outcome:
    return go(At.PAID_RECEIPT, {"date": day.isoformat()})


def _date_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(MENU)
    if key == opt.PAID_TODAY:
        return _to_receipt(ctx.today, ctx)
    if key == opt.PAID_YESTERDAY:
        return _to_receipt(ctx.today - dt.timedelta(days=1), ctx)
    return None


def _date_text(user: Input, data: Data, ctx: FlowContext) -> Outcome | None:
    day = parse_paid_date(user.text, ctx.language, ctx.today)
    if day is None:
        return None
    return _checked(day, ctx)


def _checked(day: dt.date, ctx: FlowContext) -> Outcome:
    if day > ctx.today or ctx.today - day > OLDEST_CLAIM:
        refused = say("flows/already_paid/date_refused.txt", day=day, today=ctx.today)
        return go(At.PAID_DATE, before=[refused])
    return _to_receipt(day, ctx)


def claim_on(day: dt.date, ctx: FlowContext) -> Outcome:
    """A sentence said it was paid on `day` ("ho pagato ieri"): on to the receipt question, or
    say why that date cannot be right."""
    return _checked(day, ctx)


def _receipt_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (opt.option(opt.SKIP), opt.option(opt.BACK))


def _receipt_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    day = dt.date.fromisoformat(data["date"])
    return say("flows/already_paid/ask_receipt.txt", _receipt_options(data, ctx), day=day)


def _claim(data: Data, ctx: FlowContext, attachments: tuple[dict, ...]) -> Outcome:
    day = dt.date.fromisoformat(data["date"])
    done = say(
        "flows/already_paid/recorded.txt",
        day=day,
        pause_days=ctx.policy.already_paid.pause_days,
        with_receipt=bool(attachments),
    )
    effect = ClaimPaid(date=day, attachments=attachments)
    return go(MENU, before=[done], effects=[effect], prompt=False)


def _receipt_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(At.PAID_DATE)
    if key == opt.SKIP:
        return _claim(data, ctx, ())
    return None


def _receipt_text(user: Input, data: Data, ctx: FlowContext) -> Outcome | None:
    if not user.attachments:
        return None
    return _claim(data, ctx, tuple(user.attachments))


# The stages this module handles; where each may lead is declared in bot/flows/graph.py.
DATE = Stage(At.PAID_DATE, _date_options, _date_prompt, _date_choose, _date_text)
RECEIPT = Stage(At.PAID_RECEIPT, _receipt_options, _receipt_prompt, _receipt_choose, _receipt_text)
