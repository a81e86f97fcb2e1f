"""Disputes: a reason, which invoice (when there are several), a description or documents.

dispute.reason    wrong amount / goods or service / not mine / other     -> .invoice or .describe
dispute.invoice   one of the debtor's open invoices, or all of them      -> .describe
dispute.describe  free text and attachments ("other" needs words)        -> OpenDispute
The disputed invoice leaves the cadence when the engine applies OpenDispute.
"""

from __future__ import annotations

from bot.enums import DisputeReason
from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, ReplySpec, clean_message
from bot.flows.effects import OpenDispute
from bot.flows.options import Choice
from bot.flows.stages import MENU, At, Data, Stage, go, say

# Longer descriptions are cut: the staff alert must stay readable, the rest is in the message log.
LONGEST_DESCRIPTION = 2000

REASONS = {
    opt.DISPUTE_WRONG_AMOUNT: DisputeReason.WRONG_AMOUNT,
    opt.DISPUTE_GOODS_OR_SERVICE: DisputeReason.GOODS_OR_SERVICE,
    opt.DISPUTE_NOT_MINE: DisputeReason.NOT_MINE,
    opt.DISPUTE_OTHER: DisputeReason.OTHER,
}


def _reason(data: Data) -> DisputeReason:
    return DisputeReason(data["reason"])  # malformed: ValueError -> the stale path


def _invoice(data: Data, ctx: FlowContext) -> str | None:
    """The disputed invoice's number; None for all of them. Only this debtor's invoices."""
    number = data.get("invoice")
    if number is None:
        return None
    if not isinstance(number, str) or ctx.invoice(number) is None:
        raise ValueError("the invoice is not one of this debtor's open invoices")
    return number


def _reason_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (
        *(opt.option(key) for key in REASONS),
        opt.option(opt.BACK),
    )


def _reason_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say("flows/dispute/ask_reason.txt", _reason_options(data, ctx))


def _reason_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(MENU)
    reason = REASONS.get(key)
    if reason is None:
        return None
    if len(ctx.invoices) > 1:
        return go(At.DISPUTE_INVOICE, {"reason": str(reason)})
    only = ctx.invoices[0].number if ctx.invoices else None
    return go(At.DISPUTE_DESCRIBE, {"reason": str(reason), "invoice": only})


def choose_reason(key: str, ctx: FlowContext) -> Outcome | None:
    """A reason said in words ("l'importo è sbagliato"): on as if its button had been pressed."""
    return _reason_choose(key, {}, ctx)


def _invoice_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (
        *(opt.invoice_option(i.number, i.balance_cents, ctx.currency) for i in ctx.invoices),
        opt.option(opt.DISPUTE_ALL_INVOICES),
        opt.option(opt.BACK),
    )


def _invoice_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say("flows/dispute/ask_invoice.txt", _invoice_options(data, ctx))


def _invoice_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    reason = str(_reason(data))
    if key == opt.BACK:
        return go(At.DISPUTE_REASON)
    if key == opt.DISPUTE_ALL_INVOICES:
        return go(At.DISPUTE_DESCRIBE, {"reason": reason, "invoice": None})
    number = key.removeprefix(opt.INVOICE_PREFIX)
    if key.startswith(opt.INVOICE_PREFIX) and ctx.invoice(number) is not None:
        return go(At.DISPUTE_DESCRIBE, {"reason": reason, "invoice": number})
    return None


def _describe_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    if _reason(data) == DisputeReason.OTHER:
        return (opt.option(opt.BACK),)
    return (opt.option(opt.NO_DETAILS), opt.option(opt.BACK))


def _describe_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say(
        "flows/dispute/ask_description.txt",
        _describe_options(data, ctx),
        reason=str(_reason(data)),
        invoice=_invoice(data, ctx),
    )


def _open(data: Data, ctx: FlowContext, text: str, attachments: tuple[dict, ...]) -> Outcome:
    reason, invoice = _reason(data), _invoice(data, ctx)
    effect = OpenDispute(
        reason=str(reason),
        text=clean_message(text)[:LONGEST_DESCRIPTION],
        invoice_number=invoice,
        attachments=attachments,
    )
    done = say("flows/dispute/opened.txt", invoice=invoice)
    return go(MENU, before=[done], effects=[effect], prompt=False)


def _describe_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.BACK:
        return go(At.DISPUTE_REASON)
    if key == opt.NO_DETAILS and _reason(data) != DisputeReason.OTHER:
        return _open(data, ctx, "", ())
    return None


def _describe_text(user: Input, data: Data, ctx: FlowContext) -> Outcome | None:
    text = user.text.strip()
    if _reason(data) == DisputeReason.OTHER and not text:
        return None  # "other" needs words; a lone attachment gets the help and the question again
    if not text and not user.attachments:
        return None
    return _open(data, ctx, text, tuple(user.attachments))


# The stages this module handles; where each may lead is declared in bot/flows/graph.py.
REASON = Stage(At.DISPUTE_REASON, _reason_options, _reason_prompt, _reason_choose)
INVOICE = Stage(At.DISPUTE_INVOICE, _invoice_options, _invoice_prompt, _invoice_choose)
DESCRIBE = Stage(
    At.DISPUTE_DESCRIBE,
    _describe_options,
    _describe_prompt,
    _describe_choose,
    _describe_text,
    text_first=True,
)
