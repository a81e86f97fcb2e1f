"""The reminders in the texts review, rendered as the dispatcher renders them and as each sender
composes them (SMS, Telegram, WhatsApp, e-mail)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.answers import answer_context
from bot.channels.base import Option, OutgoingMessage
from bot.channels.numbered import with_numbered_options
from bot.config import SUPPORTED_LANGUAGES as LANGUAGES
from bot.config import Settings
from bot.models import Channel
from bot.policy import Policy
from bot.providers.email.sender import EmailSender
from bot.providers.twilio.segments import count_segments, worst_case_sms
from bot.providers.twilio.sms import sms_body
from bot.review.document import Review
from bot.review.html_text import html_as_text
from bot.review.samples import (
    COMPANY,
    CURRENCIES,
    IBAN,
    ONE,
    PHONE,
    REMINDER_OPTION_KEYS,
    REMINDERS,
    SEVERAL,
    TELEGRAM_LINK,
    WHATSAPP_LINK,
    reminder_context,
)
from bot.texts import TEMPLATES_DIR, render
from scheduler.rendering import fit_sms_budget, render_for_channel

POLICY_FILE = Path(__file__).resolve().parent.parent.parent / "policy.toml"


def _policy() -> Policy:
    """The example policy shipped with the code (policy.toml): its chat links, its first-contact
    switch, its SMS segment budget."""
    from bot.policy import load_policy

    return load_policy(POLICY_FILE)


def _settings() -> Settings:
    # Built without reading the environment: the review is the same on every machine.
    return Settings.model_construct(
        company_name=COMPANY,
        company_phone=PHONE,
        telegram_bot_username="FornitureBianchiBot",
        twilio_whatsapp_from="+390212345678",
        bank_iban=IBAN,
    )


def _answer(channel: Channel, *, first_contact: bool = False) -> dict[str, Any]:
    return answer_context(
        _settings(),
        _policy(),
        channel,
        [TELEGRAM_LINK, WHATSAPP_LINK],
        first_contact=first_contact,
    )


def reminder_options(language: str) -> tuple[Option, ...]:
    return tuple(
        Option(key, render("reminders/option.txt", language, key=key))
        for key in REMINDER_OPTION_KEYS
    )


def _sms_label(text: str, what: str) -> str:
    count = count_segments(text)
    return f"SMS, {what}: {count.segments} segment(s), {count.units} {count.encoding} units"


def reminders(review: Review) -> None:
    review.heading(2, "Reminders")
    review.note(
        "Rendered as the dispatcher renders them (`render_for_channel`) and as each sender "
        "composes them: the SMS with its reply options (dropped from the end to stay within the "
        "policy's segment budget, as the dispatcher does), the chat text for Telegram (its options "
        "are buttons) and WhatsApp (numbered options), the e-mail's subject, plain-text part and "
        "HTML part. The chat links and the phone follow bot/answers.py: none on Telegram, "
        "Telegram on WhatsApp, the first one on SMS, all of them in an e-mail. A *first contact* "
        "is the first message to a phone number that has never written to us."
    )
    email = EmailSender(host="", port=25, from_address="solleciti@example.it", company=COMPANY)
    budget = _policy().contact.sms_segment_budget
    for name in REMINDERS:
        review.heading(3, name)
        for language in LANGUAGES:
            base = f"reminders/{name}"
            for suffix in (".sms.txt", ".txt", ".subject.txt", ".html", ".chat.txt"):
                if (TEMPLATES_DIR / language / f"{base}{suffix}").is_file():
                    review.rendered.add(f"{language}/{base}{suffix}")
            options = reminder_options(language) if name != "thank_you" else ()
            _sms(review, name, language, options, budget)
            _chats(review, name, language, options)
            _email(review, email, name, language, options)
    _firm(review)
    for language in LANGUAGES:
        for partial in sorted((TEMPLATES_DIR / language / "reminders").glob("_*")):
            review.rendered.add(f"{language}/reminders/{partial.name}")
        review.rendered.add(f"{language}/email/layout.txt")
        review.rendered.add(f"{language}/email/layout.html")


def _firm(review: Review) -> None:
    """An overdue reminder to a debtor whose risk band asks for firmer wording (policy
    [[credit.bands]] firmer_template)."""
    review.heading(3, "overdue_1, firmer wording (a risk band with firmer_template)")
    for language in LANGUAGES:
        context = reminder_context(ONE, firm=True, **_answer(Channel.TELEGRAM))
        text, _, _ = render_for_channel("overdue_1", Channel.TELEGRAM, language, context)
        review.block(f"{language} · Telegram, one invoice", text)


def _sms(
    review: Review, name: str, language: str, options: tuple[Option, ...], budget: int
) -> None:
    for invoices, first in ((ONE, False), (CURRENCIES, False), (SEVERAL, True)):
        context = reminder_context(invoices, **_answer(Channel.SMS, first_contact=first))
        text, _, _ = render_for_channel(name, Channel.SMS, language, context)
        message = OutgoingMessage(
            Channel.SMS, "+393331234567", text, options=options, language=language
        )
        body = sms_body(fit_sms_budget(message, budget))
        what = invoices.title + (", first contact on a new number" if first else "")
        review.block(f"{language} · " + _sms_label(body, what), body)
    worst = worst_case_sms(name, language)
    if worst is not None:
        label = "longest names, amounts and links (tests/providers/twilio/test_sms_budget.py)"
        review.block(f"{language} · " + _sms_label(worst, label), worst)


def _chats(review: Review, name: str, language: str, options: tuple[Option, ...]) -> None:
    context = reminder_context(ONE, **_answer(Channel.TELEGRAM))
    text, _, _ = render_for_channel(name, Channel.TELEGRAM, language, context)
    buttons = " / ".join(f"[{option.label}]" for option in options)
    review.block(
        f"{language} · Telegram, one invoice", text + (f"\n\n{buttons}" if buttons else "")
    )
    context = reminder_context(CURRENCIES, **_answer(Channel.WHATSAPP))
    text, _, _ = render_for_channel(name, Channel.WHATSAPP, language, context)
    text = with_numbered_options(text, options, Channel.WHATSAPP, language)
    review.block(f"{language} · WhatsApp, {CURRENCIES.title}", text)


def _email(
    review: Review, email: EmailSender, name: str, language: str, options: tuple[Option, ...]
) -> None:
    context = reminder_context(SEVERAL, **_answer(Channel.EMAIL))
    text, subject, markup = render_for_channel(name, Channel.EMAIL, language, context)
    composed = email.compose(
        OutgoingMessage(
            Channel.EMAIL,
            "amministrazione@rossi.example",
            text,
            options=options,
            subject=subject,
            html=markup,
            language=language,
        )
    )
    plain = composed.get_body(("plain",))
    rich = composed.get_body(("html",))
    assert plain is not None and rich is not None
    review.block(
        f"{language} · e-mail, {SEVERAL.title}: subject and plain-text part",
        f"Subject: {composed['Subject']}\n\n{plain.get_content().strip()}",
    )
    review.block(
        f"{language} · e-mail, {SEVERAL.title}: HTML part, as text",
        html_as_text(rich.get_content()),
    )
