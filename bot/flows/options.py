"""Reply options: the stable keys every conversation offers, what their labels show, and reading
answers.

An option's `key` is what comes back when a button is pressed; it never changes, so a button
sent last week still means the same thing. The flows name an option by key (a `Choice`), with the
template of its label and the data the label shows (a date, an invoice); the label a debtor reads
is rendered at the edge (bot/conversations/replies.py) from
templates/<lang>/flows/options/<template>.txt. The words that also choose it (synonyms, in both
languages) are in bot/flows/vocabulary.toml, `[options.<template>]`.

`match_option` reads what a debtor typed against the options just offered: the number shown
next to an option ("1", " 2. "), its key, its label or one of its words, in Italian or English,
ignoring case, accents, punctuation and surrounding blanks. The labels as words come from the
edge with the context (`FlowContext.label_words`), the synonyms from the vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.flows.vocabulary import choice_number, fold, option_words

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
# Not offered by a reminder, chosen by its words anywhere: the statement of account.
STATEMENT = "statement"

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


@dataclass(frozen=True)
class Choice:
    """An option as the flows name it: `key` comes back when chosen; the label is
    templates/<lang>/flows/options/<template>.txt rendered with `data` (at the edge)."""

    key: str
    template: str
    data: tuple[tuple[str, Any], ...] = ()

    @property
    def count(self) -> int | None:
        """The number of instalments the label shows, if it shows one."""
        value = dict(self.data).get("count")
        return value if isinstance(value, int) else None


# What the edge gives the flows: every word a choice's label is typed as, folded (its label in
# the debtor's language and, when it shows no data but a count, in every other).
LabelWords = Mapping[Choice, frozenset[str]]


def option(key: str, template: str | None = None, **data: Any) -> Choice:
    """An option with its label from templates/<lang>/flows/options/<template or key>.txt."""
    return Choice(key=key, template=template or key, data=tuple(sorted(data.items())))


def plan_count_option(count: int) -> Choice:
    return option(f"{PLAN_COUNT_PREFIX}{count}", "plan_count", count=count)


def plan_count_of(key: str) -> int | None:
    """3 for "plan_3"; None for any other key."""
    digits = key.removeprefix(PLAN_COUNT_PREFIX)
    if key.startswith(PLAN_COUNT_PREFIX) and digits.isdigit() and len(digits) <= 3:
        return int(digits)
    return None


def invoice_option(number: str, balance_cents: int, currency: str) -> Choice:
    return option(
        f"{INVOICE_PREFIX}{number}",
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
    *, discount: bool = False, bank: bool = True, order: Sequence[str] = ()
) -> tuple[Choice, ...]:
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
    return tuple(option(key) for key in keys)


def _words_for(choice: Choice, labels: LabelWords) -> frozenset[str]:
    """Every normalised form that names `choice`: key, labels, its words in both languages."""
    words = {fold(choice.key)} | labels.get(choice, frozenset())
    if not choice.key.startswith(INVOICE_PREFIX):
        words |= option_words(choice.template, choice.count)
    words.discard("")
    return frozenset(words)


def _by_words(text: str, options: tuple[Choice, ...], labels: LabelWords) -> Choice | None:
    """The single option whose key, label or keyword equals `text`; None if none or several."""
    found = [choice for choice in options if text in _words_for(choice, labels)]
    distinct = {choice.key for choice in found}
    return found[0] if len(distinct) == 1 else None


def match_option(text: str, options: tuple[Choice, ...], labels: LabelWords) -> Choice | None:
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
        by_rest = _by_words(rest, options, labels)
        if by_rest is not None:
            return by_rest
    return _by_words(wanted, options, labels)
