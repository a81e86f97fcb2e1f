"""Commands that run the product: serve (web), run (all in one process), demo."""

from __future__ import annotations

import argparse

from bot import db
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the web process: webhooks, pay pages, health")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="all in one process: web, clock, worker, Telegram polling")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="run the demo on a fresh SQLite database, sandbox channels")
    p.set_defaults(func=cmd_demo)


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.processes import run_all, serve_web
    from bot.runtime import build_runtime

    runtime = build_runtime(settings)  # logs which channels are live and which sandboxed
    await db.connect(settings.database_url)
    try:
        if args.command == "run":
            await run_all(runtime)
        else:
            await serve_web(runtime)
    finally:
        await runtime.close()
        await db.close()
    return 0


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(settings)
