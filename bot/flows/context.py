"""The data a conversation step works on: what it knows, what came in, what it answers.

`FlowContext` carries only the current debtor's data, so nothing a step says can show another
debtor's invoices. `ReplySpec` names a template and its context; rendering happens at the edge
(bot/conversations/replies.py), where the engine also fills in what only effects produce
(`fills`: the payment link's URL).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Attachment
from bot.flows.effects import Effect
from bot.flows.options import Choice, LabelWords
from bot.payments.bank import BankTransfer
from bot.policy import Policy

DEFAULT_INACTIVITY = dt.timedelta(hours=72)


@dataclass(frozen=True)
class OpenInvoice:
    number: str
    balance_cents: int
    due_date: dt.date


def same_day(day: dt.date) -> dt.date:
    """A calendar in which every day is a business day: the default of a context built without
    the company's calendar (the engine always passes the real one, Runtime.business_day)."""
    return day


@dataclass(frozen=True)
class FlowContext:
    """Everything a step may use. Only the current debtor's data; `today`/`now` are given."""

    language: str
    invoices: tuple[OpenInvoice, ...]
    policy: Policy
    today: dt.date
    now: dt.datetime
    discount_offered: bool = False  # the reminder step the debtor answers offers the discount
    currency: str = "EUR"
    # Transfer details for the open balance (bot.payments.bank.bank_transfer); None: no IBAN.
    bank: BankTransfer | None = None
    inactivity_timeout: dt.timedelta = DEFAULT_INACTIVITY
    # The menu's keys in the order the last reminder showed them (set by states.step from the
    # state; see states.after_reminder). Empty: the default order.
    menu_order: tuple[str, ...] = ()
    company: str = ""  # who writes, for "chi siete?"
    # A day -> that day if the company works then, else the next business day. Every date a
    # text asks the debtor to act by (instalments, deadlines) goes through it.
    business_day: Callable[[dt.date], dt.date] = same_day
    # The options' labels as the debtor may type them, folded (bot.conversations.replies
    # `LabelWords`, from templates/<lang>/flows/options/): the flows never render a label.
    label_words: LabelWords = field(default_factory=dict)
    # The debtor's risk band allows plans approved without staff (policy [[credit.bands]]
    # auto_plans); False: every plan goes to staff, whatever its amount.
    auto_plans: bool = True

    @property
    def balance_cents(self) -> int:
        return sum(invoice.balance_cents for invoice in self.invoices)

    def invoice(self, number: str) -> OpenInvoice | None:
        return next((invoice for invoice in self.invoices if invoice.number == number), None)

    def invoices_for_template(self) -> list[dict[str, Any]]:
        return [
            {"number": i.number, "balance_cents": i.balance_cents, "due_date": i.due_date}
            for i in self.invoices
        ]


@dataclass(frozen=True)
class Input:
    """One thing the debtor did: pressed a button (`option`) or wrote (`text`, attachments)."""

    option: str = ""  # button data or quick-reply payload; "" when the debtor typed
    text: str = ""
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ReplySpec:
    """A reply to render: templates/<lang>/<template> with `context`, plus the options offered.

    `fills` names context keys the engine supplies after applying the effects (e.g. "pay_url").
    `attachments` go along as they are (the bank transfer's EPC QR code).
    """

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    options: tuple[Choice, ...] = ()
    fills: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a step decided: the new state, the replies, the effects. `prompt`: the stage moved
    to still has to say its own prompt after `replies` (bot/flows/graph.py `arrive` adds it)."""

    new_state: dict[str, Any]
    replies: list[ReplySpec]
    effects: list[Effect] = field(default_factory=list)
    prompt: bool = False


def clean_message(text: str) -> str:
    """A debtor's words as staff will read them: control characters dropped, lines kept."""
    return "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) != "Cc"
    ).strip()
