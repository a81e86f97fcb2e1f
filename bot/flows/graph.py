"""The conversation graph: every stage, and the stages each one may move to, in one table.

`GRAPH` is the table, like python-telegram-bot's ConversationHandler `states`: a stage's name
(`At`) -> its handlers (a `Stage`, defined beside its flow) and the stages its own handlers move
to. Besides those, from any stage but the hand-off the debtor may choose a menu option by its
button or its words (`MENU_ENTRIES`), or type a sentence the understanding step acts on
(`SENTENCES`, bot/flows/free_text.py); every stage may stay where it is (the help) and go back to
the menu (a stale or idle state). Conversations begin at `ENTRIES`: the menu, and a staff
counter-offer. `check` runs at import: a target that names no stage fails the import, and
tests/flows/test_flow_graph.py runs each stage's handlers over sample inputs and fails on any move
the table does not allow, and on any stage nothing reaches. `mermaid` draws it (docs/flows.md,
`python -m bot flows graph`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from bot.flows import already_paid, discount, dispute, menu, plan, promise
from bot.flows.context import FlowContext, Outcome
from bot.flows.stages import MENU, At, Stage


@dataclass(frozen=True)
class Node:
    stage: Stage
    to: frozenset[At]  # where this stage's own handlers may move

    def __init__(self, stage: Stage, to: Iterable[At]) -> None:
        object.__setattr__(self, "stage", stage)
        object.__setattr__(self, "to", frozenset(to))


# What a menu option starts (bot/flows/menu.py `start`), chosen at the menu or, by its button or
# its words, anywhere else: a flow's first stage, or the menu again when nothing is due.
MENU_ENTRIES = frozenset({
    At.MENU, At.PLAN_CHOOSE, At.PROMISE_CHOOSE, At.PAID_DATE, At.DISPUTE_REASON, At.HANDOFF,
    At.DISCOUNT, At.STOP,
})  # fmt: skip
# Where a typed sentence may lead (bot/flows/free_text.py): a promise's or a claim's date read
# from the sentence goes straight to its confirmation, a count to the plan's, a reason on.
SENTENCES = MENU_ENTRIES | {
    At.PROMISE_CONFIRM, At.PAID_RECEIPT, At.PLAN_CONFIRM, At.DISPUTE_INVOICE, At.DISPUTE_DESCRIBE,
}  # fmt: skip
# Where a conversation begins: the menu (a reminder, a first message), a staff counter-offer.
ENTRIES = (At.MENU, At.PLAN_COUNTER)

GRAPH: dict[At, Node] = {
    At.MENU: Node(menu.MAIN, MENU_ENTRIES),
    At.HANDOFF: Node(menu.RELAY, {At.STOP}),
    At.STOP: Node(menu.STOP_CONFIRM, {At.MENU}),
    At.PROMISE_CHOOSE: Node(promise.CHOOSE, {At.PROMISE_CONFIRM, At.MENU}),
    At.PROMISE_CONFIRM: Node(promise.CONFIRM, {At.PROMISE_CHOOSE, At.MENU}),
    At.PLAN_CHOOSE: Node(plan.CHOOSE, {At.PLAN_FIRST_DATE, At.PLAN_CONFIRM, At.MENU}),
    At.PLAN_FIRST_DATE: Node(plan.FIRST_DATE, {At.PLAN_CHOOSE}),
    At.PLAN_CONFIRM: Node(plan.CONFIRM, {At.PLAN_CHOOSE, At.MENU}),
    At.PLAN_COUNTER: Node(plan.COUNTER, {At.MENU}),
    At.DISCOUNT: Node(discount.OFFER, {At.MENU}),
    At.DISPUTE_REASON: Node(dispute.REASON, {At.DISPUTE_INVOICE, At.DISPUTE_DESCRIBE, At.MENU}),
    At.DISPUTE_INVOICE: Node(dispute.INVOICE, {At.DISPUTE_REASON, At.DISPUTE_DESCRIBE}),
    At.DISPUTE_DESCRIBE: Node(dispute.DESCRIBE, {At.DISPUTE_REASON, At.MENU}),
    At.PAID_DATE: Node(already_paid.DATE, {At.PAID_RECEIPT, At.MENU}),
    At.PAID_RECEIPT: Node(already_paid.RECEIPT, {At.PAID_DATE, At.MENU}),
}


def check(graph: Mapping[At, Node]) -> None:
    """Raise ValueError when the table is not one: a stage under another's name, a target that
    names no stage, a stage of `At` missing."""
    for name, node in graph.items():
        if node.stage.name != name:
            raise ValueError(f"{name} holds the handlers of {node.stage.name}")
        unknown = sorted(str(target) for target in node.to if target not in graph)
        if unknown:
            raise ValueError(f"{name} moves to unknown stages: {', '.join(unknown)}")
    missing = sorted(str(name) for name in At if name not in graph)
    if missing:
        raise ValueError(f"stages without a row: {', '.join(missing)}")


check(GRAPH)
STAGES: dict[str, Stage] = {name: node.stage for name, node in GRAPH.items()}


def next_stages(name: At) -> frozenset[At]:
    """Every stage `name` may move to: its own targets, itself, the menu, and (but from the
    hand-off, which takes every input) what a menu option or a sentence starts."""
    node = GRAPH[name]
    anywhere = frozenset() if node.stage.takes_everything else SENTENCES
    return node.to | anywhere | {name, MENU}


def arrive(outcome: Outcome, ctx: FlowContext) -> Outcome:
    """The outcome with the prompt of the stage it moved to, when it asks for one (`go`)."""
    if not outcome.prompt:
        return outcome
    state = outcome.new_state
    stage = STAGES[f"{state['flow']}.{state['stage']}"]
    prompt = stage.prompt(state["data"], ctx)
    return replace(outcome, replies=[*outcome.replies, prompt], prompt=False)


def _node_id(name: str) -> str:
    return name.replace(".", "_")


def mermaid() -> str:
    """The graph as a Mermaid flowchart: each stage's own moves, and the moves from anywhere."""
    lines = ["flowchart TD"]
    lines += [f'    {_node_id(name)}["{name}"]' for name in GRAPH]
    lines.append('    start(("a reminder or a message")) --> menu_main')
    lines.append('    staff(("staff counter-offer")) --> plan_counter')
    for name, node in GRAPH.items():
        lines += [
            f"    {_node_id(name)} --> {_node_id(target)}"
            for target in sorted(node.to)
            if target != name
        ]
    lines.append('    anywhere(["any stage but handoff.relay: a menu option or a sentence"])')
    lines += [f"    anywhere -.-> {_node_id(target)}" for target in sorted(SENTENCES)]
    return "\n".join(lines) + "\n"
