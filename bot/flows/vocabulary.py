"""One vocabulary: what a debtor's whole message means before any conversation reads it.

The same words mean the same on every channel (Telegram, SMS, WhatsApp), in Italian and English:

- a keyword (bot/flows/vocabulary.toml, the one list): opt-out ("STOP", "basta"), opt-in
  ("START"; "sì"/"yes" only while the address is opted out) and help ("AIUTO", "INFO");
- a button's data (Telegram callback data, WhatsApp ButtonPayload): that option, as pressed;
- a bare number ("2", "2.", " 2) "): the option shown with that number in the last list we sent;
- anything else (free text, media): for the conversation (bot/flows/options.py matches typed
  labels and the options' own words, `[options.<key>]` in the same file, against the options a
  stage offers).

Pure: it reads its data file once and imports no database, runtime, outbox or templates engine.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("vocabulary.toml")
LANGUAGES = ("it", "en")
BOTH = "both"
OPTIONS = "options"  # the section of the options' own words
COUNT = "{count}"  # in an option's words: the number of instalments


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


@dataclass(frozen=True)
class KeywordMatch:
    keyword: Keyword
    language: str  # "it", "en", or "" when the word does not tell


def normalise(text: str) -> str:
    """Lower case, accents dropped, inner spaces collapsed, trailing punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.split()).strip(" .!;,")


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as source:
        return tomllib.load(source)


def _load(path: Path) -> dict[str, dict[str, str]]:
    """{section: {normalised word: language or ""}} from the data file's keyword sections."""
    data = _read(path)
    table: dict[str, dict[str, str]] = {}
    for section, languages in data.items():
        if section == OPTIONS:
            continue
        words: dict[str, str] = {}
        for language, listed in languages.items():
            if language != BOTH and language not in LANGUAGES:
                raise ValueError(f"{path.name}: [{section}] has an unknown language {language!r}")
            for word in listed:
                key = normalise(word)
                if key in words or key != word:
                    raise ValueError(f"{path.name}: [{section}] {word!r} twice or not normalised")
                words[key] = "" if language == BOTH else language
        table[section] = words
    return table


def _load_options(path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """{option key: {language: its words as written}} from the data file's `[options.<key>]`."""
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, languages in _read(path).get(OPTIONS, {}).items():
        if set(languages) != set(LANGUAGES):
            raise ValueError(f"{path.name}: [{OPTIONS}.{key}] needs words in it and en")
        table[key] = {language: tuple(languages[language]) for language in LANGUAGES}
        for word in (word for words in table[key].values() for word in words):
            if not fold(word) or is_keyword(normalise(word.replace(COUNT, "1"))):
                raise ValueError(f"{path.name}: [{OPTIONS}.{key}] {word!r} is empty or a keyword")
    return table


WORDS = _load(DATA_FILE)
OPT_OUT_WORDS = WORDS["opt_out"]
OPT_IN_WORDS = WORDS["opt_in"]
OPT_IN_WHEN_OPTED_OUT = WORDS["opt_in_when_opted_out"]
HELP_WORDS = WORDS["help"]


def is_keyword(word: str) -> bool:
    """Whether a (normalised) word is a keyword whatever the address's state."""
    return word in OPT_OUT_WORDS or word in OPT_IN_WORDS or word in HELP_WORDS


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


def fold(text: str) -> str:
    """Lower case, no accents, punctuation and blanks folded into single spaces: how a typed
    choice is compared. "  PAGÀ ora!! " -> "paga ora"; "I'll pay on…" -> "i ll pay on"; "2." -> "2".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char.casefold() if char.isalnum() else " ")
    return " ".join("".join(kept).split())


OPTION_WORDS = _load_options(DATA_FILE)


def written_option_words(key: str, language: str) -> tuple[str, ...]:
    """The words that choose option `key` (a label's template name: "plan_count") in `language`,
    as written in the data file ("{count} rate"); empty when it has none."""
    return OPTION_WORDS.get(key, {}).get(language, ())


@lru_cache(maxsize=512)
def option_words(key: str, count: int | None = None) -> frozenset[str]:
    """The folded words that choose option `key` in every language, `count` put for "{count}"."""
    written = (word for language in LANGUAGES for word in written_option_words(key, language))
    words = {fold(word.replace(COUNT, str(count))) for word in written}
    words.discard("")
    return frozenset(words)


_NUMBERED = re.compile(r"^(\d{1,12})(?: (.*))?$")
_SIGNED_NUMBER = re.compile(r"^\s*[-+\u2212]\s*\d")


def choice_number(text: str) -> tuple[int, str | None] | None:
    """The number a typed choice starts with, and the folded words after it: "2" and " 2. " ->
    (2, None), "2 Paga a rate" -> (2, "paga a rate"); None without a number, or a signed one."""
    if _SIGNED_NUMBER.match(text):
        return None  # "-1" is no option's number
    found = _NUMBERED.match(fold(text))
    return (int(found.group(1)), found.group(2)) if found else None


def bare_number(text: str) -> int | None:
    """2 for "2", " 2. " or "2)"; None for anything else (words after it included)."""
    found = choice_number(text)
    return found[0] if found is not None and found[1] is None else None


def option_for_number(text: str, offered: Sequence[Mapping[str, str]]) -> str:
    """The key of the option a bare number picks among those offered (numbered from 1), or ""."""
    number = bare_number(text)
    if number is None or not 1 <= number <= len(offered):
        return ""
    return str(offered[number - 1].get("key", ""))


@dataclass(frozen=True)
class Meaning:
    """What an inbound message is: a keyword, or an option chosen, or words for the conversation."""

    keyword: KeywordMatch | None = None
    chosen_option: str = ""  # a button's data, or the option a bare number picked


def meaning(
    text: str,
    *,
    button: str = "",
    has_media: bool = False,
    opted_out: bool = False,
    offered: Sequence[Mapping[str, str]] = (),
) -> Meaning:
    """The one reading of a message, the same on every channel.

    `button`: the data of a button pressed; `offered`: the options of the last list we sent (a
    bare number picks among them); `opted_out`: every contact point at the address is opted out.
    """
    if button:
        return Meaning(chosen_option=button)
    if has_media:
        return Meaning()
    keyword = match_keyword(text, opted_out=opted_out)
    if keyword is not None:
        return Meaning(keyword=keyword)
    return Meaning(chosen_option=option_for_number(text, offered))
