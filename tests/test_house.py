"""The shape of the house, read from the code's own imports (grimp) and its own syntax (ast).

- No import circle between modules of bot/ and scheduler/, function-level imports included.
- bot/flows/ is pure: importing any flow module loads no database, runtime, outbox, template
  engine, scheduler, engine or decision code (the exact list: FORBIDDEN_IN_FLOWS).
- In the conversation, decision and staff-chat rooms no file passes 400 lines and no function 60.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture(scope="module")
def runtime_graph() -> grimp.ImportGraph:
    return _graph(runtime_only=True)


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
