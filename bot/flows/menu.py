"""The menu every reminder offers, and the short flows that start from it.

menu.main       the reminder's options: pay now, instalments, promise, already paid, dispute,
                talk to a person, the discount (when the step offers it), bank transfer details
handoff.relay   a person took over: every message is relayed to the staff chat until /done
stop.confirm    "no more messages on this channel?" -> OptOut
"""

from __future__ import annotations

from bot.flows import discount, plan
from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, ReplySpec, clean_message
from bot.flows.effects import (
    ALERT_RELAY,
    PAY_BALANCE,
    AlertStaff,
    HandOff,
    MakePayLink,
    OptOut,
    SendStatement,
)
from bot.flows.options import Choice
from bot.flows.stages import MENU, At, Data, Stage, go, no_options, say
from bot.flows.understanding import understand
from bot.flows.understanding_words import Intent
from bot.payments.bank import epc_qr_attachment

# Relayed messages longer than this are cut; the full text stays in the message log.
LONGEST_RELAY = 4000


def menu_options(ctx: FlowContext) -> tuple[Choice, ...]:
    return opt.reminder_options(
        discount=discount.offered(ctx) is not None,
        bank=ctx.bank is not None,
        order=ctx.menu_order,
    )


def _menu_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return menu_options(ctx)


def _menu_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say(
        "flows/menu/prompt.txt",
        menu_options(ctx),
        invoices=ctx.invoices_for_template(),
        total_cents=ctx.balance_cents,
        currency=ctx.currency,
    )


def _nothing_due(ctx: FlowContext) -> Outcome:
    return go(MENU, before=[say("flows/menu/nothing_due.txt")], prompt=False)


def pay_now(ctx: FlowContext) -> Outcome:
    if ctx.balance_cents <= 0:
        return _nothing_due(ctx)
    link = MakePayLink(PAY_BALANCE, ctx.balance_cents)
    reply = say(
        "flows/pay/link.txt",
        fills=("pay_url",),
        total_cents=ctx.balance_cents,
        currency=ctx.currency,
        invoices=ctx.invoices_for_template(),
    )
    return go(MENU, before=[reply], effects=[link], prompt=False)


def bank_details(ctx: FlowContext) -> Outcome:
    """The company's IBAN, the amount and the reference to quote, with the EPC QR code."""
    transfer = ctx.bank
    if transfer is None or ctx.balance_cents <= 0:
        reply = say("flows/bank/unavailable.txt", menu_options(ctx))
    else:
        reply = ReplySpec(
            template="flows/bank/details.txt",
            context={
                "iban": transfer.iban_display,
                "bic": transfer.bic,
                "beneficiary": transfer.beneficiary,
                "reference": transfer.reference,
                "total_cents": transfer.amount_cents,
                "currency": transfer.currency,
            },
            attachments=(epc_qr_attachment(transfer),) if transfer.has_qr else (),
        )
    return go(MENU, before=[reply], prompt=False)


# How much of the statement the chat text lists; the PDF lists everything.
STATEMENT_ITEMS_SHOWN = 30
STATEMENT_PAYMENTS_SHOWN = 10


def statement(ctx: FlowContext) -> Outcome:
    """The statement of account, asked for in words ("estratto conto", "what do I owe")."""
    reply = say(
        "flows/statement/text.txt",
        fills=("statement", "pdf"),
        items_shown=STATEMENT_ITEMS_SHOWN,
        payments_shown=STATEMENT_PAYMENTS_SHOWN,
    )
    return go(MENU, before=[reply], effects=[SendStatement()], prompt=False)


def hand_off(ctx: FlowContext) -> Outcome:
    started = say("flows/handoff/started.txt")
    return go(At.HANDOFF, before=[started], effects=[HandOff()], prompt=False)


def hand_back(ctx: FlowContext) -> Outcome:
    """Staff sent /done: the bot answers again, starting from the menu."""
    return go(MENU, before=[say("flows/handoff/ended.txt")])


def start(key: str, ctx: FlowContext) -> Outcome | None:
    """What a menu option does, wherever the debtor chooses it (the reminder's own buttons too)."""
    if key in (opt.PAY_NOW, opt.INSTALMENTS, opt.PROMISE, opt.DISPUTE) and ctx.balance_cents <= 0:
        return _nothing_due(ctx)
    match key:
        case opt.PAY_NOW:
            return pay_now(ctx)
        case opt.INSTALMENTS:
            return plan.enter(ctx)
        case opt.PROMISE:
            return go(At.PROMISE_CHOOSE)
        case opt.ALREADY_PAID:
            return go(At.PAID_DATE)
        case opt.DISPUTE:
            return go(At.DISPUTE_REASON)
        case opt.TALK_TO_PERSON:
            return hand_off(ctx)
        case opt.DISCOUNT:
            return discount.enter(ctx)
        case opt.BANK_DETAILS:
            return bank_details(ctx)
        case opt.STOP:
            return go(At.STOP)
        case opt.STATEMENT:
            return statement(ctx)
        case opt.MENU:
            return go(MENU)
    return None


def _menu_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    return start(key, ctx)


def _relay_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say("flows/handoff/waiting.txt")


def _relay_text(user: Input, data: Data, ctx: FlowContext) -> Outcome:
    if not user.text.strip() and not user.attachments:
        return go(At.HANDOFF, data)  # a button press: remind them a person is here
    alert = AlertStaff(
        ALERT_RELAY,
        {"text": clean_message(user.text)[:LONGEST_RELAY], "attachments": list(user.attachments)},
    )
    relayed = say("flows/handoff/relayed.txt")
    if understand(user.text, ctx.today, stage=At.HANDOFF).act == Intent.STOP:
        # Staff read the stop in the relay; the debtor is asked to confirm it, as anywhere.
        return go(At.STOP, before=[relayed], effects=[alert])
    return go(At.HANDOFF, data, before=[relayed], effects=[alert], prompt=False)


def _stop_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return (opt.option(opt.YES), opt.option(opt.NO))


def _stop_prompt(data: Data, ctx: FlowContext) -> ReplySpec:
    return say("flows/stop/confirm.txt", _stop_options(data, ctx))


def _stop_choose(key: str, data: Data, ctx: FlowContext) -> Outcome | None:
    if key == opt.YES:
        done = say("flows/stop/done.txt")
        return go(MENU, before=[done], effects=[OptOut()], prompt=False)
    if key == opt.NO:
        return go(MENU, before=[say("flows/stop/kept.txt")])
    return None


# The stages this module handles; where each may lead is declared in bot/flows/graph.py.
MAIN = Stage(MENU, _menu_options, _menu_prompt, _menu_choose)
RELAY = Stage(
    At.HANDOFF,
    no_options,
    _relay_prompt,
    lambda key, data, ctx: None,
    _relay_text,
    text_first=True,
    takes_everything=True,
)
STOP_CONFIRM = Stage(At.STOP, _stop_options, _stop_prompt, _stop_choose)
