"""Rendering an outbox message for a channel: the template context a debtor's message sees,
the SMS, e-mail (subject, HTML) and chat variants of a template, and the SMS segment budget."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.answers import no_answer_context
from bot.channels.base import OutgoingMessage
from bot.models import Channel, Debtor
from bot.providers.twilio.segments import gsm_text
from bot.runtime import Runtime
from bot.texts import TEMPLATES_DIR, render


def fit_sms_budget(message: OutgoingMessage, budget: int) -> OutgoingMessage:
    """Drop reply options from the end until the SMS (text plus numbered options) fits the
    policy's segment budget. The text itself always goes: the SMS templates are written to fit,
    and the pay link is in the text; the options are a convenience."""
    from bot.providers.twilio.sms import sms_over_budget

    options = message.options
    while options and sms_over_budget(replace(message, options=options), budget):
        options = options[:-1]
    return replace(message, options=options)


def as_dates(context: dict[str, Any]) -> dict[str, Any]:
    """Context values stored as ISO dates (JSON has no date type) back as dates for templates,
    also inside lists of entries (a plan's schedule, an invoice list)."""
    result: dict[str, Any] = {}
    for key, value in context.items():
        if key.endswith(("_date", "_until")) and isinstance(value, str):
            try:
                result[key] = dt.date.fromisoformat(value)
                continue
            except ValueError:
                pass
        if isinstance(value, list):
            value = [as_dates(item) if isinstance(item, dict) else item for item in value]
        result[key] = value
    return result


def _by_due_date(entries: Any) -> list[dict[str, Any]]:
    return sorted(
        (
            {**as_dates(entry), "due_date": dt.date.fromisoformat(entry["due_date"])}
            for entry in entries
        ),
        key=lambda entry: (entry["due_date"], entry.get("id", 0)),
    )


def render_context(
    runtime: Runtime, debtor: Debtor, context: dict[str, Any], pay_url: str
) -> dict[str, Any]:
    """What a debtor template sees: the row's context plus names, dates as dates, totals."""
    # Most overdue first, whatever order the database aggregated them in.
    invoices = _by_due_date(context.get("invoices", ()))
    # Not yet due: a separate line, never in the total (scheduler/steps.py).
    upcoming = _by_due_date(context.get("upcoming", ()))
    totals = dict(context.get("totals") or {})
    currency = invoices[0]["currency"] if invoices else "EUR"
    settings = runtime.settings
    dated = as_dates(context)
    return {
        **dated,
        "company": settings.company_name,
        "debtor_name": debtor.name,
        "invoices": invoices,
        "invoice_count": len(invoices),
        "currency": currency,
        "total_cents": totals.get(currency, context.get("total_cents", 0)),
        "other_totals": {c: v for c, v in totals.items() if c != currency},
        "upcoming": upcoming,
        "upcoming_totals": dict(context.get("upcoming_totals") or {}),
        "due_date": invoices[0]["due_date"] if invoices else dated.get("due_date"),
        "days_overdue": context.get("days_overdue", 0),
        "pay_url": pay_url,
        "iban": settings.bank_iban,
        "beneficiary": settings.bank_beneficiary or settings.company_name,
        **no_answer_context(),  # the dispatcher fills these in for the channel it sends on
    }


def _template_base(template: str) -> str:
    """ "overdue_1" -> "reminders/overdue_1"; a path such as "receipts/paid.txt" stays a path."""
    if "/" in template:
        return template.removesuffix(".txt")
    return f"reminders/{template}"


def _exists(language: str, name: str) -> bool:
    return (TEMPLATES_DIR / language / name).is_file()


def sms_friendly(text: str) -> str:
    """Babel's no-break spaces, typographic quotes and "…" as GSM-7 characters (one of them would
    turn the whole SMS into UCS-2: 70 characters a segment instead of 160). The SMS sender does it
    again on everything it sends (bot/providers/twilio/segments.py, `gsm_text`)."""
    return gsm_text(text)


def render_for_channel(
    template: str, channel: Channel, language: str, context: dict[str, Any]
) -> tuple[str, str, str]:
    """(text, subject, html) of a template for a channel: the SMS variant for SMS, subject and
    HTML alternative for e-mail, the chat text otherwise."""
    base = _template_base(template)
    lang = language if language in ("it", "en") else "it"
    if channel is Channel.SMS:
        name = f"{base}.sms.txt" if _exists(lang, f"{base}.sms.txt") else f"{base}.txt"
        return sms_friendly(render(name, lang, **context)), "", ""
    if channel in (Channel.TELEGRAM, Channel.WHATSAPP) and _exists(lang, f"{base}.chat.txt"):
        # A chat form of its own (the final notice: formal wording only in the formal channel).
        return render(f"{base}.chat.txt", lang, **context), "", ""
    text = render(f"{base}.txt", lang, **context)
    if channel is Channel.EMAIL:
        subject = (
            render(f"{base}.subject.txt", lang, **context)
            if _exists(lang, f"{base}.subject.txt")
            else ""
        )
        html = render(f"{base}.html", lang, **context) if _exists(lang, f"{base}.html") else ""
        return text, subject, html
    return text, "", ""
