"""Opting out and back in by text (SMS and WhatsApp keywords), recorded on the contact points.

SMS and WhatsApp debtors control contact with keywords sent as the whole message, in Italian or
English, in any case and with or without accents ("stop", "Arresta", "AIUTO"). An opt-out is
recorded on every contact point with that channel and address (the number is the person's, not one
debtor's) and honoured: the contact point is no longer `reachable`, so the dispatcher skips it.

Opt-in words that are also everyday answers ("sì", "yes") count only while the number is opted
out; otherwise they are a normal reply and go to the conversation.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.models import Channel, ContactPoint


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# Twilio's standard keywords plus the Italian ones. Values: the language the word implies, or ""
# when it is used in both (then the debtor's language decides).
OPT_OUT_WORDS = {
    "stop": "",
    "stopall": "en",
    "stop all": "en",
    "unsubscribe": "en",
    "cancel": "en",
    "end": "en",
    "quit": "en",
    "revoke": "en",
    "optout": "en",
    "opt out": "en",
    "arresta": "it",
    "cancella": "it",
    "basta": "it",
    "disiscrivi": "it",
    "disiscrivimi": "it",
}
OPT_IN_WORDS = {"start": "", "unstop": "en", "subscribe": "en", "avvia": "it", "riattiva": "it"}
# Everyday answers: opt-in only for a number that is opted out.
OPT_IN_WHEN_OPTED_OUT = {"yes": "en", "si": "it"}
HELP_WORDS = {"help": "en", "info": "", "aiuto": "it"}


@dataclass(frozen=True)
class KeywordMatch:
    keyword: Keyword
    language: str  # "it", "en", or "" when the word does not tell


def normalise(text: str) -> str:
    """Lower case, accents dropped, inner spaces collapsed, trailing punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.split()).strip(" .!;,")


def match_keyword(text: str, *, opted_out: bool) -> KeywordMatch | None:
    """The keyword the whole message is, if it is one."""
    word = normalise(text)
    if word in OPT_OUT_WORDS:
        return KeywordMatch(Keyword.OPT_OUT, OPT_OUT_WORDS[word])
    if word in OPT_IN_WORDS:
        return KeywordMatch(Keyword.OPT_IN, OPT_IN_WORDS[word])
    if opted_out and word in OPT_IN_WHEN_OPTED_OUT:
        return KeywordMatch(Keyword.OPT_IN, OPT_IN_WHEN_OPTED_OUT[word])
    if word in HELP_WORDS:
        return KeywordMatch(Keyword.HELP, HELP_WORDS[word])
    return None


def confirmation_template(keyword: Keyword) -> str:
    return f"optout/{keyword.value}.txt"


KEYWORD_OPT_IN_SOURCE = "keyword"  # ContactPoint.opt_in_source after START / ISCRIVI


async def record_opt_out(channel: Channel, address: str, now: dt.datetime) -> int:
    """Mark every contact point with this address opted out; returns how many."""
    return await ContactPoint.filter(channel=channel, address=address).update(opted_out_at=now)


async def record_opt_in(channel: Channel, address: str, now: dt.datetime) -> int:
    """The owner of this address wrote the opt-in keyword (START): consent, and its source."""
    return await ContactPoint.filter(channel=channel, address=address).update(
        opted_out_at=None, opted_in_at=now, opt_in_source=KEYWORD_OPT_IN_SOURCE
    )
