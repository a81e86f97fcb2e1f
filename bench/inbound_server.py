"""The web process under test for bench/send.py's telegram_inbound part, started as a subprocess.

    .venv/bin/python bench/inbound_server.py --database-url URL --port P --telegram-base-url URL

It runs what `python -m bot serve` runs: `bot.processes.serve_web` (uvicorn with httptools) on
`run_main` (uvloop), against a database the bench has already migrated and seeded. Only the
settings and the senders differ from production: every sender is the sandbox, because the
webhook's replies are bound by Telegram's 30 messages/s outbound limit and belong to the outbox,
not to the webhook's latency. With a sandbox in place of the Telegram sender the Application
builds its own bot against --telegram-base-url (the fake Bot API the bench runs), so button
presses are answered with answerCallbackQuery over loopback.

It stops on SIGTERM or SIGINT (serve_web's own handlers); then it prints one JSON line on stdout,
{"replies_recorded": N}, the replies the sandbox recorded, and closes the runtime and database.

Profiling: with --profile FILE (bench/send.py passes its own --profile through) the event loop's
thread runs under cProfile from start-up to shutdown and the stats are written to FILE; read them
with `python -m pstats FILE` (sort tottime, stats 30). The profiler roughly doubles the CPU per
update, so latency figures of a profiled run mean nothing; the shares do. For a sampling view of
every thread instead (aiosqlite's worker too), run the bench unprofiled and attach py-spy
(`pip install py-spy`) to the server's pid: `py-spy top --pid PID` or `py-spy record --pid PID
-o profile.svg`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on sys.path, the project is not

from bot import db  # noqa: E402
from bot.channels.sandbox import SandboxSender  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Channel  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from bot.processes import run_main, serve_web  # noqa: E402
from bot.runtime import Runtime  # noqa: E402

# Shared with bench/send.py, which signs its requests with the secret.
TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"


def bench_settings(
    database_url: str, telegram_base_url: str, var_dir: Path, **overrides: Any
) -> Settings:
    """The benches' settings: Telegram against the fake Bot API, nothing read from the env."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        var_dir=var_dir,
        secret_key="bench-secret-key",
        policy_file=ROOT / "policy.toml",
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram_base_url,
        telegram_webhook_secret=SECRET,
        **overrides,
    )


async def serve(args: argparse.Namespace, var_dir: Path) -> None:
    # Settings before the database: Tortoise writes its own TIMEZONE into os.environ on init.
    settings = bench_settings(
        args.database_url,
        args.telegram_base_url,
        var_dir,
        http_host="127.0.0.1",
        http_port=args.port,
        log_level="WARNING",
    )
    sandbox = {channel: SandboxSender(channel) for channel in Channel}
    runtime = Runtime(
        settings=settings, policy=load_policy(settings.policy_file), senders=dict(sandbox)
    )
    await db.connect(settings.database_url)
    try:
        await serve_web(runtime)
        print(json.dumps({"replies_recorded": sandbox[Channel.TELEGRAM].count}), flush=True)
    finally:
        await runtime.close()
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="migrated and seeded by the bench")
    parser.add_argument("--port", type=int, required=True, help="HTTP port on 127.0.0.1")
    parser.add_argument(
        "--telegram-base-url", required=True, help="the fake Bot API's base URL (…/bot)"
    )
    parser.add_argument("--profile", help="write the event loop's cProfile stats to this file")
    args = parser.parse_args()
    # As `python -m bot` configures logging at WARNING: errors reach stderr, which the bench shows.
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="sollecito-inbound-server-") as var_dir:
        if profiler is None:
            run_main(serve(args, Path(var_dir)))
            return
        profiler.enable()
        try:
            run_main(serve(args, Path(var_dir)))
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
