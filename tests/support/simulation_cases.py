"""Hand-made messages and facts for the audit's unit tests
(tests/simulation/test_simulation_audit.py)."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from simulation.facts import AuditPolicy, DebtorFacts, InvoiceFact, Journal, LogEntry, Sent

POLICY = AuditPolicy(
    quiet_start=dt.time(9),
    quiet_end=dt.time(19),
    weekdays=frozenset(range(5)),
    country="IT",
    cap_per_7_days=3,
    sms_segment_budget=2,
    step_days={
        "courtesy": -3,
        "due_today": 0,
        "overdue_1": 7,
        "overdue_2": 21,
        "overdue_3": 45,
        "final_notice": 60,
    },
)
ROME = dt.timezone(dt.timedelta(hours=1))  # winter time in Rome, for writing moments plainly
# Monday 23 November 2026, 10:00 in Rome
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ROME).astimezone(dt.UTC)
_ids = itertools.count(1)


def rome(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ROME).astimezone(dt.UTC)


def invoice(n: int, due: dt.date, cents: int = 10_000, status: str = "open") -> InvoiceFact:
    return InvoiceFact(n, f"SIM-26-{n:06d}", due, cents, "EUR", status)


OVERDUE = invoice(1, dt.date(2026, 10, 1), 50_000)
NOT_YET_DUE = invoice(2, dt.date(2026, 12, 10), 20_000)
FACTS = DebtorFacts(debtor_id=7, timezone="Europe/Rome", invoices=(OVERDUE, NOT_YET_DUE))


def sent(
    text: str,
    *,
    step: str = "",
    at: dt.datetime = MONDAY_10,
    channel: str = "telegram",
    address: str = "700000007",
    template: str = "",
    facts: DebtorFacts | None = FACTS,
    free_text: bool = False,
    debtor_id: int | None = 7,
) -> Sent:
    return Sent(
        id=next(_ids),
        at=at,
        channel=channel,
        address=address,
        text=text,
        template=template or (f"reminders/{step}.txt" if step else "flows/closed.txt"),
        step=step,
        debtor_id=debtor_id,
        facts=facts,
        whatsapp_free_text=free_text,
    )


def logged(message: Sent) -> LogEntry:
    assert message.debtor_id is not None
    return LogEntry(message.id, message.debtor_id, message.step, "sent", message.at)


def journal(
    inbound: list[tuple[dt.datetime, str, str]] | None = None,
    stops: list[tuple[dt.datetime, str, str]] | None = None,
) -> Journal:
    return Journal(inbound=list(inbound or []), stops=list(stops or []))
