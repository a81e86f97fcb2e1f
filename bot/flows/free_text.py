"""What the conversation does with a sentence the debtor typed (read by bot/flows/understanding).

Used by bot/flows/states.py for typed text no button and no stage of its own took, on every
channel. Acting is safe by construction: a promise, a payment claim, a plan and an opt-out each
still go through their own confirmation step (promise.confirm, the receipt question, plan.confirm,
stop.confirm); when the reading is unsure or mixes two such things the debtor is asked, with the
two or three likeliest choices as buttons. Abuse gets a calm answer and a staff alert, never a
payment push; a partial payment is never recorded as the whole.
"""

from __future__ import annotations

import datetime as dt
import math

from bot.flows import already_paid, dispute, menu, plan, promise
from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome, clean_message
from bot.flows.effects import ALERT_WORDS, AlertStaff, OptOut
from bot.flows.stages import MENU, go, say
from bot.flows.understanding import Understanding, understand
from bot.flows.understanding_words import Intent

LONGEST_ALERT_TEXT = 1000
# What a choice offered when asking back is, as a button.
_CHOICE_KEYS = {
    Intent.PAY_NOW: opt.PAY_NOW, Intent.BANK_DETAILS: opt.BANK_DETAILS,
    Intent.DISCOUNT: opt.DISCOUNT, Intent.INSTALMENTS: opt.INSTALMENTS,
    Intent.PROMISE: opt.PROMISE, Intent.ALREADY_PAID: opt.ALREADY_PAID,
    Intent.DISPUTE: opt.DISPUTE, Intent.TALK_TO_PERSON: opt.TALK_TO_PERSON,
    Intent.STOP: opt.STOP, Intent.WRONG_PERSON: opt.TALK_TO_PERSON,
    Intent.CANNOT_PAY: opt.INSTALMENTS, Intent.STATEMENT: opt.STATEMENT,
}  # fmt: skip
_FLOWS = {
    Intent.PROMISE: "promise", Intent.ALREADY_PAID: "already_paid", Intent.INSTALMENTS: "plan",
    Intent.DISPUTE: "dispute", Intent.STOP: "stop", Intent.DISCOUNT: "discount",
}  # fmt: skip
_SIMPLE = {
    Intent.PAY_NOW: opt.PAY_NOW, Intent.BANK_DETAILS: opt.BANK_DETAILS,
    Intent.DISCOUNT: opt.DISCOUNT, Intent.TALK_TO_PERSON: opt.TALK_TO_PERSON,
    Intent.STOP: opt.STOP, Intent.STATEMENT: opt.STATEMENT,
}  # fmt: skip


def read(user: Input, ctx: FlowContext, stage: str = MENU) -> Understanding:
    return understand(user.text, ctx.today, stage=stage, language=ctx.language)


def answer(user: Input, ctx: FlowContext, stage: str = MENU) -> Outcome | None:
    """What to do with the typed `user.text`; None when it says nothing we act on."""
    if not user.text.strip() or user.option:
        return None
    reading = read(user, ctx, stage)
    # Mid-way through a flow only a clear step elsewhere is taken; the flow's own question
    # (a receipt, a date) otherwise gets its help and options again.
    elsewhere = reading.act is not None and _FLOWS.get(reading.act) != stage.split(".", 1)[0]
    if stage != MENU and not elsewhere:
        return None
    if reading.act is None:
        return ask(reading.choices, ctx)
    return act(reading, user, ctx)


def ask(choices: tuple[Intent, ...], ctx: FlowContext) -> Outcome | None:
    keys = list(dict.fromkeys(_CHOICE_KEYS[c] for c in choices if c in _CHOICE_KEYS))
    if not keys:
        return None
    options = tuple(opt.option(key) for key in [*keys[:3], opt.MENU])
    return go(MENU, before=[say("flows/words/ask.txt", options)], prompt=False)


def act(reading: Understanding, user: Input, ctx: FlowContext) -> Outcome | None:
    intent = reading.act
    if intent in _SIMPLE:
        return menu.start(_SIMPLE[intent], ctx)
    match intent:
        case Intent.INSTALMENTS:
            return _instalments(reading, ctx)
        case Intent.PROMISE:
            return _promise(reading.slots.date, ctx)
        case Intent.ALREADY_PAID:
            return _already_paid(reading, user, ctx)
        case Intent.DISPUTE:
            return _dispute(reading.slots.dispute_reason, ctx)
        case Intent.WRONG_PERSON:
            return _wrong_person(user, ctx)
        case Intent.WHO_ARE_YOU | Intent.GREETING:
            who = say("flows/words/who.txt", menu.menu_options(ctx), company=ctx.company)
            return go(MENU, before=[who], prompt=False)
        case Intent.THANKS:
            return go(MENU, before=[say("flows/words/thanks.txt")], prompt=False)
        case Intent.ABUSE:
            alert = _alert("abuse", user)
            calm = say("flows/words/calm.txt")
            return go(MENU, before=[calm], effects=[alert], prompt=False)
        case Intent.CANNOT_PAY:
            keys = (opt.INSTALMENTS, opt.PROMISE, opt.TALK_TO_PERSON)
            options = tuple(opt.option(key) for key in keys)
            reply = say("flows/words/cannot_pay.txt", options)
            return go(MENU, before=[reply], prompt=False)
    return None


def _alert(reason: str, user: Input) -> AlertStaff:
    text = clean_message(user.text)[:LONGEST_ALERT_TEXT]
    return AlertStaff(ALERT_WORDS, {"reason": reason, "text": text})


def _instalments(reading: Understanding, ctx: FlowContext) -> Outcome | None:
    entered = menu.start(opt.INSTALMENTS, ctx)
    if entered is None or entered.new_state.get("stage") != "choose":
        return entered  # nothing due, or no plan fits: already said
    count = reading.slots.count
    per_month = reading.slots.amount_cents
    if count is None and per_month:
        count = math.ceil(ctx.balance_cents / per_month)
    offered = {o.key for o in plan.choose_options(entered.new_state["data"], ctx)}
    if count is not None and opt.plan_count_option(count).key in offered:
        return plan.choose_count(count, ctx)
    return entered


def _promise(day: dt.date | None, ctx: FlowContext) -> Outcome | None:
    if day is None or ctx.balance_cents <= 0:
        return menu.start(opt.PROMISE, ctx)
    return promise.promise_on(day, ctx)


def _already_paid(reading: Understanding, user: Input, ctx: FlowContext) -> Outcome | None:
    if reading.slots.partial:
        told = say(
            "flows/words/partial_claim.txt", total_cents=ctx.balance_cents, currency=ctx.currency
        )
        return go(MENU, before=[told], effects=[_alert("partial_claim", user)], prompt=False)
    if reading.slots.date is None or ctx.balance_cents <= 0:
        return menu.start(opt.ALREADY_PAID, ctx)
    return already_paid.claim_on(reading.slots.date, ctx)


def _dispute(reason: str | None, ctx: FlowContext) -> Outcome | None:
    entered = menu.start(opt.DISPUTE, ctx)
    if reason is None or entered is None or entered.new_state.get("flow") != "dispute":
        return entered
    return dispute.choose_reason(reason, ctx) or entered


def _wrong_person(user: Input, ctx: FlowContext) -> Outcome:
    told = say("flows/words/wrong_person.txt")
    effects = [OptOut(), _alert("wrong_person", user)]
    return go(MENU, before=[told], effects=effects, prompt=False)
