"""The timeline written out: for the staff chat (within Telegram's 4,096 characters, the oldest
entries left out with a note), for the terminal (all of it) and as CSV (one row an entry).

Each entry's line is templates/<lang>/registry/entry.txt; the header (name, exposure, the score
line when there is one) templates/<lang>/registry/header.txt.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.credit.exposure import Exposure
from bot.models import Debtor
from bot.registry.timeline import Entry
from bot.texts import render

TELEGRAM_LIMIT = 4096
CSV_COLUMNS = (
    "at", "kind", "actor", "channel", "template", "status", "amount_cents", "currency",
    "reference", "due", "text", "source",
)  # fmt: skip


def local(at: dt.datetime, zone: str) -> dt.datetime:
    return at.astimezone(ZoneInfo(zone))


def entry_line(entry: Entry, language: str, zone: str, currency: str = "EUR") -> str:
    at = local(entry.at, zone)
    when = f"{at:%d/%m/%y %H:%M}"
    return render("registry/entry.txt", language, entry=entry, when=when, currency=currency)


def header_text(
    debtor: Debtor,
    exposure: Exposure,
    language: str,
    *,
    score_line: str | None = None,
    currency: str = "EUR",
) -> str:
    """Who the debtor is, what they owe now (overdue and not yet due) and, when the integrator
    passes one, the risk score's line."""
    erased = debtor.erased_at
    return render(
        "registry/header.txt",
        language,
        debtor=debtor,
        erased_on=local(erased, debtor.timezone).date() if erased is not None else None,
        exposure=exposure,
        currency=currency,
        credit_limit_cents=debtor.credit_limit_cents,
        score_line=score_line,
    )


def timeline_text(
    lines: Sequence[str],
    language: str,
    ref: str,
    *,
    budget: int | None = None,
    total: int | None = None,
) -> str:
    """The timeline's lines, oldest first; with a `budget` (characters), the oldest are left out
    until the text fits, and a note says how many and where to read them all. `total`: how many
    entries there are when `lines` holds only the newest of them."""
    shown = list(lines)
    total = len(lines) if total is None else total
    text = _timeline(shown, total, language, ref)
    if budget is None:
        return text
    # Drop from the oldest; each try costs one render, so drop by what is over the budget.
    while shown and len(text) > budget:
        over = len(text) - budget
        dropped = 0
        while shown and over > 0:
            over -= len(shown.pop(0)) + 1
            dropped += 1
        text = _timeline(shown, total, language, ref)
    return text


def _timeline(shown: list[str], total: int, language: str, ref: str) -> str:
    return render(
        "registry/timeline.txt",
        language,
        lines=shown,
        total=total,
        shown=len(shown),
        omitted=total - len(shown),
        ref=ref,
    )


def chat_text(
    header: str,
    body: str,
    lines: Sequence[str],
    language: str,
    ref: str,
    total: int | None = None,
) -> str:
    """`header` and `body` (the /debtor card) then as much of the timeline as fits one message.
    `lines` may be the newest entries only (`newest_lines`); `total` then counts them all."""
    top = "\n\n".join(part for part in (header, body) if part)
    budget = TELEGRAM_LIMIT - len(top) - 2
    timeline = timeline_text(lines, language, ref, budget=budget, total=total)
    return f"{top}\n\n{timeline}"


def newest_lines(
    entries: Sequence[Entry], language: str, zone: str, currency: str, budget: int
) -> list[str]:
    """The lines of the newest entries that together fit `budget` characters, oldest first: a
    debtor with years of messages has only those rendered for the chat."""
    lines: list[str] = []
    for entry in reversed(entries):
        line = entry_line(entry, language, zone, currency)
        budget -= len(line) + 1
        if budget < 0:
            break
        lines.append(line)
    return lines[::-1]


def csv_text(entries: Sequence[Entry]) -> str:
    """One row an entry, machine-readable: times in UTC ISO 8601, amounts in cents."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.at.astimezone(dt.UTC).isoformat(),
                entry.kind.value,
                entry.actor,
                entry.channel,
                entry.template,
                entry.status,
                "" if entry.amount_cents is None else entry.amount_cents,
                entry.currency,
                entry.reference,
                entry.due.isoformat() if entry.due else "",
                entry.text,
                entry.source,
            ]
        )
    return out.getvalue()
