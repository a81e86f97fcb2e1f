"""A debtor's history put together: the timeline's entries and the exposure, loaded once, for
the staff chat's /debtor and for `python -m bot history REF [--csv FILE]`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.credit.exposure import Exposure, load_exposure
from bot.models import Debtor
from bot.registry.loading import load_facts
from bot.registry.texts import (
    TELEGRAM_LIMIT,
    chat_text,
    entry_line,
    header_text,
    newest_lines,
    timeline_text,
)
from bot.registry.timeline import Entry, build


@dataclass(frozen=True)
class History:
    debtor: Debtor
    entries: list[Entry]
    exposure: Exposure
    currency: str

    def lines(self, language: str) -> list[str]:
        zone = self.debtor.timezone
        return [entry_line(e, language, zone, self.currency) for e in self.entries]

    def header(self, language: str, score_line: str | None = None) -> str:
        return header_text(
            self.debtor, self.exposure, language, score_line=score_line, currency=self.currency
        )

    def terminal_text(self, language: str, score_line: str | None = None) -> str:
        """All of it, for the terminal: the header, then every entry."""
        ref = self.debtor.external_ref
        body = timeline_text(self.lines(language), language, ref)
        return f"{self.header(language, score_line)}\n\n{body}"

    def chat_text(self, card: str, language: str, score_line: str | None = None) -> str:
        """The header, the /debtor card, and as much of the timeline as one message holds (only
        the newest entries that can fit are rendered)."""
        header = self.header(language, score_line)
        zone, ref = self.debtor.timezone, self.debtor.external_ref
        lines = newest_lines(self.entries, language, zone, self.currency, TELEGRAM_LIMIT)
        return chat_text(header, card, lines, language, ref, total=len(self.entries))


async def load_history(debtor: Debtor, today: dt.date) -> History:
    facts = await load_facts(debtor)
    exposure = (await load_exposure(today, [debtor.id])).get(debtor.id, Exposure())
    currencies = [row["currency"] for row in facts.invoices]
    currency = max(set(currencies), key=currencies.count) if currencies else "EUR"
    return History(debtor, build(facts, debtor.timezone), exposure, currency)
