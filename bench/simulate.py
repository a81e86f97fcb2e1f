"""Issue 14's "Done when": a population of debtors over two months and more, through the real
product on an accelerated clock, and an audit of every text it sent.

    python bench/simulate.py                                   # 1,000 debtors, 76 days, SQLite
    python bench/simulate.py --debtors 100 --days 20           # a quick look
    python bench/simulate.py --database-url postgres://postgres@127.0.0.1:5432/test_sim

The Runtime gets a clock of its own (a mutable object passed as `now`): the clock jobs of
scheduler/clock.py run at their cron times in the company time zone, the outbox worker every five
simulated minutes, debtors answer through bot.receive.receive and pay through their pay links,
staff decide plans and disputes in working hours. Sandbox senders record what each provider would
have been handed. Progress goes to stderr; the last line of stdout is the JSON report: one counter
per row of issue 14's table (and the rows that must stay 0), examples of each, the run's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from simulation.run import simulate  # noqa: E402

from bot import db  # noqa: E402
from bot.config import Settings  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=76)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 16))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--dump", type=Path, help="write every message sent here (JSON lines)")
    return parser.parse_args()


async def main() -> int:
    args = arguments()
    tmp = Path(tempfile.mkdtemp(prefix="sollecito-sim-"))
    url = args.database_url or f"sqlite://{tmp}/simulation.sqlite3"
    settings = Settings(
        _env_file=None,
        database_url=url,
        timezone="Europe/Rome",
        var_dir=tmp / "var",
        secret_key="simulation-secret-key",
        public_base_url="https://sollecito.example",
        policy_file=ROOT / "policy.toml",
    )
    await db.recreate(url)
    await db.connect(url)
    try:
        print(f"simulating {args.debtors} debtors x {args.days} days on {url}", file=sys.stderr)
        report = await simulate(
            settings,
            debtors=args.debtors,
            days=args.days,
            start=args.start,
            seed=args.seed,
            dump=args.dump,
        )
    finally:
        await db.close()
    print(json.dumps(report, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
