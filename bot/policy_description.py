"""The credit policy as a readable timeline, for `python -m bot policy check` (bot/policy.py reads
and validates the file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.formats import money
from bot.policy import Consent, Policy, policy_warnings
from bot.policy_credit import describe_bands
from bot.policy_interest import describe_interest

if TYPE_CHECKING:
    from bot.config import Settings


def _euros(cents: int) -> str:
    return money(cents, "EUR", "en")


def _describe_consent(consent: Consent) -> str:
    needs = "WhatsApp, SMS and e-mail" if consent.lawful_basis == "consent" else "WhatsApp"
    return f"Lawful basis: {consent.lawful_basis}; a recorded opt-in is needed on {needs}"


def describe_policy(policy: Policy, settings: Settings | None = None) -> str:
    """The policy as a readable timeline, for `python -m bot policy check`."""
    lines = _cadence_lines(policy) + _offer_lines(policy) + _contact_lines(policy)
    lines += describe_bands(policy.credit)
    lines += describe_interest(policy.interest)
    warnings = policy_warnings(policy)
    if warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in warnings)
    lines.append("")
    lines.append("policy OK" + (f" with {len(warnings)} warning(s)" if warnings else ""))
    return "\n".join(lines)


def _cadence_lines(policy: Policy) -> list[str]:
    lines = [f"Payment terms: {policy.payment_terms_days} days", "", "Cadence (day 0 = due date):"]
    for step in policy.steps:
        day = f"{step.days:+d}" if step.days else " 0"
        notes = []
        if step.courtesy:
            notes.append("courtesy")
        if step.offer:
            notes.append(f"offers {step.offer}")
        if step.formal:
            notes.append("formal notice (PEC preferred)")
        if step.escalate:
            notes.append("alerts staff")
        if step.handoff:
            notes.append("then hands the case off")
        channels = " > ".join(c.value for c in step.channels)
        extra = f"  [{', '.join(notes)}]" if notes else ""
        lines.append(f"  day {day:>4}  {step.name:<16} {step.template:<16} {channels}{extra}")
    r = policy.reminders
    not_yet_due = {
        "separate": 'listed apart as "in scadenza", outside the total (never in a formal notice)',
        "omit": "left out",
    }[r.not_yet_due]
    lines.append(
        f"Steps are taken in order, at least {r.min_days_between_steps} days apart once overdue; "
        "overdue steps list only invoices past their due date"
    )
    lines.append(f"Invoices not yet due in an overdue reminder: {not_yet_due}")
    lines.append("")
    return lines


def _offer_lines(policy: Policy) -> list[str]:
    lines = []
    if policy.discount:
        d = policy.discount
        lines.append(
            f"Discount: {d.percent}% off if paid within {d.valid_days} days; "
            f"staff approve above {_euros(d.staff_approval_above_cents)}"
        )
    i = policy.instalments
    lines.append(
        f"Instalments: {', '.join(map(str, i.counts))} (at most {i.max_count}), every "
        f"{i.interval_days} days, at least {_euros(i.min_instalment_cents)} each, at most "
        f"{i.max_length_days} days long; staff approve above "
        f"{_euros(i.staff_approval_above_cents)}; {i.grace_days} grace days"
    )
    return lines


def _contact_lines(policy: Policy) -> list[str]:
    q = policy.quiet_hours
    sub = f"-{policy.calendar.subdivision}" if policy.calendar.subdivision else ""
    contact = policy.contact
    return [
        f"Contact window: {q.start:%H:%M}-{q.end:%H:%M} on {', '.join(q.weekdays)} "
        f"(debtor's time zone), no {policy.calendar.country}{sub} holidays",
        f"Contact cap: {contact.cap_per_7_days} per debtor per 7 days; "
        f"SMS budget {contact.sms_segment_budget} segment(s)",
        "Chat links in reminders and on the pay page: "
        + (", ".join(contact.chat_links) or "none")
        + "; first contact on a new number "
        + ("asks for the right person" if contact.first_contact_asks_for_person else "as usual"),
        f"Promises: at most {policy.promises.max_days} days ahead; "
        f"'already paid' pauses {policy.already_paid.pause_days} days",
        _describe_consent(policy.consent),
    ]
