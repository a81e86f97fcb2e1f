"""Import benchmark: generate N debtors and M invoices as CSV, import them, import them again.

    .venv/bin/python bench/import.py [--debtors 10000] [--invoices 50000] [--database-url URL]

Always runs on a fresh SQLite file in a temporary directory. With --database-url it runs on
that PostgreSQL database as well: its public schema is DROPPED and recreated, so give it a
scratch database only. The files mimic real exports: the debtors file comma-separated with
ISO dates and English headers, the invoices file the way Italian Excel writes it (`;`,
dd/mm/yyyy, 1.234,56, Italian headers, Windows-1252).

The goal (issue 2): 10,000 debtors and 50,000 invoices in under 30 s on SQLite. The last line
printed is one JSON object with the figures; `seconds` is the first import, `reimport_seconds`
the second, idempotent one (nothing to write), `peak_rss_mb` the peak resident memory of the
process that imported. Each database is measured in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot import db
from bot.importers import ImportReport, run_import

FIRST_NAMES = ("Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino")
TRADES = ("Costruzioni", "Logistica", "Impianti", "Alimentari", "Trasporti", "Arredamenti")
FORMS = ("S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.", "& Figli")
MOBILE_PREFIXES = ("333", "347", "320", "338", "366", "349", "328", "340")
TODAY = dt.date(2026, 11, 23)
DEBTOR_HEADER = (
    *("external_ref", "name", "vat_number", "language", "credit_limit"),
    *("email", "pec", "phone", "whatsapp", "notes"),
)
# As an Italian accounting package exports them: the importer knows these aliases.
INVOICE_HEADER = (
    *("Numero", "Codice cliente", "Data emissione", "Scadenza"),
    *("Importo", "Pagato", "Valuta", "Descrizione"),
)


def write_debtors(path: Path, count: int, rng: random.Random) -> list[str]:
    refs = [f"C{number:06d}" for number in range(1, count + 1)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEBTOR_HEADER)
        for index, ref in enumerate(refs):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(TRADES)} {index} {rng.choice(FORMS)}"
            mobile = f"+39 {rng.choice(MOBILE_PREFIXES)} {rng.randrange(1_000_000, 9_999_999)}"
            slug = f"cliente{index}"
            writer.writerow(
                [
                    ref,
                    name,
                    f"IT{rng.randrange(10**10, 10**11):011d}",
                    "en" if index % 10 == 0 else "it",
                    f"{rng.randrange(1000, 100_000)}.00" if index % 3 else "",
                    f"amministrazione@{slug}.example",
                    f"{slug}@pec.example" if index % 4 == 0 else "",
                    mobile,
                    mobile if index % 2 == 0 else "",
                    "",
                ]
            )
    return refs


def italian_amount(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"


def write_invoices(path: Path, count: int, refs: list[str], rng: random.Random) -> None:
    with path.open("w", newline="", encoding="cp1252") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(INVOICE_HEADER)
        for number in range(1, count + 1):
            issued = TODAY - dt.timedelta(days=rng.randrange(0, 200))
            due = issued + dt.timedelta(days=rng.choice((30, 60, 90)))
            amount = rng.randrange(5_000, 5_000_000)
            paid = amount // 2 if number % 7 == 0 else 0
            writer.writerow(
                [
                    f"F-{issued.year}-{number:06d}",
                    refs[rng.randrange(len(refs))],
                    issued.strftime("%d/%m/%Y"),
                    due.strftime("%d/%m/%Y"),
                    italian_amount(amount),
                    italian_amount(paid) if paid else "",
                    "EUR",
                    f"Fornitura n. {number} - perché è urgente",
                ]
            )


async def reset_database(url: str) -> None:
    await db.recreate(url)


async def timed_import(debtors: Path, invoices: Path) -> tuple[float, ImportReport]:
    started = time.perf_counter()
    report = await run_import(
        debtors=debtors,
        invoices=invoices,
        dry_run=False,
        default_language="it",
        default_timezone="Europe/Rome",
    )
    return time.perf_counter() - started, report


async def bench(url: str, debtors: Path, invoices: Path) -> tuple[float, float]:
    await reset_database(url)
    await db.connect(url)
    try:
        first, report = await timed_import(debtors, invoices)
        if not report.ok or report.invoices.created == 0:
            raise SystemExit("the generated files did not import:\n" + report.render())
        print(report.render().replace("\n", "\n  "))
        second, again = await timed_import(debtors, invoices)
        if again.changed:
            raise SystemExit("the second import changed rows:\n" + again.render())
    finally:
        await db.close()
    return first, second


def measure_one(url: str, root: Path) -> None:
    """Child process: one database, a clean Tortoise state (it caches SQL per dialect)."""
    first, second = asyncio.run(bench(url, root / "debtors.csv", root / "invoices.csv"))
    # ru_maxrss is in KiB on Linux.
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(
        json.dumps({"seconds": round(first, 2), "reimport_seconds": round(second, 2), "rss": peak})
    )


def run_child(url: str, root: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure-one", url, "--files", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the import on {url} failed:\n{done.stdout}{done.stderr}")
    *lines, last = done.stdout.strip().splitlines()
    print("\n".join(lines))
    return dict(json.loads(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument(
        "--database-url",
        help="also run on this PostgreSQL database (its public schema is dropped: scratch only)",
    )
    parser.add_argument("--measure-one", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_one:
        measure_one(args.measure_one, args.files)
        return

    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="sollecito-bench-") as tmp:
        root = Path(tmp)
        refs = write_debtors(root / "debtors.csv", args.debtors, rng)
        write_invoices(root / "invoices.csv", args.invoices, refs, rng)

        sqlite = run_child(f"sqlite://{root}/bench.sqlite3", root)
        print(f"sqlite: import {sqlite['seconds']} s, re-import {sqlite['reimport_seconds']} s")
        figures: dict[str, object] = {
            "bench": "import",
            "debtors": args.debtors,
            "invoices": args.invoices,
            "seconds": sqlite["seconds"],
            "reimport_seconds": sqlite["reimport_seconds"],
            "peak_rss_mb": sqlite["rss"],
        }
        if args.database_url:
            postgres = run_child(args.database_url, root)
            print(
                f"postgres: import {postgres['seconds']} s, "
                f"re-import {postgres['reimport_seconds']} s"
            )
            figures["postgres_seconds"] = postgres["seconds"]
            figures["postgres_reimport_seconds"] = postgres["reimport_seconds"]
            figures["postgres_peak_rss_mb"] = postgres["rss"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
