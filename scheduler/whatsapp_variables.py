"""WhatsApp template variables, filled from the outbox message's own kind.

Outside the 24-hour session WhatsApp carries only approved templates (Twilio Content, one Content
SID per template in TWILIO_WHATSAPP_CONTENT_SIDS), filled with numbered variables. What each
number means is the contract with the template approved for that kind of message, listed in
`VARIABLES`. WhatsApp refuses an empty variable (Twilio error 21656) and a line break inside one,
so values are put on one line here and the WhatsApp sender refuses a message with an empty one
(bot/providers/twilio/whatsapp.py) rather than sending it.

A conversation reply or a staff decision (a plan confirmation, say) keeps only its rendered text,
which cannot travel in a variable: its template says that an answer is waiting and asks the debtor
to write, which opens the session in which the text itself goes out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.formats import date, money

RECEIPT_TEMPLATES = frozenset({"payments/receipt.txt"})

# kind -> what variables "1", "2", ... of its approved template hold.
VARIABLES: dict[str, tuple[str, ...]] = {
    "reminder": ("debtor name", "amount owed", "number of invoices", "pay link"),
    "promise_reminder": ("debtor name", "amount owed", "promised date"),
    "instalment_due": ("debtor name", "instalment amount", "due date", "pay link"),
    "receipt": ("debtor name", "amount received", "amount still to pay"),
    "reply": ("debtor name", "company"),
}


@dataclass(frozen=True)
class Facts:
    """What every kind may use besides the row's own context."""

    debtor_name: str
    language: str
    company: str
    pay_url: str = ""


def message_kind(template: str, context: dict[str, Any]) -> str:
    """The kind of an outbox message to a debtor, as `VARIABLES` names it."""
    if context.get("reply"):
        return "reply"
    kind = str(context.get("kind", ""))
    if kind in VARIABLES:
        return kind
    if template in RECEIPT_TEMPLATES:
        return "receipt"
    return "reply"  # any other text for the debtor travels as a waiting answer


def one_line(value: str) -> str:
    """WhatsApp takes no line break, tab or run of spaces inside a variable."""
    return " ".join(value.split())


def _numbered(values: list[str]) -> dict[str, str]:
    return {str(n): one_line(value) for n, value in enumerate(values, start=1)}


def _reminder(context: dict[str, Any], facts: Facts) -> list[str]:
    totals = context.get("totals") or {}
    currency = next(iter(totals), "EUR")
    owed = money(int(totals.get(currency, 0)), currency, facts.language)
    count = str(len(context.get("invoices", ())))
    return [facts.debtor_name, owed, count, facts.pay_url]


def _promise(context: dict[str, Any], facts: Facts) -> list[str]:
    owed = _money(context, "total_cents", "currency", facts.language)
    return [facts.debtor_name, owed, _date(context.get("promised_date"), facts.language)]


def _instalment(context: dict[str, Any], facts: Facts) -> list[str]:
    amount = _money(context, "amount_cents", "currency", facts.language)
    due = _date(context.get("due_date"), facts.language)
    return [facts.debtor_name, amount, due, facts.pay_url or str(context.get("pay_url", ""))]


def _receipt(context: dict[str, Any], facts: Facts) -> list[str]:
    received = _money(context, "amount_cents", "payment_currency", facts.language)
    remaining = _money(context, "remaining_cents", "payment_currency", facts.language)
    return [facts.debtor_name, received, remaining]


def _reply(context: dict[str, Any], facts: Facts) -> list[str]:
    return [facts.debtor_name, facts.company]


_BUILDERS = {
    "reminder": _reminder,
    "promise_reminder": _promise,
    "instalment_due": _instalment,
    "receipt": _receipt,
    "reply": _reply,
}


def _money(context: dict[str, Any], key: str, currency_key: str, language: str) -> str:
    """An amount of the context in its currency; empty when the context has none."""
    cents = context.get(key)
    if not isinstance(cents, int) or isinstance(cents, bool):
        return ""
    return money(cents, str(context.get(currency_key) or "EUR"), language)


def _date(value: Any, language: str) -> str:
    if isinstance(value, dt.date | str) and value:
        return date(value, language)
    return ""


def variables_for(kind: str, context: dict[str, Any], facts: Facts) -> dict[str, str]:
    """The numbered variables of `kind`'s approved template, each on one line.

    A value the row cannot supply comes out empty, and the sender refuses to send it."""
    return _numbered(_BUILDERS[kind](context, facts))


def empty_variables(variables: dict[str, str]) -> list[str]:
    """The numbers of the variables WhatsApp would refuse as empty."""
    return [number for number, value in variables.items() if not value.strip()]
