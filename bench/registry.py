"""Benchmark: a debtor's whole history, for /debtor, `history`, its CSV and a statement.

    python bench/registry.py [--messages 5000] [--invoices 300] [--database-url URL]

Seeds one debtor with years of history (messages both ways, invoices, a payment per invoice with
its allocation, an audit event per payment) on a fixed clock, then times: loading the facts and
the exposure (`load_history`), the /debtor chat text (only the newest lines that fit are
rendered), the terminal text (every line), the CSV, and the statement with its PDF. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.models import (  # noqa: E402
    AuditEvent,
    Channel,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
from bot.registry.history import load_history  # noqa: E402
from bot.registry.loading import load_statement  # noqa: E402
from bot.registry.statement_pdf import statement_pdf  # noqa: E402
from bot.registry.texts import TELEGRAM_LIMIT, csv_text  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


async def seed(messages: int, invoices: int) -> Debtor:
    debtor = await Debtor.create(external_ref="B001", name="Rossi Costruzioni S.r.l.")
    start = NOW - dt.timedelta(days=3 * 365)
    rows = [
        Invoice(
            number=f"FT-{n:05d}", debtor=debtor,
            issue_date=(start + dt.timedelta(days=3 * n)).date(),
            due_date=(start + dt.timedelta(days=3 * n + 30)).date(), amount_cents=10_000 + n,
            paid_cents=10_000 + n if n < invoices - 10 else 0,
            status=InvoiceStatus.PAID if n < invoices - 10 else InvoiceStatus.OPEN,
        )
        for n in range(invoices)
    ]  # fmt: skip
    await Invoice.bulk_create(rows, batch_size=1000)
    await Message.bulk_create(
        [
            Message(
                debtor=debtor, direction=Direction.INBOUND if n % 3 == 2 else Direction.OUTBOUND,
                channel=Channel.TELEGRAM, template="" if n % 3 == 2 else "reminders/overdue_1.txt",
                body=f"messaggio {n}", status=MessageStatus.DELIVERED,
                sent_at=start + dt.timedelta(minutes=300 * n),
            )
            for n in range(messages)
        ],
        batch_size=1000,
    )  # fmt: skip
    for invoice in await Invoice.filter(debtor=debtor, status=InvoiceStatus.PAID):
        when = dt.datetime.combine(invoice.due_date, dt.time(10), dt.UTC)
        payment = await Payment.create(
            debtor=debtor, amount_cents=invoice.amount_cents, method=PaymentMethod.BANK_TRANSFER,
            received_at=when, provider_ref=f"bank:{invoice.number}",
        )  # fmt: skip
        await PaymentAllocation.create(
            payment=payment, invoice=invoice, amount_cents=payment.amount_cents
        )
        await AuditEvent.create(
            actor="system", action="invoice_paid", subject=f"payment:{payment.id}"
        )
    return debtor


def timed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
    await db.recreate(url)
    await db.connect(url)
    try:
        debtor = await seed(args.messages, args.invoices)
        started = time.perf_counter()
        history = await load_history(debtor, NOW.date())
        load_ms = timed(started)
        started = time.perf_counter()
        chat = history.chat_text("", "it")
        chat_first_ms = timed(started)  # the templates compiled on first use
        started = time.perf_counter()
        chat = history.chat_text("", "it")
        chat_ms = timed(started)
        started = time.perf_counter()
        terminal = history.terminal_text("it")
        terminal_ms = timed(started)
        started = time.perf_counter()
        rows = csv_text(history.entries)
        csv_ms = timed(started)
        started = time.perf_counter()
        statement = await load_statement(debtor, NOW.date())
        pdf = statement_pdf(statement, "it", "Forniture Bianchi S.r.l.")
        statement_ms = timed(started)
    finally:
        await db.close()
    assert len(chat) <= TELEGRAM_LIMIT
    print(
        json.dumps(
            {
                "database": "postgres" if db.is_postgres_url(url) else "sqlite",
                "entries": len(history.entries),
                "load_history_ms": load_ms,
                "debtor_chat_text_first_ms": chat_first_ms,
                "debtor_chat_text_ms": chat_ms,
                "chat_chars": len(chat),
                "terminal_text_ms": terminal_ms,
                "terminal_lines": terminal.count("\n") + 1,
                "csv_ms": csv_ms,
                "csv_bytes": len(rows.encode()),
                "statement_with_pdf_ms": statement_ms,
                "pdf_bytes": len(pdf),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
