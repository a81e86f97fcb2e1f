"""Benchmark: importing bank statements in each format against 60,000 open invoices.

    python bench/bank_import.py                                     # SQLite, a temporary file
    python bench/bank_import.py --database-url postgres://.../bench

Seeds DEBTORS debtors with three open invoices each (bench/reconcile.py's `seed`), then imports
a statement of LINES credits in each format, each paying its own invoices: the home-banking CSV,
an ISO 20022 camt.053.001.08 and a CBI RH file. As in bench/reconcile.py, half the credits carry
our reference, a quarter only an invoice number with its exact amount, a quarter nothing we know
(those go to the staff card, with candidates by payer name). Times each import and a second run
of the same file. Prints one line per format and a JSON object as its last line: wall-clock
lines/s and lines per CPU-second of this process (the same on a quiet machine; on a loaded
one the wall figure drops with the share of CPU the benchmark gets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reconcile import NOW, TODAY, seed, statement  # noqa: E402

from bot import db  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.payments.bank import debtor_reference  # noqa: E402
from bot.payments.reconcile import import_bank_statement  # noqa: E402

Invoices = list[tuple[int, str, int]]


def _text(index: int, debtor_id: int, number: str, rng: random.Random) -> str:
    if index % 4 in (0, 1):
        return f"{debtor_reference(debtor_id)} {number}"
    if index % 4 == 2:
        return f"SALDO FATT. {number.replace('-', ' ')}"
    return f"RIF. ORDINE {rng.randrange(10**6)}"


def camt053(picked: Invoices) -> bytes:
    rng = random.Random(13)
    entries = []
    for index, (debtor_id, number, cents) in enumerate(picked):
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt>'
            "<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{TODAY.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{TODAY.isoformat()}</Dt></ValDt><AcctSvcrRef>B{index:08d}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E{index:08d}</EndToEndId></Refs>"
            f'<Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt>'
            f"<RltdPties><Dbtr><Pty><Nm>CLIENTE {debtor_id} SRL</Nm></Pty></Dbtr>"
            "<DbtrAcct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></DbtrAcct></RltdPties>"
            f"<RmtInf><Ustrd>{_text(index, debtor_id, number, rng)}</Ustrd></RmtInf>"
            "</TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-25T18:00:00</CreDtTm></GrpHdr><Stmt>"
        "<Id>BENCH-1</Id><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _record(kind: str, fields: dict[int, str]) -> str:
    chars = [" "] * 120
    chars[1:3] = kind
    for start, text in fields.items():
        chars[start - 1 : start - 1 + len(text)] = text
    return "".join(chars)


def cbi(picked: Invoices) -> bytes:
    rng = random.Random(17)
    day = f"{TODAY:%d%m%y}"
    lines = [_record("RH", {4: "05428", 9: "BENCH", 14: day, 20: "RHBENCH0001"})]
    lines.append(
        _record(
            "61", {4: "0000001", 52: "X0542811101000000123456", 75: "EUR", 100: "IT", 102: "60"}
        )
    )
    for index, (debtor_id, number, cents) in enumerate(picked):
        seq = f"{index % 1000:03d}"
        lines.append(
            _record(
                "62",
                {
                    4: "0000001",
                    11: seq,
                    14: day,
                    20: day,
                    26: "C",
                    27: f"{cents:015d}",
                    42: "48",
                    62: f"CRO{index:010d}",
                    87: "BONIFICO A VOSTRO FAVORE",
                },
            )
        )
        lines.append(_record("63", {4: "0000001", 11: seq, 14: "YYY", 41: f"CLIENTE {debtor_id}"}))
        text = _text(index, debtor_id, number, rng)
        lines.append(_record("63", {4: "0000001", 11: seq, 14: "RI1", 17: text}))
    lines.append(_record("64", {4: "0000001", 75: "EUR"}))
    lines.append(_record("EF", {4: "05428", 9: "BENCH", 14: day, 20: "RHBENCH0001"}))
    return ("\r\n".join(lines) + "\r\n").encode()


async def _time(settings: Settings, raw: bytes, name: str) -> dict[str, float | int]:
    started, cpu = time.perf_counter(), time.process_time()
    report = await import_bank_statement(settings, NOW, raw, name)
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    again = await import_bank_statement(settings, NOW, raw, name)
    second = time.perf_counter() - started
    lines = len(report.matched) + len(report.unmatched)
    return {
        "lines": lines,
        "matched": len(report.matched),
        "unmatched": len(report.unmatched),
        "seconds": round(first, 3),
        "lines_per_second": round(lines / first, 1),
        # This process's CPU time (SQLite runs inside it): the figure that a machine shared with
        # other work does not distort; PostgreSQL's own CPU is not in it.
        "cpu_seconds": round(first_cpu, 3),
        "lines_per_cpu_second": round(lines / first_cpu, 1),
        "second_run_seconds": round(second, 3),
        "second_run_already_imported": len(again.already_imported),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-bank-"))
    url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
    settings = Settings(_env_file=None, database_url=url, var_dir=tmp, secret_key="bench")
    await db.recreate(url)
    await db.connect(url)
    results: dict[str, dict[str, float | int]] = {}
    try:
        invoices = await seed(args.debtors)
        picked = random.Random(5).sample(invoices, 3 * args.lines)
        files = {
            "csv": statement(picked[: args.lines], args.lines),
            "camt053": camt053(picked[args.lines : 2 * args.lines]),
            "cbi": cbi(picked[2 * args.lines :]),
        }
        for kind, raw in files.items():
            results[kind] = await _time(settings, raw, f"bench.{kind}")
            print(kind, results[kind], flush=True)
    finally:
        await db.close()
    print(
        json.dumps(
            {
                "database": "postgres" if db.is_postgres_url(url) else "sqlite",
                "open_invoices": len(invoices),
                **{
                    f"{kind}_lines_per_second": r["lines_per_second"] for kind, r in results.items()
                },
                "formats": results,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
