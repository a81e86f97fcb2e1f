"""FatturaPA import benchmark: generate N invoice files, import them, import them again.

    .venv/bin/python bench/fatturapa.py [--files 10000] [--database-url URL]

Always runs on a fresh SQLite file in a temporary directory; with --database-url also on that
PostgreSQL database (its public schema is DROPPED: a scratch database only). The files mimic an
SdI export (tests/support/fatturapa_xml.py builds them to the 1.2.2 schema): FPR12 and FPA12
invoices to 2,000 debtors, one in ten in three instalments, one in ten with split payment, one
in twenty with ritenuta, one in twenty a credit note (TD04) for an earlier invoice, one in ten
signed (.xml.p7m, a real CMS signature); half of them loose .xml/.p7m files, half in one zip.

The goal (issue 18): 10,000 files in under 60 s on SQLite. The last line printed is one JSON
object: `seconds` the first import (every file read, checked against the schema and written),
`reimport_seconds` the second (nothing to write), `files_per_second`, `peak_rss_mb`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.importers.fatturapa import FatturaPAReport, run_fatturapa_import  # noqa: E402
from tests.support.fatturapa_xml import Body, Buyer, Payment, invoice_xml  # noqa: E402
from tests.support.p7m_signing import sign_p7m  # noqa: E402

TRADES = ("Costruzioni", "Logistica", "Impianti", "Alimentari", "Trasporti", "Arredamenti")
DAY = dt.date(2026, 10, 1)
SIGNED_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def _body(index: int, rng: random.Random) -> Body:
    date = DAY + dt.timedelta(days=index % 60)
    taxable = f"{rng.randrange(100, 20_000)}.{rng.randrange(100):02d}"
    number = f"FPR {index}/2026"
    if index % 20 == 19:
        return Body(f"NC {index}/2026", date, "50.00", kind="TD04", linked=f"FPR {index - 1}/2026")
    plain = Body(number, date, taxable)
    total = plain.total
    if index % 10 == 3:
        return Body(
            number,
            date,
            taxable,
            split_payment=True,
            payments=(Payment(taxable, date + dt.timedelta(days=30)),),
        )
    if index % 20 == 7:
        ritenuta = f"{(float(taxable) * 0.2):.2f}"
        owed = f"{float(total) - float(ritenuta):.2f}"
        return Body(
            number,
            date,
            taxable,
            kind="TD06",
            withholding=ritenuta,
            payments=(Payment(owed, date + dt.timedelta(days=30)),),
        )
    if index % 10 == 5:
        part = f"{float(total) / 3:.2f}"
        last = f"{float(total) - 2 * float(part):.2f}"
        dues = [date + dt.timedelta(days=30 * n) for n in (1, 2, 3)]
        payments = (Payment(part, dues[0]), Payment(part, dues[1]), Payment(last, dues[2]))
        return Body(number, date, taxable, payments=payments)
    return Body(
        number, date, taxable, payments=(Payment(f"{total}", date + dt.timedelta(days=30)),)
    )


def write_files(root: Path, count: int, debtors: int) -> list[Path]:
    rng = random.Random(2026)
    loose = root / "sdi"
    loose.mkdir()
    archive_path = root / "export.zip"
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            who = (index - 1 if index % 20 == 19 else index) % debtors  # a note: its invoice's
            buyer = Buyer(
                vat=f"{10_000_000_000 + who:011d}",
                name=f"{TRADES[who % 6]} {who} S.r.l.",
                pec=f"amministrazione{who}@pec.example.it",
            )
            xml = invoice_xml(
                [_body(index, rng)], buyer, pa=index % 10 == 3, progressive=f"{index:05d}"
            )
            name = f"IT01879020517_{index:05d}.xml"
            data = xml
            if index % 10 == 1:
                name, data = name + ".p7m", sign_p7m(xml, signing_time=SIGNED_AT)
            if index < count // 2:
                (loose / name).write_bytes(data)
            else:
                archive.writestr(f"2026/{index % 12 + 1:02d}/{name}", data)
    return [*sorted(loose.iterdir()), archive_path]


async def timed(paths: list[Path]) -> tuple[float, FatturaPAReport]:
    started = time.perf_counter()
    report = await run_fatturapa_import(
        paths,
        dry_run=False,
        default_language="it",
        default_timezone="Europe/Rome",
        payment_terms_days=30,
        progress=None,
    )
    return time.perf_counter() - started, report


async def bench(url: str, root: Path) -> dict[str, float]:
    paths = [*sorted((root / "sdi").iterdir()), root / "export.zip"]
    await db.recreate(url)
    await db.connect(url)
    try:
        first, report = await timed(paths)
        if not report.ok:
            raise SystemExit("the generated files did not import:\n" + report.render()[:3000])
        print("\n".join(report.render().splitlines()[:6]))
        second, again = await timed(paths)
        if again.invoices.created or again.invoices.updated or again.credit_notes.created:
            raise SystemExit("the second import changed rows:\n" + again.render()[:3000])
    finally:
        await db.close()
    return {
        "seconds": first,
        "reimport_seconds": second,
        "invoices": report.invoices.created,
        "credit_notes": report.credit_notes.created,
        "files": report.files_read,
    }


def measure_one(url: str, root: Path) -> None:
    figures = asyncio.run(bench(url, root))
    figures["rss"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


def run_child(url: str, root: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure-one", url, "--root", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the import on {url} failed:\n{done.stdout}{done.stderr}")
    *lines, last = done.stdout.strip().splitlines()
    print("\n".join(lines))
    return dict(json.loads(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--debtors", type=int, default=2_000)
    parser.add_argument("--database-url", help="also on this PostgreSQL database (scratch only)")
    parser.add_argument("--measure-one", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_one:
        measure_one(args.measure_one, args.root)
        return
    with tempfile.TemporaryDirectory(prefix="sollecito-bench-fpa-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        write_files(root, args.files, args.debtors)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s")
        sqlite = run_child(f"sqlite://{root}/bench.sqlite3", root)
        figures: dict[str, object] = {
            "bench": "fatturapa",
            "files": sqlite["files"],
            "invoice_rows": sqlite["invoices"],
            "credit_notes": sqlite["credit_notes"],
            "seconds": round(sqlite["seconds"], 2),
            "reimport_seconds": round(sqlite["reimport_seconds"], 2),
            "files_per_second": round(sqlite["files"] / sqlite["seconds"]),
            "peak_rss_mb": sqlite["rss"],
            "target_seconds": 60,
        }
        if args.database_url:
            postgres = run_child(args.database_url, root)
            figures["postgres_seconds"] = round(postgres["seconds"], 2)
            figures["postgres_reimport_seconds"] = round(postgres["reimport_seconds"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
