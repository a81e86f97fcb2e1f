"""The shape of the house, read from the code's own imports (grimp) and its own syntax (ast).

- No import circle between modules of bot/ and scheduler/, function-level imports included.
- bot/flows/ is pure: importing any flow module loads no database, runtime, outbox, template
  engine, scheduler, engine or decision code (the exact list: FORBIDDEN_IN_FLOWS).
- In the conversation, decision and staff-chat rooms no file passes 400 lines and no function 60.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _graph(*, runtime_only: bool) -> grimp.ImportGraph:
    # Function-level imports are in the graph as any other; `runtime_only` leaves out the
    # imports under `if TYPE_CHECKING:`, which never run.
    return grimp.build_graph(
        "bot",
        "scheduler",
        include_external_packages=True,
        exclude_type_checking_imports=runtime_only,
        cache_dir=None,
    )


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return _graph(runtime_only=False)


def _ours(module: str) -> bool:
    return module.split(".", 1)[0] in ("bot", "scheduler")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of our modules that import each other in a circle (strongly connected
    components of more than one module, or a module importing itself), each sorted."""
    modules = sorted(m for m in graph.modules if _ours(m))
    edges = {
        m: sorted(n for n in graph.find_modules_directly_imported_by(m) if _ours(n))
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm; the graph is a few hundred nodes
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1 or module in edges[module]:
                cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def _chain(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    first, second = cycle[0], cycle[1] if len(cycle) > 1 else cycle[0]
    there = graph.find_shortest_chain(first, second) or (first, second)
    back = graph.find_shortest_chain(second, first) or (second, first)
    return " -> ".join([*there, *back[1:]])


def test_no_import_circles_in_bot_and_scheduler(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    assert not cycles, "import circles:\n" + "\n".join(_chain(graph, c) for c in cycles)


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for module in ("bot.a", "bot.b", "bot.c", "bot.d"):
        graph.add_module(module)
    graph.add_import(importer="bot.a", imported="bot.b")
    graph.add_import(importer="bot.b", imported="bot.c")
    graph.add_import(importer="bot.c", imported="bot.a")
    graph.add_import(importer="bot.c", imported="bot.d")
    assert import_cycles(graph) == [["bot.a", "bot.b", "bot.c"]]
    assert _chain(graph, ["bot.a", "bot.b", "bot.c"]) == "bot.a -> bot.b -> bot.c -> bot.a"


# Flows are pure --------------------------------------------------------------------------------

# What no module under bot/flows/ may load, directly or through another module (a name and every
# module under it): the database (the ORM, its drivers, the tables, the hand-written SQL), the
# runtime, the outbox, the template engine, the scheduler, the conversation engine and effect
# application, the staff decisions, the inbound path, the pay pages and the staff chat, and every
# provider (bot/providers/: webhooks, shapes, senders, clients). bot.enums (the kinds and statuses
# as plain StrEnums) and bot.channels.base (Option, Attachment: data a reply carries) are plain
# data and allowed.
FORBIDDEN_IN_FLOWS = (
    "tortoise", "asyncpg", "aiosqlite", "jinja2", "telegram", "twilio", "stripe", "httpx",
    "aiosmtplib", "starlette", "scheduler", "bot.models", "bot.db", "bot.sql", "bot.runtime",
    "bot.outbox", "bot.texts", "bot.conversations", "bot.decisions", "bot.handlers",
    "bot.inbound", "bot.receive", "bot.providers", "bot.payments.links", "bot.payments.checkout",
    "bot.payments.allocation",
)  # fmt: skip


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN_IN_FLOWS)


def _flow_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m == "bot.flows" or m.startswith("bot.flows."))


def test_flows_import_nothing_impure() -> None:
    graph = _graph(runtime_only=True)
    found = []
    for module in _flow_modules(graph):
        for bad in sorted(m for m in graph.find_upstream_modules(module) if _forbidden(m)):
            chain = graph.find_shortest_chain(importer=module, imported=bad)
            found.append(" -> ".join(chain or (module, bad)))
    assert not found, "flows import what they must not:\n" + "\n".join(found)


def test_importing_every_flow_loads_no_database_runtime_or_outbox() -> None:
    """The same rule at run time, in a fresh interpreter: what `import bot.flows.*` loads."""
    code = (
        "import importlib, pkgutil, sys, bot.flows\n"
        "for found in pkgutil.iter_modules(bot.flows.__path__):\n"
        "    importlib.import_module('bot.flows.' + found.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "bot.flows.graph" in loaded
    assert [m for m in loaded if _forbidden(m)] == []


def test_a_forbidden_import_in_a_flow_is_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("bot.flows.menu", "bot.flows.context", "bot.texts", "jinja2", "bot.models"):
        graph.add_module(module)
    graph.add_import(importer="bot.flows.menu", imported="bot.flows.context")
    graph.add_import(importer="bot.flows.context", imported="bot.models")
    found = [m for m in graph.find_upstream_modules("bot.flows.menu") if _forbidden(m)]
    assert found == ["bot.models"]
