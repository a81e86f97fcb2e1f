"""Stages: the places a conversation can be, and moving between them.

A conversation's state is a JSON-able dict: {"flow": "plan", "stage": "choose", "data": {...},
"updated_at": "<ISO datetime>"}. Each stage says which options it offers, what it says on
arrival (`prompt`), what a chosen option does (`choose`) and, when it takes typed answers such
as a date, what free text does (`text`). A handler returns None when it cannot use the input;
the dispatcher (bot/flows/states.py) then answers with a short help and the options again.
Flows name the stages they move to by `At` ("menu.main"), so flow modules never import each
other in circles; which stage may move to which is declared once, in bot/flows/graph.py, and
checked there and by tests/flows/test_flow_graph.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.flows.context import FlowContext, Input, Outcome, ReplySpec
from bot.flows.effects import Effect
from bot.flows.options import Choice

Data = dict[str, Any]
OptionsFor = Callable[[Data, FlowContext], tuple[Choice, ...]]
PromptFor = Callable[[Data, FlowContext], ReplySpec]
OnChoice = Callable[[str, Data, FlowContext], Outcome | None]
OnText = Callable[[Input, Data, FlowContext], Outcome | None]


class At(StrEnum):
    """Every place a conversation can be: "<flow>.<stage>", as stored in the state."""

    MENU = "menu.main"
    HANDOFF = "handoff.relay"
    STOP = "stop.confirm"
    PROMISE_CHOOSE = "promise.choose"
    PROMISE_CONFIRM = "promise.confirm"
    PLAN_CHOOSE = "plan.choose"
    PLAN_FIRST_DATE = "plan.first_date"
    PLAN_CONFIRM = "plan.confirm"
    PLAN_COUNTER = "plan.counter"
    DISCOUNT = "discount.offer"
    DISPUTE_REASON = "dispute.reason"
    DISPUTE_INVOICE = "dispute.invoice"
    DISPUTE_DESCRIBE = "dispute.describe"
    PAID_DATE = "already_paid.date"
    PAID_RECEIPT = "already_paid.receipt"


MENU = At.MENU


def handed_off(state: dict[str, Any]) -> bool:
    """A person took this conversation over (At.HANDOFF): the debtor's words go to staff."""
    return state.get("flow") == At.HANDOFF.split(".", 1)[0]


@dataclass(frozen=True)
class Stage:
    name: At  # "<flow>.<stage>"
    options: OptionsFor
    prompt: PromptFor
    choose: OnChoice
    text: OnText | None = None
    # Stages that collect a message (a dispute's description, a hand-off) read text before
    # looking for menu words, so "pagato" inside a description is not taken as a command.
    text_first: bool = False
    # A stage whose text handler answers every input, buttons included (a hand-off to staff):
    # no help, no menu words, nothing is taken as a command.
    takes_everything: bool = False

    @property
    def flow(self) -> str:
        return self.name.split(".", 1)[0]


def no_options(data: Data, ctx: FlowContext) -> tuple[Choice, ...]:
    return ()


def state_at(name: str, data: Data | None = None) -> dict[str, Any]:
    flow, stage = name.split(".", 1)
    return {"flow": flow, "stage": stage, "data": dict(data or {})}


def go(
    name: At,
    data: Data | None = None,
    *,
    before: Iterable[ReplySpec] = (),
    effects: Iterable[Effect] = (),
    prompt: bool = True,
) -> Outcome:
    """Move to stage `name`: say `before`, then (unless prompt=False) the stage's own prompt,
    which bot/flows/graph.py `arrive` adds once the step is done."""
    state = state_at(name, data)
    return Outcome(new_state=state, replies=list(before), effects=list(effects), prompt=prompt)


def say(
    template: str,
    options: tuple[Choice, ...] = (),
    fills: tuple[str, ...] = (),
    **context: Any,
) -> ReplySpec:
    return ReplySpec(template=template, context=context, options=options, fills=fills)
