"""Reply options: the stable keys every conversation offers, their labels, and reading answers.

An option's `key` is what comes back when a button is pressed; it never changes, so a button
sent last week still means the same thing. The label a debtor reads lives in
templates/<lang>/flows/options/<key>.txt; the words that also choose it (synonyms, in the
debtor's language) live in templates/<lang>/flows/keywords/<key>.txt, one per line.

`match_option` reads what a debtor typed against the options just offered: the number shown
next to an option ("1", " 2. "), its key, its label or one of its keywords, in Italian or
English, ignoring case, accents, punctuation and surrounding blanks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import meta

from bot.channels.base import Option
from bot.config import SUPPORTED_LANGUAGES
from bot.flows.vocabulary import choice_number, fold
from bot.texts import TEMPLATES_DIR, environment, render

# The options every reminder offers, in the order they are numbered. The discount and the bank
# details come last, so "2" means instalments whether or not a step offers the discount.
PAY_NOW = "pay_now"
INSTALMENTS = "instalments"
PROMISE = "promise"
ALREADY_PAID = "already_paid"
DISPUTE = "dispute"
TALK_TO_PERSON = "talk_to_person"
DISCOUNT = "discount"
BANK_DETAILS = "bank_details"

# Options used inside the conversations.
STOP = "stop"
MENU = "menu"
BACK = "back"
YES = "yes"
NO = "no"
ACCEPT = "accept"
SKIP = "skip"  # no receipt for a payment already made
NO_DETAILS = "no_details"  # a dispute without a description
PLAN_FIRST_DATE = "plan_first_date"
PROMISE_IN_3_DAYS = "promise_in_3_days"
PROMISE_NEXT_FRIDAY = "promise_next_friday"
PROMISE_END_OF_MONTH = "promise_end_of_month"
PAID_TODAY = "paid_today"
PAID_YESTERDAY = "paid_yesterday"
DISPUTE_WRONG_AMOUNT = "dispute_wrong_amount"
DISPUTE_GOODS_OR_SERVICE = "dispute_goods_or_service"
DISPUTE_NOT_MINE = "dispute_not_mine"
DISPUTE_OTHER = "dispute_other"
DISPUTE_ALL_INVOICES = "dispute_all_invoices"

# Keys built from data: "plan_3" (three instalments), "invoice:FT-2026-001".
PLAN_COUNT_PREFIX = "plan_"
INVOICE_PREFIX = "invoice:"

# Longer than any label or keyword: such a text is a message, not a choice.
_LONGEST_CHOICE = 120


def option(key: str, language: str, template: str | None = None, **context: Any) -> Option:
    """An option with its label from templates/<lang>/flows/options/<template or key>.txt."""
    return _option(key, language, template or key, tuple(sorted(context.items())))


@lru_cache(maxsize=4096)
def _option(key: str, language: str, template: str, context: tuple[tuple[str, Any], ...]) -> Option:
    # Labels are asked for on every step; the same few are rendered once.
    return Option(key=key, label=render(f"flows/options/{template}.txt", language, **dict(context)))


def plan_count_option(count: int, language: str) -> Option:
    return option(f"{PLAN_COUNT_PREFIX}{count}", language, "plan_count", count=count)


def plan_count_of(key: str) -> int | None:
    """3 for "plan_3"; None for any other key."""
    digits = key.removeprefix(PLAN_COUNT_PREFIX)
    if key.startswith(PLAN_COUNT_PREFIX) and digits.isdigit() and len(digits) <= 3:
        return int(digits)
    return None


def invoice_option(number: str, language: str, balance_cents: int, currency: str) -> Option:
    return option(
        f"{INVOICE_PREFIX}{number}",
        language,
        "invoice",
        number=number,
        balance_cents=balance_cents,
        currency=currency,
    )


MENU_KEYS = (
    PAY_NOW,
    INSTALMENTS,
    PROMISE,
    ALREADY_PAID,
    DISPUTE,
    TALK_TO_PERSON,
    DISCOUNT,
    BANK_DETAILS,
)


def reminder_options(
    language: str, *, discount: bool = False, bank: bool = True, order: Sequence[str] = ()
) -> tuple[Option, ...]:
    """What every reminder offers, numbered in this order; the discount only when offered, the
    bank transfer details only when the company has an IBAN (both come last by default).

    `order`: the keys in the order a reminder actually showed them, so that "1" means what the
    debtor saw as 1; unknown keys are dropped and the options it lacks follow it.
    """
    keys = [key for key in dict.fromkeys(order) if key in MENU_KEYS]
    keys += [key for key in MENU_KEYS if key not in keys]
    if not discount:
        keys.remove(DISCOUNT)
    if not bank:
        keys.remove(BANK_DETAILS)
    return tuple(option(key, language) for key in keys)


def _label_shows_data(template: str, language: str) -> bool:
    """Whether the label needs data other than a count (a date): then it is not a keyword."""
    env = environment()
    name = f"{language}/flows/options/{template}.txt"
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    needed = meta.find_undeclared_variables(env.parse(source))
    return bool(needed - {"count", "money", "date", "language"})


@lru_cache(maxsize=512)
def keywords(key: str, language: str) -> frozenset[str]:
    """The normalised words that choose `key` in `language` (empty when it has none)."""
    template = key
    if plan_count_of(key) is not None:
        template = "plan_count"
    elif key.startswith(INVOICE_PREFIX):
        return frozenset()
    if not (TEMPLATES_DIR / language / "flows" / "keywords" / f"{template}.txt").is_file():
        return frozenset()
    count = plan_count_of(key)
    text = render(f"flows/keywords/{template}.txt", language, count=count)
    words = {word for line in text.splitlines() if (word := fold(line))}
    # The label in this language chooses it too: "pay now" works for an Italian debtor.
    # A label that shows data (a date) is never typed as is; its keywords suffice.
    if not _label_shows_data(template, language):
        words.add(fold(render(f"flows/options/{template}.txt", language, count=count)))
    words.discard("")
    return frozenset(words)


@lru_cache(maxsize=4096)
def _words_for(choice: Option, language: str) -> frozenset[str]:
    """Every normalised form that names `choice`: key, label, keywords in both languages."""
    words = {fold(choice.key), fold(choice.label)}
    for lang in (language, *(other for other in SUPPORTED_LANGUAGES if other != language)):
        words |= keywords(choice.key, lang)
    words.discard("")
    return frozenset(words)


def _by_words(text: str, options: tuple[Option, ...], language: str) -> Option | None:
    """The single option whose key, label or keyword equals `text`; None if none or several."""
    found = [choice for choice in options if text in _words_for(choice, language)]
    distinct = {choice.key for choice in found}
    return found[0] if len(distinct) == 1 else None


def match_option(text: str, options: tuple[Option, ...], language: str) -> Option | None:
    """The option a typed answer chooses, or None when it chooses none (or is ambiguous).

    Accepts the option's number as shown ("1", " 2. "), its key, label or a keyword in Italian or
    English; "2 Paga a rate" works too when the number and the words agree.
    """
    if not options or not isinstance(text, str):
        return None
    if len(text) > 4 * _LONGEST_CHOICE:
        return None
    wanted = fold(text)
    if not wanted or len(wanted) > _LONGEST_CHOICE:
        return None
    numbered = choice_number(text)  # the one reading of numbers (bot/flows/vocabulary.py)
    if numbered is not None:
        position, rest = numbered
        if rest is None:
            return options[position - 1] if 1 <= position <= len(options) else None
        # "2 Paga a rate" as copied from a numbered list: the words decide.
        by_rest = _by_words(rest, options, language)
        if by_rest is not None:
            return by_rest
    return _by_words(wanted, options, language)
