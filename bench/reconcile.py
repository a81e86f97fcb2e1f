"""Benchmark: importing a bank statement against many open invoices.

    python bench/reconcile.py --debtors 20000 --lines 1000          # SQLite, a temporary file
    python bench/reconcile.py --database-url postgres://.../bench

Creates DEBTORS debtors with three open invoices each, then a statement of LINES credits: half
carry our reference (SOL-<id>-<cc>), a quarter only an invoice number with its exact amount, a
quarter nothing we know. Times the import (matching, recording, receipts, alerts) and a second
run of the same file (everything already imported). Prints a JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Debtor, Invoice  # noqa: E402
from bot.payments.bank import debtor_reference  # noqa: E402
from bot.payments.reconcile import import_bank_statement  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


async def seed(debtors: int) -> list[tuple[int, str, int]]:
    """(debtor id, invoice number, cents) of every invoice created."""
    await Debtor.bulk_create(
        [Debtor(external_ref=f"B{i:08d}", name=f"Cliente {i} S.r.l.") for i in range(debtors)],
        batch_size=5000,
    )
    ids = await Debtor.all().order_by("id").values_list("id", flat=True)
    rng = random.Random(7)
    invoices = []
    for debtor_id in ids:
        for n in range(3):
            cents = rng.randrange(5_000, 2_000_000)
            due = TODAY - dt.timedelta(days=rng.randrange(0, 120))
            invoices.append(
                Invoice(
                    number=f"F-2026-{debtor_id:06d}-{n}",
                    debtor_id=debtor_id,
                    issue_date=due - dt.timedelta(days=30),
                    due_date=due,
                    amount_cents=cents,
                )
            )
    await Invoice.bulk_create(invoices, batch_size=5000)
    return [(i.debtor_id, i.number, i.amount_cents) for i in invoices]


def statement(invoices: list[tuple[int, str, int]], lines: int) -> bytes:
    rng = random.Random(11)
    picked = rng.sample(invoices, lines)
    rows = ["Data contabile;Data valuta;Importo;Divisa;Descrizione operazione"]
    for index, (debtor_id, number, cents) in enumerate(picked):
        amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
        if index % 4 in (0, 1):
            text = f"BONIFICO SEPA DA CLIENTE CAUSALE {debtor_reference(debtor_id)} {number}"
        elif index % 4 == 2:
            text = f"BON. DA CLIENTE SALDO FATT. {number.replace('-', ' ')}"
        else:
            text = f"BONIFICO RIF. ORDINE {rng.randrange(10**6)}"
        rows.append(f"{TODAY:%d/%m/%Y};{TODAY:%d/%m/%Y};{amount};EUR;{text}")
    return ("\n".join(rows) + "\n").encode()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
    settings = Settings(_env_file=None, database_url=url, var_dir=tmp, secret_key="bench")

    await db.recreate(url)
    await db.connect(url)
    try:
        invoices = await seed(args.debtors)
        raw = statement(invoices, args.lines)
        started = time.perf_counter()
        report = await import_bank_statement(settings, NOW, raw, "bench.csv")
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_bank_statement(settings, NOW, raw, "bench.csv")
        second = time.perf_counter() - started
    finally:
        await db.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "database": "postgres" if db.is_postgres_url(url) else "sqlite",
                "open_invoices": len(invoices),
                "lines": args.lines,
                "matched": len(report.matched),
                "unmatched": len(report.unmatched),
                "import_seconds": round(first, 3),
                "lines_per_second": round(args.lines / first, 1),
                "second_run_seconds": round(second, 3),
                "second_run_already_imported": len(again.already_imported),
                "peak_rss_mb": round(rss_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
