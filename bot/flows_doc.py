"""`python -m bot flows graph`: the conversation graph (bot/flows/graph.py) drawn as Mermaid.

`--write` writes docs/flows.md from it, `--check` says whether that file is current (as
tests/flows/test_flow_graph.py does). The flows are imported when the command runs, not when the
command line starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

FLOWS_FILE = Path(__file__).resolve().parent.parent / "docs" / "flows.md"

_INTRO = """# The conversation graph

Written by `python -m bot flows graph --write` from the one table of stages in
bot/flows/graph.py; tests/flows/test_flow_graph.py fails when this file is not current, when a stage
moves somewhere the table does not allow, or when no path reaches a stage. Solid arrows are a
stage's own moves; dotted ones are what a menu option (by its button or its words) or a typed
sentence starts from any stage but the hand-off. Every stage may also stay where it is (the help
and its options again) and go back to the menu (a stale or idle conversation).
"""


def render_flows_doc() -> str:
    from bot.flows.graph import mermaid

    return f"{_INTRO}\n```mermaid\n{mermaid()}```\n"


def write_flows_doc() -> bool:
    """Write docs/flows.md; True when it changed."""
    text = render_flows_doc()
    if FLOWS_FILE.exists() and FLOWS_FILE.read_text(encoding="utf-8") == text:
        return False
    FLOWS_FILE.write_text(text, encoding="utf-8")
    return True


async def cmd_flows_graph(settings: Any, args: argparse.Namespace) -> int:
    from bot.flows.graph import mermaid

    if args.check:
        current = FLOWS_FILE.exists() and FLOWS_FILE.read_text(encoding="utf-8") == (
            render_flows_doc()
        )
        print(f"{FLOWS_FILE} is {'current' if current else 'not current: run with --write'}")
        return 0 if current else 1
    if args.write:
        print(f"{'wrote' if write_flows_doc() else 'unchanged:'} {FLOWS_FILE}")
        return 0
    print(mermaid(), end="")
    return 0


def add_flows_parser(sub: Any) -> None:
    """`flows graph [--write | --check]` on the command line's subparsers."""
    p = sub.add_parser("flows", help="the conversation's stages")
    flows_sub = p.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    graph = flows_sub.add_parser("graph", help="print the conversation graph as Mermaid")
    what = graph.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="write docs/flows.md")
    what.add_argument("--check", action="store_true", help="exit 1 if docs/flows.md is not current")
    graph.set_defaults(func=cmd_flows_graph)
