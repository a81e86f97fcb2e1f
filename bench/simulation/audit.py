"""The audit of issue 14: plain rules over what was sent, the message log and the journal.

Each rule reads the rendered text as a debtor would (amounts, invoice numbers, dates, claims; see
textparse.py) and compares it with the facts as of the moment the message left. `audit` returns
one counter per rule and up to three examples of each.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from simulation.facts import AuditPolicy, Journal, LogEntry, Sent
from simulation.textparse import (
    amounts,
    claimed_earlier_reminders,
    dates,
    invoice_numbers,
    ordinal_claim,
    sms_segments,
    unlabelled_text,
)

IMMEDIATE = dt.timedelta(minutes=10)  # an answer this soon after the person wrote or paid
WEEK = dt.timedelta(days=7)
WHATSAPP_SESSION = dt.timedelta(hours=24)
CHASEABLE = ("open", "partially_paid")
DELIVERED = ("sent", "delivered", "read")
EXAMPLES = 3

# The rows of issue 14's table, the extra two of its "Done when", then the good news.
DEFECT_ROWS = (
    "overdue_reminder_lists_not_yet_due",
    "first_message_claims_earlier_reminders",
    "ordinal_reminder_with_fewer_earlier",
    "reminder_while_plan_pending_approval",
    "proactive_non_cadence_outside_hours",
    "proactive_over_weekly_cap",
    "whatsapp_free_text_outside_24h",
    "plan_instalment_on_sunday_or_holiday",
    "plan_first_instalment_past",
    "sms_over_segment_budget",
    "whatsapp_without_opt_in",
    "claim_not_in_message_log",
)
GOOD_NEWS_ROWS = (
    "cadence_outside_quiet_hours_or_holiday",
    "cadence_over_weekly_cap",
    "message_after_opt_out",
    "cadence_lists_disputed_promised_or_in_plan",
)
ROWS = DEFECT_ROWS + GOOD_NEWS_ROWS


@lru_cache(maxsize=8)
def _holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def is_rest_day(day: dt.date, policy: AuditPolicy) -> bool:
    """A day no proactive message may go: outside the policy's weekdays or a holiday."""
    return day.weekday() not in policy.weekdays or day in _holidays(policy.country)


def within_contact_hours(at: dt.datetime, timezone: str, policy: AuditPolicy) -> bool:
    local = at.astimezone(ZoneInfo(timezone))
    if is_rest_day(local.date(), policy):
        return False
    return policy.quiet_start <= local.time() < policy.quiet_end


def company_day(at: dt.datetime, policy: AuditPolicy) -> dt.date:
    return at.astimezone(ZoneInfo(policy.company_timezone)).date()


@dataclass
class Context:
    """What the rules share: the journal indexed, the log, the earlier messages of each debtor."""

    policy: AuditPolicy
    journal: Journal
    log: list[LogEntry]

    def __post_init__(self) -> None:
        self.inbound_at: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
        for at, channel, address in sorted(self.journal.inbound):
            self.inbound_at[(channel, address)].append(at)
        self.paid_at: dict[int, list[dt.datetime]] = defaultdict(list)
        for at, debtor_id in sorted(self.journal.payments):
            self.paid_at[debtor_id].append(at)
        self.log_by_debtor: dict[int, list[LogEntry]] = defaultdict(list)
        for entry in self.log:
            if entry.status in DELIVERED and entry.sent_at is not None:
                self.log_by_debtor[entry.debtor_id].append(entry)

    def last_inbound(self, channel: str, address: str, before: dt.datetime) -> dt.datetime | None:
        times = self.inbound_at.get((channel, address), [])
        index = bisect.bisect_right(times, before)
        return times[index - 1] if index else None

    def immediate(self, message: Sent) -> bool:
        """An answer to what the person just wrote (or paid), not a message we started."""
        wrote = self.last_inbound(message.channel, message.address, message.at)
        if wrote is not None and message.at - wrote <= IMMEDIATE:
            return True
        paid = self.paid_at.get(message.debtor_id or 0, [])
        index = bisect.bisect_right(paid, message.at)
        return bool(index) and message.at - paid[index - 1] <= IMMEDIATE

    def opted_out(self, message: Sent) -> bool:
        """The address had said STOP before this message, and not START since."""
        key = (message.channel, message.address)
        stops = [at for at, ch, ad in self.journal.stops if (ch, ad) == key and at < message.at]
        if not stops:
            return False
        starts = [at for at, ch, ad in self.journal.starts if (ch, ad) == key and at < message.at]
        return not starts or max(starts) < max(stops)


Rule = Callable[[Sent, Context, list[Sent]], bool]


def _is_cadence(message: Sent, ctx: Context) -> bool:
    return message.step in ctx.policy.cadence_steps


def _proactive(message: Sent, ctx: Context) -> bool:
    return message.debtor_id is not None and not ctx.immediate(message)


# --- claim 1: only what is due is called overdue -------------------------------------------


def lists_not_yet_due(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """An overdue or due-today reminder naming, or totalling in, an invoice not yet due."""
    if message.step not in ctx.policy.overdue_steps or message.facts is None:
        return False
    day = company_day(message.at, ctx.policy)
    open_invoices = [
        inv for inv in message.facts.invoices if inv.status in CHASEABLE and inv.balance_cents > 0
    ]
    not_due = [inv for inv in open_invoices if inv.due_date > day]
    if not not_due:
        return False
    text = unlabelled_text(message.text)
    if {inv.number for inv in not_due} & set(invoice_numbers(text)):
        return True
    due_total = sum(inv.balance_cents for inv in open_invoices if inv.due_date <= day)
    all_total = due_total + sum(inv.balance_cents for inv in not_due)
    written = set(amounts(text))
    return all_total != due_total and all_total in written


# --- claim 2: the history a message claims happened ----------------------------------------


def first_claims_earlier(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """The first message ever sent to the debtor claims earlier reminders."""
    return not earlier and claimed_earlier_reminders(message.text) > 0


def ordinal_with_fewer(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """ "secondo/terzo sollecito" with fewer earlier dunning reminders than the ordinal says."""
    if not ordinal_claim(message.text):
        return False
    before = sum(1 for m in earlier if m.step in ctx.policy.dunning_steps)
    return before < claimed_earlier_reminders(message.text)


def claim_not_in_log(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A claim of earlier reminders that the product's own message log does not hold."""
    claimed = claimed_earlier_reminders(message.text)
    if claimed == 0 or message.debtor_id is None:
        return False
    logged = [
        entry
        for entry in ctx.log_by_debtor.get(message.debtor_id, [])
        if entry.sent_at is not None and entry.sent_at < message.at and entry.id != message.id
    ]
    # "secondo/terzo sollecito" counts dunning reminders; "previous reminder" any reminder.
    steps = ctx.policy.dunning_steps if ordinal_claim(message.text) else ctx.policy.cadence_steps
    return sum(1 for entry in logged if entry.step in steps) < claimed


# --- claim 3: promises kept ------------------------------------------------------------------


def while_plan_pending(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A cadence reminder sent while the debtor's plan waited for staff approval."""
    return _is_cadence(message, ctx) and bool(message.facts and message.facts.plan_pending_approval)


# --- claim 4: dates a person can act on --------------------------------------------------------


# Plan texts whose dates are not instalments: the latest first date allowed, a refused date.
NOT_SCHEDULES = frozenset({"first_date", "refused", "not_possible"})


def _schedule_dates(message: Sent) -> list[dt.date]:
    """The dates of a plan text that sets out instalments (flows/plan/..., staff decisions)."""
    stem = message.template.rsplit("/", 1)[-1].split(".", 1)[0]
    if "plan/" not in message.template or stem in NOT_SCHEDULES:
        return []
    return dates(message.text)


def plan_on_rest_day(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A plan text (flows/plan/...) with a date on a Sunday or an Italian holiday."""
    return any(
        day.weekday() == 6 or day in _holidays(ctx.policy.country)
        for day in _schedule_dates(message)
    )


def plan_first_past(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A plan text whose earliest date is before the day it was sent (debtor's time zone)."""
    found = _schedule_dates(message)
    timezone = message.facts.timezone if message.facts else ctx.policy.company_timezone
    return bool(found) and min(found) < message.at.astimezone(ZoneInfo(timezone)).date()


# --- lawful and discreet -----------------------------------------------------------------------


def non_cadence_outside_hours(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A message we started, not a cadence step, outside the debtor's hours, days, holidays."""
    if _is_cadence(message, ctx) or not _proactive(message, ctx) or message.facts is None:
        return False
    return not within_contact_hours(message.at, message.facts.timezone, ctx.policy)


def cadence_outside_hours(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A cadence reminder outside the debtor's contact hours and days, or on a holiday."""
    if not _is_cadence(message, ctx) or message.facts is None:
        return False
    return not within_contact_hours(message.at, message.facts.timezone, ctx.policy)


def _in_week(message: Sent, earlier: Iterable[Sent], keep: Callable[[Sent], bool]) -> int:
    return sum(1 for m in earlier if message.at - m.at < WEEK and keep(m))


def cadence_over_cap(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A cadence reminder with the cap's number of cadence reminders in the 7 days before."""
    if not _is_cadence(message, ctx):
        return False
    return _in_week(message, earlier, lambda m: _is_cadence(m, ctx)) >= ctx.policy.cap_per_7_days


def proactive_over_cap(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """Over the cap once every message we started counts (and not already a cadence count)."""
    if not _proactive(message, ctx) or cadence_over_cap(message, ctx, earlier):
        return False
    count = _in_week(message, earlier, lambda m: _proactive(m, ctx))
    return count >= ctx.policy.cap_per_7_days


def whatsapp_outside_window(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """WhatsApp free text with no message from that number in the 24 hours before."""
    if message.channel != "whatsapp" or not message.whatsapp_free_text:
        return False
    wrote = ctx.last_inbound(message.channel, message.address, message.at)
    return wrote is None or message.at - wrote >= WHATSAPP_SESSION


def whatsapp_without_opt_in(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """WhatsApp to a contact point with no opt-in recorded when it was sent."""
    if message.channel != "whatsapp" or message.facts is None:
        return False
    return not message.facts.whatsapp_opted_in


def sms_over_budget(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """An SMS (options included) over the policy's segment budget, GSM-7/UCS-2 counted."""
    return (
        message.channel == "sms"
        and sms_segments(message.text).segments > ctx.policy.sms_segment_budget
    )


def after_opt_out(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A message we started to an address that had said STOP (and not START since)."""
    return _proactive(message, ctx) and ctx.opted_out(message)


def lists_covered(message: Sent, ctx: Context, earlier: list[Sent]) -> bool:
    """A cadence reminder naming an invoice disputed, promised or in an active plan."""
    if not _is_cadence(message, ctx) or message.facts is None:
        return False
    facts = message.facts
    covered = facts.active_plan_invoice_ids | facts.promised_invoice_ids
    covered |= facts.disputed_invoice_ids
    for number in invoice_numbers(message.text):
        invoice = facts.invoice(number)
        if invoice and (invoice.id in covered or invoice.status in ("disputed", "in_plan")):
            return True
    return False


RULES: dict[str, Rule] = {
    "overdue_reminder_lists_not_yet_due": lists_not_yet_due,
    "first_message_claims_earlier_reminders": first_claims_earlier,
    "ordinal_reminder_with_fewer_earlier": ordinal_with_fewer,
    "reminder_while_plan_pending_approval": while_plan_pending,
    "proactive_non_cadence_outside_hours": non_cadence_outside_hours,
    "proactive_over_weekly_cap": proactive_over_cap,
    "whatsapp_free_text_outside_24h": whatsapp_outside_window,
    "plan_instalment_on_sunday_or_holiday": plan_on_rest_day,
    "plan_first_instalment_past": plan_first_past,
    "sms_over_segment_budget": sms_over_budget,
    "whatsapp_without_opt_in": whatsapp_without_opt_in,
    "claim_not_in_message_log": claim_not_in_log,
    "cadence_outside_quiet_hours_or_holiday": cadence_outside_hours,
    "cadence_over_weekly_cap": cadence_over_cap,
    "message_after_opt_out": after_opt_out,
    "cadence_lists_disputed_promised_or_in_plan": lists_covered,
}


def _example(message: Sent) -> dict[str, Any]:
    return {
        "id": message.id,
        "at": message.at.isoformat(timespec="minutes"),
        "debtor": message.debtor_id,
        "channel": message.channel,
        "step": message.step or message.template,
        "text": message.text[:400],
    }


def audit(
    sent: list[Sent], log: list[LogEntry], journal: Journal, policy: AuditPolicy
) -> dict[str, Any]:
    """{"counters": {row: n}, "examples": {row: [...]}, "totals": {...}} over debtor messages."""
    ctx = Context(policy, journal, log)
    counters = dict.fromkeys(ROWS, 0)
    examples: dict[str, list[dict[str, Any]]] = {row: [] for row in ROWS}
    history: dict[int, list[Sent]] = defaultdict(list)
    for message in sorted(sent, key=lambda m: (m.at, m.id)):
        if message.debtor_id is None:
            continue  # staff messages go to the staff chat, not to a debtor
        earlier = history[message.debtor_id]
        for row, rule in RULES.items():
            if rule(message, ctx, earlier):
                counters[row] += 1
                if len(examples[row]) < EXAMPLES:
                    examples[row].append(_example(message))
        earlier.append(message)
    debtor_messages = [m for m in sent if m.debtor_id is not None]
    totals = {
        "debtor_messages": len(debtor_messages),
        "cadence_reminders": sum(1 for m in debtor_messages if _is_cadence(m, ctx)),
        "proactive_non_cadence": sum(
            1 for m in debtor_messages if not _is_cadence(m, ctx) and _proactive(m, ctx)
        ),
        "staff_messages": len(sent) - len(debtor_messages),
    }
    return {"counters": counters, "examples": examples, "totals": totals, "rules": describe()}


def describe() -> dict[str, str]:
    """Each row and how it is counted: the first line of its rule's docstring."""
    return {row: (rule.__doc__ or "").strip().splitlines()[0] for row, rule in RULES.items()}
