"""Benchmark: risk scoring and credit alerts over N debtors.

    python bench/credit_score.py --debtors 20000                  # SQLite, a temporary file
    python bench/credit_score.py --debtors 100000 --database-url postgres://.../bench

Generates N debtors, each with three settled invoices (paid 0-40 days late, one payment each)
and one open invoice, a credit limit on half of them, and some broken promises and failed
payments; then times the nightly scoring of every debtor (bot/credit/alerts.py `rescore_all`:
facts, exposure, scores, bands stored), a second run (bands unchanged), and the credit check an
import pays for (limits and exposure read before and after, the touched debtors scored) around an
import of one new invoice. Prints a JSON object as its last line.
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
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tortoise.transactions import in_transaction  # noqa: E402

from bot import db  # noqa: E402
from bot.credit.alerts import CreditScope, rescore_all  # noqa: E402
from bot.importers import run_import  # noqa: E402
from bot.importers.writing import insert_rows  # noqa: E402
from bot.models import (  # noqa: E402
    Debtor,
    Invoice,
    Payment,
    PaymentAllocation,
    PromiseToPay,
)
from bot.policy_credit import Credit  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 25)
ZONE = ZoneInfo("Europe/Rome")


async def generate(debtors: int, rng: random.Random) -> None:
    async with in_transaction() as conn:
        await insert_rows(
            Debtor,
            [
                {
                    "external_ref": f"B{i:08d}",
                    "name": f"Cliente {i} S.r.l.",
                    "credit_limit_cents": 500_000 if i % 2 else None,
                }
                for i in range(1, debtors + 1)
            ],
            conn,
            NOW,
        )
        # Ids are the database's own (1, 2, ... in insertion order): rows refer to them so.
        invoices, payments, allocations, promises, failed = [], [], [], [], []
        for i in range(1, debtors + 1):
            for k in range(4):
                number = (i - 1) * 4 + k + 1
                due = TODAY - dt.timedelta(days=30 + 60 * (3 - k))
                settled = k < 3
                invoices.append(
                    {
                        "debtor_id": i,
                        "number": f"F{number:09d}",
                        "issue_date": due - dt.timedelta(days=30),
                        "due_date": due,
                        "amount_cents": 100_000,
                        "paid_cents": 100_000 if settled else 0,
                        "status": "paid" if settled else "open",
                    }
                )
                if settled:
                    paid = dt.datetime.combine(due, dt.time(10), dt.UTC)
                    paid += dt.timedelta(days=rng.randint(0, 40))
                    payments.append(
                        {
                            "debtor_id": i,
                            "amount_cents": 100_000,
                            "method": "bank_transfer",
                            "status": "succeeded",
                            "provider_ref": f"p{number}",
                            "received_at": paid,
                        }
                    )
                    allocations.append(
                        {"payment_id": len(payments), "invoice_id": number, "amount_cents": 100_000}
                    )
            if rng.random() < 0.1:
                promises.append({"debtor_id": i, "promised_date": TODAY, "status": "broken"})
            if rng.random() < 0.05:
                failed.append(
                    {
                        "debtor_id": i,
                        "amount_cents": 50_000,
                        "method": "stripe",
                        "status": "failed",
                        "received_at": NOW,
                    }
                )
        await insert_rows(Invoice, invoices, conn, NOW)
        await insert_rows(Payment, payments + failed, conn, NOW)
        await insert_rows(PaymentAllocation, allocations, conn, NOW)
        await insert_rows(PromiseToPay, promises, conn, NOW)


async def bench(url: str, debtors: int, root: Path) -> dict[str, object]:
    await db.recreate(url)
    await db.connect(url)
    try:
        await generate(debtors, random.Random(2026))
        scope = CreditScope(today=TODAY, now=NOW, zone=ZONE, credit=Credit())
        started = time.perf_counter()
        first = await rescore_all(scope)
        scoring = time.perf_counter() - started
        started = time.perf_counter()
        second = await rescore_all(scope)
        again = time.perf_counter() - started
        bands: dict[str, int] = {}
        for band in await Debtor.all().values_list("risk_band", flat=True):
            bands[str(band)] = bands.get(str(band), 0) + 1
        path = root / "one.csv"
        path.write_text(
            "number,debtor_ref,issue_date,due_date,amount\nX-1,B00000001,2026-11-20,,9000.00\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        report = await run_import(
            debtors=None,
            invoices=path,
            dry_run=False,
            default_language="it",
            default_timezone="Europe/Rome",
            payment_terms_days=30,
            credit=scope,
        )
        with_credit = time.perf_counter() - started
        path.write_text(
            "number,debtor_ref,issue_date,due_date,amount\nX-2,B00000003,2026-11-20,,10.00\n",
            encoding="utf-8",
        )
        started = time.perf_counter()
        await run_import(
            debtors=None,
            invoices=path,
            dry_run=False,
            default_language="it",
            default_timezone="Europe/Rome",
            payment_terms_days=30,
        )
        without_credit = time.perf_counter() - started
    finally:
        await db.close()
    return {
        "bench": "credit_score",
        "database": url.split(":")[0],
        "debtors": debtors,
        "scored": first.scored,
        "scoring_seconds": round(scoring, 2),
        "debtors_per_second": round(first.scored / scoring),
        "rescoring_seconds": round(again, 2),
        "worse_on_rescoring": len(second.worse),
        "bands": dict(sorted(bands.items())),
        "import_one_invoice_seconds": round(with_credit, 3),
        "import_one_invoice_without_credit_seconds": round(without_credit, 3),
        "alerts": report.credit_notes,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=20_000)
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to run on (scratch only: it is recreated)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sollecito-bench-") as tmp:
        root = Path(tmp)
        url = args.database_url or f"sqlite://{root}/bench.sqlite3"
        print(json.dumps(asyncio.run(bench(url, args.debtors, root))))


if __name__ == "__main__":
    main()
