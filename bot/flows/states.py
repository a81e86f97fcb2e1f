"""The conversation as a pure state machine: step(state, input, context) -> Outcome.

`step` never raises and never stays silent: it answers every input with at least one reply.
How it reads an input, in order:
  1. a pressed button that is one of the stage's options; typed text that chooses one of them
     (its number, key, label or a keyword: bot/flows/options.py);
  2. for stages that collect a message (a dispute's description, a hand-off): the text itself;
  3. menu words typed or pressed anywhere: the reminder's options ("paga ora", a button of an
     earlier reminder), "menu", "stop" — by words only, a bare number always means the
     current stage's option with that number;
  4. the stage's own free text (a typed date);
  5. a sentence, read by the understanding step (bot/flows/understanding.py) and acted on
     safely (bot/flows/free_text.py): "lunedì pago", "mandatemi l'IBAN", "contesto la fattura";
  6. otherwise a short help with the stage's options again, the state unchanged.
A state that names no known stage or carries malformed data goes back to the menu politely; a
conversation left alone longer than `FlowContext.inactivity_timeout` is closed
(`close_if_inactive`, for the clock) or, when the debtor comes back, restarted from the menu.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.flows import free_text, menu
from bot.flows import options as opt
from bot.flows.context import FlowContext, Input, Outcome
from bot.flows.effects import ALERT_FAILED, AlertStaff
from bot.flows.graph import STAGES, arrive
from bot.flows.options import Choice
from bot.flows.stages import MENU, Data, Stage, go, say, state_at
from bot.flows.vocabulary import fold
from bot.policy import Policy

log = logging.getLogger(__name__)

LONGEST_FAILED_TEXT = 500  # of the debtor's message, in the staff alert

# Top-level state keys a step carries over unchanged.
REMINDER_STEP = "reminder_step"  # the policy step of the last reminder (does it offer a discount?)
MENU_ORDER = "menu_order"  # the option keys in the order the last reminder numbered them
WRITTEN_LANGUAGE = "language"  # the language the debtor last wrote in (bot.conversations.engine)
_CARRIED = (REMINDER_STEP, MENU_ORDER, WRITTEN_LANGUAGE)
_STARTS_WITH_NUMBER = re.compile(r"^\d")


def initial_state() -> dict[str, Any]:
    return state_at(MENU)


def after_reminder(
    step_name: str, now: dt.datetime, option_keys: Sequence[str] = ()
) -> dict[str, Any]:
    """The state once a reminder went out: its options are the menu's, answered from here.

    `option_keys`: the reminder's options in the order it numbered them, so "1" is what the
    debtor saw as 1.
    """
    return {
        **state_at(MENU),
        REMINDER_STEP: step_name,
        MENU_ORDER: [key for key in option_keys if isinstance(key, str)],
        "updated_at": now.isoformat(),
    }


def _carried(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _with_menu_order(state: Any, ctx: FlowContext) -> FlowContext:
    order = state.get(MENU_ORDER) if isinstance(state, dict) else None
    if ctx.menu_order or not isinstance(order, list) or not _carried(order):
        return ctx
    return replace(ctx, menu_order=tuple(order[:20]))


def discount_offered(state: dict[str, Any], policy: Policy) -> bool:
    """Whether the reminder the debtor is answering offers the discount (for FlowContext)."""
    name = state.get(REMINDER_STEP) if isinstance(state, dict) else None
    step = policy.step_named(name) if isinstance(name, str) else None
    return step is not None and step.offer == "discount"


def _where(state: Any) -> tuple[Stage, Data] | None:
    """The stage and its data, or None when the state is stale or malformed."""
    if not isinstance(state, dict):
        return None
    if not state or (state.get("flow") in (None, "idle") and "stage" not in state):
        return STAGES[MENU], {}
    flow, stage_name, data = state.get("flow"), state.get("stage"), state.get("data", {})
    if not isinstance(flow, str) or not isinstance(stage_name, str) or not isinstance(data, dict):
        return None
    stage = STAGES.get(f"{flow}.{stage_name}")
    return (stage, data) if stage is not None else None


def _last_active(state: Any) -> dt.datetime | None:
    raw = state.get("updated_at") if isinstance(state, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def is_inactive(state: Any, ctx: FlowContext) -> bool:
    last = _last_active(state)
    if last is None:
        return False
    try:
        return ctx.now - last > ctx.inactivity_timeout
    except TypeError:  # one naive, one aware: a state from an older version; treat as stale
        return True


def close_if_inactive(state: Any, ctx: FlowContext) -> Outcome | None:
    """For the clock: close a conversation left mid-way too long, with a polite word.

    None when there is nothing to close: at the menu already, or active within the timeout.
    A hand-off closes too; the bot answers again from then on.
    """
    where = _where(state)
    if not is_inactive(state, ctx) or (where is not None and where[0].name == MENU):
        return None
    outcome = Outcome(new_state=state_at(MENU), replies=[say("flows/closed.txt")])
    return _stamp(outcome, state, ctx)


def _global_options(ctx: FlowContext) -> tuple[Choice, ...]:
    # The discount always: a button of an earlier reminder that offered it gets a polite answer.
    return (
        *opt.reminder_options(discount=True),
        opt.option(opt.STOP),
        opt.option(opt.MENU),
        opt.option(opt.STATEMENT),
    )


def _global_choice(user: Input, ctx: FlowContext) -> str | None:
    """A menu option chosen outside the menu: an earlier reminder's button, or its words."""
    options = _global_options(ctx)
    if user.option:
        return user.option if user.option in {o.key for o in options} else None
    if not user.text or _STARTS_WITH_NUMBER.match(fold(user.text)):
        return None
    chosen = opt.match_option(user.text, options, ctx.label_words)
    return chosen.key if chosen else None


def _answer(stage: Stage, data: Data, user: Input, ctx: FlowContext) -> Outcome:
    has_text = bool(user.text.strip()) or bool(user.attachments)
    if stage.takes_everything and stage.text is not None:
        outcome = stage.text(user, data, ctx)
        if outcome is not None:
            return outcome
    options = stage.options(data, ctx)
    chosen: str | None = None
    if user.option:
        chosen = user.option if user.option in {o.key for o in options} else None
    elif user.text:
        match = opt.match_option(user.text, options, ctx.label_words)
        chosen = match.key if match else None
    if chosen is not None:
        outcome = stage.choose(chosen, data, ctx)
        if outcome is not None:
            return outcome
    if stage.text is not None and stage.text_first and has_text and not user.option:
        outcome = stage.text(user, data, ctx)
        if outcome is not None:
            return outcome
    entry = _global_choice(user, ctx)
    if entry is not None:
        outcome = menu.start(entry, ctx)
        if outcome is not None:
            return outcome
    if stage.text is not None and not stage.text_first and has_text and not user.option:
        outcome = stage.text(user, data, ctx)
        if outcome is not None:
            return outcome
    if has_text and not user.option and not _STARTS_WITH_NUMBER.match(fold(user.text)):
        outcome = free_text.answer(user, ctx, stage.name)
        if outcome is not None:
            return outcome
    return Outcome(new_state=state_at(stage.name, data), replies=[say("flows/help.txt", options)])


def _stamp(outcome: Outcome, old_state: Any, ctx: FlowContext) -> Outcome:
    state = dict(outcome.new_state)
    if isinstance(old_state, dict):
        for key in _CARRIED:
            if key in old_state and _carried(old_state[key]):
                state.setdefault(key, old_state[key])
    state["updated_at"] = ctx.now.isoformat()
    return Outcome(new_state=state, replies=outcome.replies, effects=outcome.effects)


def _step(state: Any, user: Input, ctx: FlowContext) -> Outcome:
    where = _where(state)
    if where is None:
        return arrive(go(MENU, before=[say("flows/stale.txt")]), ctx)
    stage, data = where
    before = []
    if stage.name != MENU and is_inactive(state, ctx):
        before.append(say("flows/resumed.txt"))
        stage, data = STAGES[MENU], {}
    try:
        outcome = arrive(_answer(stage, data, user, ctx), ctx)
    except (KeyError, ValueError, TypeError, AttributeError):
        # Data written by an older version, or tampered with: start again from the menu.
        log.info("stale conversation data at %s: %r", stage.name, data, exc_info=True)
        return arrive(go(MENU, before=[say("flows/stale.txt")]), ctx)
    return Outcome(outcome.new_state, before + outcome.replies, outcome.effects)


def step(state: Any, user: Input, ctx: FlowContext) -> Outcome:
    """Answer one input. Never raises; always at least one reply."""
    if not isinstance(user, Input):
        user = Input()
    if not isinstance(user.text, str) or not isinstance(user.option, str):
        user = Input(
            option=user.option if isinstance(user.option, str) else "",
            text=user.text if isinstance(user.text, str) else "",
            attachments=user.attachments,
        )
    try:
        outcome = _step(state, user, _with_menu_order(state, ctx))
    except Exception:  # the last guard: a bug must not leave the debtor without an answer
        log.exception("conversation step failed; answering with the apology")
        # The apology says a colleague will get back to them: staff hear of it now.
        told = AlertStaff(ALERT_FAILED, {"text": user.text[:LONGEST_FAILED_TEXT]})
        outcome = Outcome(
            new_state=state_at(MENU), replies=[say("flows/sorry.txt")], effects=[told]
        )
    return _stamp(outcome, state, ctx)


def hand_back(state: Any, ctx: FlowContext) -> Outcome:
    """Staff sent /done: the bot takes the conversation back, starting from the menu."""
    return _stamp(arrive(menu.hand_back(ctx), ctx), state, ctx)
