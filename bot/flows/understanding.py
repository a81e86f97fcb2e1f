"""Understanding what a debtor wrote: text -> ranked intents with confidence, slots, a decision.

Pure: no database, no I/O, no clock (today is given). `understand` reads a whole sentence in
Italian or English as debtors write it (typos, no accents, emoji, voice-to-text run-ons):
  1. clean it (bot.flows.promise._clean), map meaningful emoji to tokens, squeeze "pagooo",
     correct single-word typos towards known words (rapidfuzz);
  2. score every intent by its cues (bot/flows/understanding_words.py); a cue right after a
     negation ("non posso pagare adesso", "I haven't paid") does not count;
  3. find the date anywhere in the sentence (bot/flows/dates_in_text.py): read as a past one
     when the sentence says it is paid, else as a future one ("il 28 novembre" written out,
     day and month, is read as the nearest such day, so a promise for it can be questioned);
  4. decide: act on the best reading only when it is clear. Two things that would each be
     recorded (a promise and an opt-out, a payment claim and a promise) or a hedged one
     ("forse lunedì") make it ask back with the likeliest choices; abuse always gets the calm
     answer; a greeting or thanks alongside anything else steps aside.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.flows import understanding_words as words
from bot.flows.dates_in_text import find_date
from bot.flows.promise import _clean
from bot.flows.understanding_words import NEGATABLE, RECORDING, SOCIAL, Intent

_LONGEST_TEXT = 2000
_STRONG, _WEAK = 1.0, 0.6
ACT_AT = 0.5  # confidence from which an intent is acted on ...
ACT_RECORDING_AT = 0.75  # ... and one that records something the debtor said
ASK_FROM = 0.25  # below this nothing is a choice worth offering
_DATE_PROMISE = 1.2  # a future date with a payment verb, or on its own
_REPEATS = re.compile(r"([a-z])\1{2,}")
_FUTURE_PAY = re.compile(
    r"\b(?:pago|paghiamo|paghero|pagheremo|pagare|saldo|saldero|bonifico|pay|paying|transfer|"
    r"send|arriva lo stipendio)\b"
)
# Said after a payment claim, only these announce another payment still to come.
_STILL_TO_PAY = re.compile(r"\b(?:pago|paghero|pagheremo|saldero|will pay|ll pay)\b")
_NUMBER_ALONE = re.compile(r"^\d{1,2}$")
_KNOWN = frozenset(words.KNOWN_WORDS)
_HINTS = words.LANGUAGE_HINTS


@dataclass(frozen=True)
class Slots:
    date: dt.date | None = None  # promise: by when; already paid: when
    count: int | None = None  # instalments asked for
    amount_cents: int | None = None  # per month (instalments) or paid (a partial claim)
    partial: bool = False  # "ho pagato metà": never the whole balance
    dispute_reason: str | None = None  # an option key: dispute_wrong_amount, ...


@dataclass(frozen=True)
class Reading:
    intent: Intent
    confidence: float


@dataclass(frozen=True)
class Understanding:
    readings: tuple[Reading, ...]  # best first; empty: nothing recognised
    slots: Slots
    language: str | None  # the language the message is written in; None: cannot tell
    act: Intent | None  # what to do; None: ask back with `choices`
    choices: tuple[Intent, ...] = ()
    negated: bool = False

    @property
    def top(self) -> Intent:
        return self.readings[0].intent if self.readings else Intent.OTHER


def _compile(cues: tuple[str, ...], weak: bool) -> re.Pattern[str] | None:
    chosen = [cue.lstrip("~") for cue in cues if cue.startswith("~") == weak]
    return re.compile("|".join(f"(?:{cue})" for cue in chosen)) if chosen else None


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[Intent, str, float, re.Pattern[str]], ...]:
    found = []
    for intent, by_language in words.CUES.items():
        for language, cues in by_language.items():
            for weak, weight in ((False, _STRONG), (True, _WEAK)):
                pattern = _compile(cues, weak)
                if pattern is not None:
                    found.append((intent, language, weight, pattern))
    return tuple(found)


_HEDGES = re.compile("|".join(words.HEDGES))
_PARTIAL = re.compile("|".join(words.PARTIAL))
_COUNT = [re.compile(p) for p in words.COUNT]
_AMOUNT_PER_MONTH = re.compile(words.AMOUNT_PER_MONTH[0])
_AMOUNT_PAID = re.compile(words.AMOUNT_PAID[0])
_HALF_NOW = re.compile("|".join(words.HALF_NOW))


@lru_cache(maxsize=8192)
def _corrected(token: str) -> str:
    """A typo towards the known word it nearly is; an inflection of one ("fatture",
    "invoices", "persona") is left alone, as is anything short."""
    if len(token) < 5 or token in _KNOWN or not token.isalpha():
        return token
    if token in _HINTS["it"] or token in _HINTS["en"]:
        return token
    best = process.extractOne(token, words.KNOWN_WORDS, scorer=fuzz.ratio, score_cutoff=90)
    if best is None or token.startswith(best[0][:-1]) or best[0].startswith(token[:-1]):
        return token
    return best[0]


def clean(text: str) -> str:
    """The sentence as the cues read it: "Pagooo ADESSO!! 🙏" -> "pago adesso emojithanks"."""
    for emoji, token in words.EMOJI.items():
        text = text.replace(emoji, token)
    squeezed = _REPEATS.sub(r"\1", _clean(text))
    return " ".join(_corrected(token) for token in squeezed.split())


def _negated(cleaned: str, start: int) -> bool:
    before = cleaned[:start].split()[-3:]
    return any(token in words.NEGATIONS for token in before)


def _score(cleaned: str) -> tuple[dict[Intent, float], dict[str, int], bool]:
    scores: dict[Intent, float] = {}
    votes = {"it": 0, "en": 0}
    negated = False
    for intent, language, weight, pattern in _patterns():
        for match in pattern.finditer(cleaned):
            if intent in NEGATABLE and _negated(cleaned, match.start()):
                negated = True
                continue
            scores[intent] = scores.get(intent, 0.0) + weight
            votes[language] += 2
    return scores, votes, negated


def _language(cleaned: str, votes: dict[str, int]) -> str | None:
    for token in cleaned.split():
        for language, hints in _HINTS.items():
            votes[language] += token in hints
    italian, english = votes["it"], votes["en"]
    if italian == english:
        return None
    return "it" if italian > english else "en"


def language_of(text: str) -> str | None:
    """The language `text` is written in, when it clearly says ("ok", "1" do not)."""
    if not isinstance(text, str) or not text.strip():
        return None
    cleaned = clean(text[:_LONGEST_TEXT])
    _, votes, _ = _score(cleaned)
    for token in cleaned.split():
        for language, hints in _HINTS.items():
            votes[language] += token in hints
    if abs(votes["it"] - votes["en"]) < 2:
        return None
    return "it" if votes["it"] > votes["en"] else "en"


def _count(cleaned: str) -> int | None:
    if _HALF_NOW.search(cleaned):
        return 2
    for pattern in _COUNT:
        found = pattern.search(cleaned)
        if found:
            text = found.group(1)
            count = int(text) if text.isdigit() else words.NUMBER_WORDS.get(text)
            return count if count is not None and 2 <= count <= 60 else None
    return None


def _cents(pattern: re.Pattern[str], cleaned: str) -> int | None:
    found = pattern.search(cleaned)
    return int(found.group(1)) * 100 if found else None


def _dispute_reason(cleaned: str) -> str | None:
    for key, pattern in words.DISPUTE_REASONS.items():
        if re.search(pattern, cleaned):
            return key
    return None


def _with_dates(cleaned: str, scores: dict[Intent, float], today: dt.date) -> dt.date | None:
    """Add what the sentence's date says to `scores`; the date, read in the right tense."""
    paid = scores.get(Intent.ALREADY_PAID, 0.0) >= ACT_AT
    future_verb = _FUTURE_PAY.search(cleaned) is not None
    if paid:
        day = find_date(cleaned, today, "past")
        still_to_pay = _STILL_TO_PAY.search(cleaned) is not None
        if still_to_pay and find_date(cleaned, today, "future") not in (None, day):
            # "ho pagato metà, il resto lo pago il 20": a claim and a promise; ask.
            scores[Intent.PROMISE] = scores.get(Intent.PROMISE, 0.0) + _STRONG
        return day
    day = find_date(cleaned, today, "nearest" if _spelled_out(cleaned) else "future")
    if day is None:
        return None
    others = any(s >= ACT_AT for i, s in scores.items() if i not in SOCIAL | {Intent.PROMISE})
    bonus = _DATE_PROMISE if future_verb or not others else ASK_FROM
    scores[Intent.PROMISE] = scores.get(Intent.PROMISE, 0.0) + bonus
    return day


def _spelled_out(cleaned: str) -> bool:
    """A day and month written out ("il 28 novembre", "28/11"): the nearest such day is meant."""
    return bool(words.SPELLED_DATE.search(cleaned))


def _decide(ranked: list[Reading]) -> tuple[Intent | None, tuple[Intent, ...]]:
    if not ranked or ranked[0].confidence < ASK_FROM:
        return Intent.OTHER, ()
    if any(r.intent == Intent.ABUSE and r.confidence >= ACT_AT for r in ranked):
        return Intent.ABUSE, ()
    recording = [r.intent for r in ranked if r.intent in RECORDING and r.confidence >= ACT_AT]
    if len(recording) >= 2:
        return None, tuple(recording[:3])
    top = ranked[0]
    needed = ACT_RECORDING_AT if top.intent in RECORDING else ACT_AT
    if top.confidence >= needed:
        return top.intent, ()
    return None, tuple(r.intent for r in ranked[:3] if r.confidence >= ASK_FROM)


# A way of paying says more than "I want to pay": "vorrei pagare a rate" asks for a plan.
_WAYS_TO_PAY = frozenset({Intent.INSTALMENTS, Intent.DISCOUNT, Intent.BANK_DETAILS})


def _ranked(scores: dict[Intent, float], hedged: bool) -> list[Reading]:
    if any(s >= ACT_AT for i, s in scores.items() if i not in SOCIAL):
        scores = {i: s for i, s in scores.items() if i not in SOCIAL}
    if any(scores.get(way, 0.0) >= ACT_AT for way in _WAYS_TO_PAY):
        scores = {i: s for i, s in scores.items() if i != Intent.PAY_NOW}
    readings = []
    for intent, score in scores.items():
        confidence = min(1.0, score)
        if hedged and intent in RECORDING:
            confidence /= 2
        readings.append(Reading(intent, round(confidence, 3)))
    # On a tie the specific intent wins over "I cannot pay", and asking over recording.
    return sorted(
        readings,
        key=lambda r: (-r.confidence, r.intent == Intent.CANNOT_PAY, r.intent in RECORDING),
    )


def _option_number(cleaned: str, options: tuple[str, ...]) -> Intent | None:
    if not _NUMBER_ALONE.match(cleaned) or not options:
        return None
    position = int(cleaned)
    if not 1 <= position <= len(options):
        return None
    key = options[position - 1]
    return Intent(key) if key in Intent._value2member_map_ else None


def understand(
    text: str,
    today: dt.date,
    *,
    stage: str = "menu.main",
    options: tuple[str, ...] = (),
    language: str | None = None,
) -> Understanding:
    """What `text` says, read on `today` at `stage` (whose option keys, in order, are `options`).

    `language`: the conversation's language, used when the message itself does not tell.
    """
    cleaned = clean(text[:_LONGEST_TEXT]) if isinstance(text, str) else ""
    chosen = _option_number(cleaned, options)
    if chosen is not None:
        return Understanding((Reading(chosen, 1.0),), Slots(), language, chosen)
    scores, votes, negated = _score(cleaned)
    if stage.startswith("already_paid."):  # answering "when did you pay?": dates are past ones
        scores[Intent.ALREADY_PAID] = scores.get(Intent.ALREADY_PAID, 0.0) + ACT_AT
    day = _with_dates(cleaned, scores, today)
    ranked = _ranked(scores, _HEDGES.search(cleaned) is not None)
    act, choices = _decide(ranked)
    slots = Slots(
        date=day,
        count=_count(cleaned),
        amount_cents=_cents(_AMOUNT_PER_MONTH, cleaned) or _cents(_AMOUNT_PAID, cleaned),
        partial=_PARTIAL.search(cleaned) is not None and Intent.ALREADY_PAID in scores,
        dispute_reason=_dispute_reason(cleaned) if Intent.DISPUTE in scores else None,
    )
    found_language = _language(cleaned, votes) or language
    return Understanding(tuple(ranked), slots, found_language, act, choices, negated)
