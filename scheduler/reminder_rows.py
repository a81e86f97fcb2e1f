"""The reminder the planner decided on, and what its outbox row holds: the context as JSON (built
as text around the invoice lists the database serialised), the reply options, the cadence key,
and the escalation alert to staff (one summary past the per-run limit).

scheduler/cadence.py decides and writes; this module only shapes the rows' contents.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.models import Channel
from bot.outbox import options_payload
from bot.policy import Step
from bot.texts import render
from scheduler.routing import Contact
from scheduler.selection import NO_INVOICES, Group

# What every reminder offers (the conversation flows handle the answers); "discount" and the
# plan come first when the step makes that offer.
REMINDER_OPTIONS = (
    "pay_now",
    "instalments",
    "promise",
    "already_paid",
    "dispute",
    "talk_to_person",
)


@dataclass(slots=True)
class Reminder:
    """One consolidated reminder the planner decided on."""

    debtor_id: int
    debtor_name: str
    language: str
    timezone: str
    step: Step
    days_overdue: int
    anchor_id: int  # the cycle: the most overdue invoice still chased
    invoice_count: int  # the invoices the step lists and totals
    totals: dict[str, int]
    invoices_json: str
    route: tuple[Contact, ...]  # the order channels are tried; empty when decided unrouted
    upcoming: Group = NO_INVOICES  # not yet due: a separate line, outside the total
    # The debtor's risk band (policy [[credit.bands]]): the firmer wording, and whether a
    # discount may be offered.
    firm: bool = False
    discount: bool = True

    @property
    def idempotency_key(self) -> str:
        return cadence_key(self.debtor_id, self.step.name, self.anchor_id)


def cadence_key(debtor_id: int, step: str, anchor_invoice_id: int) -> str:
    return f"cadence:{debtor_id}:{step}:{anchor_invoice_id}"


def _totals_json(totals: dict[str, int]) -> str:
    if len(totals) == 1:
        ((currency, cents),) = totals.items()
        if currency.isascii() and currency.isalnum():
            return f'{{"{currency}":{cents}}}'
    return json.dumps(totals, ensure_ascii=False, separators=(",", ":"))


def reminder_context_json(reminder: Reminder) -> str:
    """What the dispatcher needs to render and route the reminder, stored on the outbox row.

    Built as text around the invoice lists the database already serialised and the step's part
    serialised once per run, so a million invoices are never turned into Python dictionaries and
    back (the same text json.dumps would write: keys in this order, no spaces). `invoices` are
    those the step lists and totals; `upcoming` (when present) those not yet due, for a separate
    line outside the total."""
    upcoming = reminder.upcoming
    extra = (
        f',"upcoming":{upcoming.invoices_json},"upcoming_totals":{_totals_json(upcoming.totals)}'
        if upcoming.count
        else ""
    )
    if reminder.firm:
        extra += ',"firm":true'
    return (
        f'{{"kind":"reminder","cycle":"invoice:{reminder.anchor_id}",'
        f'"days_overdue":{reminder.days_overdue},'
        f"{_step_context_json(reminder.step, reminder.discount)},"
        f'"totals":{_totals_json(reminder.totals)},"invoices":{reminder.invoices_json}{extra}}}'
    )


# Per-step texts, cached by the step object's identity: hashing a pydantic model costs more
# than building the text, and planning asks hundreds of thousands of times.
_BY_STEP: dict[tuple[int, str, str], tuple[Step, str]] = {}


def _cached_for_step(step: Step, kind: str, language: str, build: Any) -> str:
    key = (id(step), kind, language)
    cached = _BY_STEP.get(key)
    if cached is not None and cached[0] is step:
        return cached[1]
    if len(_BY_STEP) > 256:
        _BY_STEP.clear()
    text: str = build(step, language)
    _BY_STEP[key] = (step, text)
    return text


def _step_context_json(step: Step, discount: bool = True) -> str:
    """The step's part (without the discount offer when the debtor's band offers none)."""
    if discount or step.offer != "discount":
        return _cached_for_step(step, "context", "", _build_step_context_json)
    return _cached_for_step(step, "context-no-discount", "", _build_step_context_no_discount)


def _build_step_context_no_discount(step: Step, _language: str) -> str:
    return _build_step_context_json(step, _language, offer=None)


def _build_step_context_json(step: Step, _language: str, offer: str | None = "") -> str:
    """The step's part of a reminder's context, without the braces."""
    part = json.dumps(
        {
            "courtesy": step.courtesy,
            "formal": step.formal,
            "offer": step.offer if offer == "" else offer,
            "channels": [c.value for c in step.channels],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return part[1:-1]


def reminder_options_keys(step: Step, discount: bool = True) -> tuple[str, ...]:
    if step.offer == "discount" and discount:
        return ("discount", *REMINDER_OPTIONS)
    if step.offer == "plan":
        return ("instalments", *(k for k in REMINDER_OPTIONS if k != "instalments"))
    return REMINDER_OPTIONS


def reminder_options_json(step: Step, language: str, discount: bool = True) -> str:
    """The reply options of a step in a language, as stored on the row (rendered once per run);
    without the discount when the debtor's band offers none."""
    if discount:
        return _cached_for_step(step, "options", language, _build_options_json)
    return _cached_for_step(step, "options-no-discount", language, _build_options_no_discount)


def _build_options_no_discount(step: Step, language: str) -> str:
    return _build_options_json(step, language, discount=False)


def _build_options_json(step: Step, language: str, discount: bool = True) -> str:
    from bot.channels.base import Option

    options = [
        Option(key=key, label=render("reminders/option.txt", language, key=key))
        for key in reminder_options_keys(step, discount)
    ]
    return json.dumps(options_payload(options), ensure_ascii=False)


def escalation_key(reminder_key: str) -> str:
    return "escalation:" + reminder_key.removeprefix("cadence:")


def escalation_context(reminder: Reminder) -> dict[str, Any]:
    return {
        "debtor_id": reminder.debtor_id,
        "debtor_name": reminder.debtor_name,
        "step": reminder.step.name,
        "days_overdue": reminder.days_overdue,
        "invoice_count": reminder.invoice_count,
        "totals": reminder.totals,
    }


# Telegram lets a bot post about 20 messages a minute in a group: past this many escalations in
# one run, staff get one summary instead of a flood (the reminders themselves are unaffected).
ESCALATION_ALERTS_PER_RUN = 20
_SUMMARY_TOP = 10


@dataclass
class EscalationSummary:
    """Escalations beyond the per-run alert limit: counted by step, the largest kept by name."""

    count: int = 0
    by_step: Counter[str] = field(default_factory=Counter)
    top: list[tuple[int, int, str, str]] = field(default_factory=list)  # (cents, id, name, step)

    def add(self, reminder: Reminder) -> None:
        self.count += 1
        self.by_step[reminder.step.name] += 1
        cents = sum(reminder.totals.values())
        entry = (cents, reminder.debtor_id, reminder.debtor_name, reminder.step.name)
        if len(self.top) < _SUMMARY_TOP:
            heapq.heappush(self.top, entry)
        elif entry > self.top[0]:
            heapq.heapreplace(self.top, entry)

    def context(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_step": dict(sorted(self.by_step.items())),
            "top": [
                {"debtor_id": d, "debtor_name": n, "step": st, "cents": c}
                for c, d, n, st in sorted(self.top, reverse=True)
            ],
            "currency": "EUR",
        }


# An outbox row as scheduler/outbox_rows.py inserts it: debtor_id, audience, channel, template,
# step, context (JSON), options (JSON), idempotency key, scheduled_at, created_at.
OutboxRow = tuple[Any, ...]


def reminder_row(reminder: Reminder, key: str, scheduled_at: Any, created: Any) -> OutboxRow:
    return (
        reminder.debtor_id,
        "debtor",
        None,
        reminder.step.template,
        reminder.step.name,
        reminder_context_json(reminder),
        reminder_options_json(reminder.step, reminder.language, reminder.discount),
        key,
        scheduled_at,
        created,
    )


def escalation_row(reminder: Reminder, key: str, created: Any) -> OutboxRow:
    """The staff alert for a reminder at an escalating step."""
    return (
        reminder.debtor_id,
        "staff",
        Channel.TELEGRAM.value,
        "staff/escalation.txt",
        reminder.step.name,
        json.dumps(escalation_context(reminder), ensure_ascii=False),
        "[]",
        escalation_key(key),
        created,
        created,
    )


def summary_row(summary: EscalationSummary, now: dt.datetime, created: Any) -> OutboxRow:
    """One staff alert for the escalations past the per-run limit."""
    return (
        None,
        "staff",
        Channel.TELEGRAM.value,
        "staff/escalation_summary.txt",
        "",
        json.dumps(summary.context(), ensure_ascii=False),
        "[]",
        f"escalation-summary:{now.isoformat()}",
        created,
        created,
    )
