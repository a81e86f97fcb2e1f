"""The conversation graph (bot/flows/graph.py): one table, checked against what the stages do.

Every stage's handlers run over sample inputs in sample contexts; each move must be one the table
allows, every stage must be reached, and docs/flows.md must be the table as it is.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.flows import options as opt
from bot.flows.context import Input, OpenInvoice
from bot.flows.graph import ENTRIES, GRAPH, SENTENCES, STAGES, Node, check, mermaid, next_stages
from bot.flows.stages import MENU, At, state_at
from bot.flows.states import step
from bot.flows_doc import FLOWS_FILE, render_flows_doc
from bot.payments.bank import BankTransfer, payment_reference
from tests.support.flow_helpers import NOW, context, policy

BANK = BankTransfer(
    iban="IT60X0542811101000000123456",
    bic="BPMOITMMXXX",
    beneficiary="Sollecito Demo Srl",
    reference=payment_reference(7, ["FT-2026-101"]),
    amount_cents=150_050,
    currency="EUR",
)
# Data a stage keeps between messages, as its own handlers write it.
SAMPLE_DATA: dict[At, list[dict]] = {
    At.PLAN_CHOOSE: [{}, {"first_due": "2026-12-01"}],
    At.PLAN_CONFIRM: [{"count": 3}, {"count": 2, "first_due": "2026-12-01"}],
    At.PLAN_COUNTER: [
        {"plan_id": 41, "total_cents": 90_000, "count": 3, "first_due": "2026-12-01"}
    ],
    At.PROMISE_CONFIRM: [{"date": "2026-12-01"}, {"date": "2027-06-01"}],
    At.PAID_RECEIPT: [{"date": "2026-11-20"}],
    At.DISPUTE_INVOICE: [{"reason": "wrong_amount"}],
    At.DISPUTE_DESCRIBE: [
        {"reason": "other", "invoice": "FT-2026-101"},
        {"reason": "wrong_amount", "invoice": None},
    ],
}
TEXTS = (
    "", "1", "2", "3", "9", "sì", "no", "menu", "stop", "indietro", "domani", "15/12", "ieri",
    "oggi", "venerdì", "31/12/2030", "ho pagato ieri", "ho pagato 100 euro", "pago venerdì",
    "posso pagare in 3 rate?", "l'importo è sbagliato", "la fattura non è mia", "chi siete?",
    "grazie", "voglio parlare con una persona", "mandatemi l'IBAN", "non posso pagare",
    "sconto", "pagato", "asdfgh", "I paid yesterday", "I will pay next Friday",
)  # fmt: skip


def _contexts() -> list:
    two = (
        OpenInvoice("FT-2026-101", 120_000, dt.date(2026, 10, 31)),
        OpenInvoice("FT-2026-117", 30_050, dt.date(2026, 11, 15)),
    )
    one = (OpenInvoice("FT-2026-101", 250_000, dt.date(2026, 10, 31)),)
    small = (OpenInvoice("FT-2026-101", 3_000, dt.date(2026, 10, 31)),)
    return [
        context(two, discount_offered=True, bank=BANK),
        context(one, language="en"),
        context(small, rules=policy(min_instalment_cents=5_000)),
        context((), bank=None),
        context(two, discount_offered=True, rules=policy().model_copy(update={"discount": None})),
    ]


def _inputs(stage_name: At, data: dict, ctx) -> list[Input]:
    keys = {o.key for o in STAGES[stage_name].options(data, ctx)}
    keys |= set(opt.MENU_KEYS) | {opt.STOP, opt.MENU, opt.YES, opt.NO, opt.BACK, "plan_3"}
    receipt = ({"kind": "photo", "file_id": "AgAD"},)
    return [
        *(Input(option=key) for key in sorted(keys)),
        *(Input(text=text) for text in TEXTS),
        Input(attachments=receipt),
        Input(text="ecco la ricevuta", attachments=receipt),
    ]


def _moves() -> set[tuple[str, str]]:
    """Every (from, to) the stages' handlers make over the samples; fails on a move the table
    does not allow, naming it."""
    moves: set[tuple[str, str]] = set()
    for ctx in _contexts():
        for name in GRAPH:
            for data in SAMPLE_DATA.get(name, [{}]):
                state = {**state_at(name, data), "updated_at": NOW.isoformat()}
                for user in _inputs(name, data, ctx):
                    outcome = step(state, user, ctx)
                    moved = f"{outcome.new_state['flow']}.{outcome.new_state['stage']}"
                    assert moved in next_stages(name), (name, data, user, moved)
                    assert all(r.template != "flows/sorry.txt" for r in outcome.replies), user
                    moves.add((name, moved))
    return moves


@pytest.fixture(scope="module")
def moves() -> set[tuple[str, str]]:
    return _moves()


def test_every_move_of_every_stage_is_in_the_table(moves: set[tuple[str, str]]) -> None:
    # The samples reach each stage's own declared moves, so the table says no more than the
    # stages do.
    declared = {(name, target) for name, node in GRAPH.items() for target in node.to}
    assert declared - moves == set()


def test_no_stage_is_unreachable(moves: set[tuple[str, str]]) -> None:
    reached = set(ENTRIES)
    edges = {name: node.to | SENTENCES for name, node in GRAPH.items()}
    frontier = list(ENTRIES)
    while frontier:
        for target in edges[frontier.pop()] - reached:
            reached.add(target)
            frontier.append(target)
    assert set(GRAPH) - reached == set()
    # And the stages themselves get there: every stage but the entries is moved to.
    assert set(GRAPH) - set(ENTRIES) <= {to for _, to in moves}


def test_a_target_that_names_no_stage_fails_the_check() -> None:
    typo = {**GRAPH, At.STOP: Node(GRAPH[At.STOP].stage, {"menu.mian"})}  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"menu\.mian"):
        check(typo)
    wrong = {**GRAPH, At.STOP: GRAPH[At.MENU]}
    with pytest.raises(ValueError, match=r"stop\.confirm holds the handlers of menu\.main"):
        check(wrong)
    missing = {name: node for name, node in GRAPH.items() if name != At.PAID_RECEIPT}
    with pytest.raises(ValueError):
        check(missing)


def test_a_move_outside_the_table_is_caught() -> None:
    # The hand-off takes every input: a menu word there is relayed, not a move to the plan.
    assert At.PLAN_CHOOSE not in next_stages(At.HANDOFF)
    assert At.PLAN_CHOOSE in next_stages(At.PROMISE_CHOOSE)
    assert MENU in next_stages(At.HANDOFF)


def test_the_graph_is_drawn_with_every_stage_and_move() -> None:
    drawn = mermaid()
    assert drawn.startswith("flowchart TD\n")
    for name, node in GRAPH.items():
        assert f'["{name}"]' in drawn
        for target in node.to - {name}:
            assert f"{name.replace('.', '_')} --> {target.replace('.', '_')}" in drawn


def test_the_checked_in_flows_file_is_current() -> None:
    assert FLOWS_FILE.read_text(encoding="utf-8") == render_flows_doc(), (
        "docs/flows.md is not current: run `python -m bot flows graph --write`"
    )
