"""The staff chat card listing a statement's unmatched credits, one card per import, with
buttons to assign each credit to a debtor.

The candidates offered for a credit: debtors who paid before from the same IBAN (earlier
statements' credits), then debtors whose name is close to the payer's name (rapidfuzz's
token-set ratio, among the names sharing a telling word). A button press assigns the credit
(bot/decisions/bank_credits.py); a reply `/assign <credit> <debtor ref>` assigns it to anyone.
Button data: `bankcredit:<credit id>:<debtor id>` (well under Telegram's 64 bytes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process, utils

from bot.channels.base import Option
from bot.config import Settings
from bot.models import BankCredit, Debtor
from bot.models.bank import UNMATCHED
from bot.outbox import queue_staff_alert
from bot.payments.bank_csv import BankLine
from bot.sql import fetch
from bot.texts import render

CARD_TEMPLATE = "payments/staff_bank_unmatched.txt"
BUTTON_TEMPLATE = "payments/bank_assign_button.txt"
BUTTON_PREFIX = "bankcredit"
CANDIDATES = 2  # buttons per credit
LISTED = (
    15  # credits listed (and offered buttons) on the card: a chat message holds 4096 characters
)
NAME_SCORE = 80  # rapidfuzz token_set_ratio at least this to offer a debtor by name


# Words that tell no company from another: legal forms and the like.
_COMMON_WORDS = frozenset(
    {
        "srl",
        "srls",
        "spa",
        "snc",
        "sas",
        "sapa",
        "scarl",
        "soc",
        "coop",
        "ltd",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "bv",
        "nv",
        "inc",
        "co",
        "di",
        "del",
        "della",
        "dei",
        "degli",
        "e",
        "ed",
        "and",
        "the",
        "of",
        "studio",
        "ditta",
    }
)
RARE = 50  # a word in more names than this does not pick candidates on its own


class _NameIndex:
    """Debtor names by their telling words, so a payer's name is compared (rapidfuzz's token-set
    ratio) with the few names that share a rare word, not with the whole registry."""

    def __init__(self, names: dict[int, tuple[str, str]], payers: Sequence[str]) -> None:
        """Only the words of these payers' names are indexed: the card lists a few credits, the
        registry may hold 100,000 names."""
        wanted = {
            word
            for payer in payers
            for word in utils.default_process(payer).split()
            if len(word) > 1 and word not in _COMMON_WORDS
        }
        self.names: dict[int, str] = {}
        self.words: dict[str, list[int]] = {}
        for key, (name, _) in names.items():
            processed = utils.default_process(name)
            shared = wanted.intersection(processed.split())
            if shared:
                self.names[key] = processed
                for word in shared:
                    self.words.setdefault(word, []).append(key)

    def best(self, payer: str) -> list[int]:
        text = utils.default_process(payer)
        pool = {
            key
            for word in set(text.split())
            if len(self.words.get(word, ())) <= RARE
            for key in self.words.get(word, ())
        }
        if not text or not pool:
            return []
        found = process.extract(
            text,
            {key: self.names[key] for key in pool},
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=NAME_SCORE,
            limit=CANDIDATES,
        )
        return [key for _, _, key in found]


async def candidates_for(
    credits: Sequence[BankCredit], names: dict[int, tuple[str, str]]
) -> dict[int, list[int]]:
    """Credit id -> debtor ids to offer, best first: same IBAN before, then a close name."""
    ibans = sorted({c.debtor_iban for c in credits if c.debtor_iban})
    by_iban: dict[str, list[int]] = {}
    if ibans:
        rows = await BankCredit.filter(debtor_iban__in=ibans, debtor_id__isnull=False).values_list(
            "debtor_iban", "debtor_id"
        )
        for iban, debtor_id in rows:
            if debtor_id not in by_iban.setdefault(iban, []):
                by_iban[iban].append(debtor_id)
    by_name = _NameIndex(names, [credit.debtor_name for credit in credits])
    offered: dict[int, list[int]] = {}
    for credit in credits:
        picks = list(by_iban.get(credit.debtor_iban, []))
        picks += [key for key in by_name.best(credit.debtor_name) if key not in picks]
        offered[credit.id] = picks[:CANDIDATES]
    return offered


def _card_entry(credit: BankCredit, picks: list[int], names: dict[int, tuple[str, str]]) -> dict:
    return {
        "id": credit.id,
        "booked_on": credit.booked_on.isoformat(),
        "amount_cents": credit.amount_cents,
        "currency": credit.currency,
        "payer": credit.debtor_name,
        "iban": credit.debtor_iban,
        "description": credit.description[:140],
        "candidates": [{"name": names[d][0], "ref": names[d][1]} for d in picks],
    }


async def _names(credits: Sequence[BankCredit]) -> dict[int, tuple[str, str]]:
    """Debtor id -> (name, ref): the whole registry when some payer has a name to compare,
    else only the debtors who paid from these IBANs before."""
    if any(credit.debtor_name for credit in credits):  # raw SQL: the registry may be 100,000
        rows = await fetch("SELECT id, name, external_ref FROM debtor WHERE erased_at IS NULL")
        return {row[0]: (row[1], row[2]) for row in rows}
    ibans = sorted({credit.debtor_iban for credit in credits if credit.debtor_iban})
    if not ibans:
        return {}
    known = BankCredit.filter(debtor_iban__in=ibans, debtor_id__isnull=False)
    query = Debtor.filter(
        erased_at__isnull=True, id__in=await known.values_list("debtor_id", flat=True)
    )
    rows = await query.values_list("id", "name", "external_ref")
    return {debtor_id: (debtor_name, ref) for debtor_id, debtor_name, ref in rows}


async def queue_unmatched_card(
    settings: Settings, now: dt.datetime, name: str, lines: Sequence[BankLine]
) -> bool:
    """Inside the import's transaction: one card for all of this import's unmatched credits."""
    if not lines:
        return False
    refs = [line.provider_ref for line in lines]
    every = await BankCredit.filter(provider_ref__in=refs, status=UNMATCHED).order_by("id")
    credits = every[:LISTED]
    names = await _names(credits)
    offered = await candidates_for(credits, names)
    language = settings.default_language
    options: list[Option] = []
    for credit in credits:
        for debtor_id in offered[credit.id]:
            label = render(
                BUTTON_TEMPLATE,
                language,
                credit_id=credit.id,
                amount_cents=credit.amount_cents,
                currency=credit.currency,
                debtor_name=names[debtor_id][0],
            ).strip()
            options.append(Option(f"{BUTTON_PREFIX}:{credit.id}:{debtor_id}", label[:64]))
    context: dict[str, Any] = {
        "file": name,
        "credits": [_card_entry(c, offered[c.id], names) for c in credits],
        "count": len(every),
        "more": len(every) - len(credits),
        "total_cents": sum(c.amount_cents for c in every),
    }
    queued = await queue_staff_alert(
        CARD_TEMPLATE,
        context,
        now=now,
        options=options,
        idempotency_key=f"bank-unmatched:{every[0].id}" if every else None,
    )
    return queued is not None


def parse_assign_button(data: str) -> tuple[int, int] | None:
    """'bankcredit:12:7' -> (credit 12, debtor 7); None for anything else."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != BUTTON_PREFIX:
        return None
    if not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return int(parts[1]), int(parts[2])
