"""Every text but the reminders in the texts review: the labels (options, the words that choose
them, buttons) as tables, then each folder's templates with their samples."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.config import SUPPORTED_LANGUAGES as LANGUAGES
from bot.flows.vocabulary import COUNT, OPTION_WORDS, written_option_words
from bot.review.document import Review
from bot.review.html_text import html_as_text
from bot.review.reminders import reminder_options
from bot.review.samples import COMMON_CONTEXT, REMINDER_OPTION_KEYS, SAMPLES
from bot.texts import TEMPLATES_DIR


def _one_liners(review: Review, folder: str, title: str, context: Callable[[str], dict]) -> None:
    """A folder of short labels (options, keywords, buttons) as one table."""
    names = sorted(path.name for path in (TEMPLATES_DIR / "it" / folder).glob("*.txt"))
    review.heading(3, title)
    review.lines += ["| key | it | en |", "|---|---|---|"]
    for name in names:
        cells = []
        for language in LANGUAGES:
            text = review.render(f"{folder}/{name}", language, **context(language))
            cells.append(text.replace("\n", " · ").replace("|", "\\|"))
        review.lines.append(f"| {name.removesuffix('.txt')} | {cells[0]} | {cells[1]} |")
    review.lines.append("")


def _option_words(review: Review) -> None:
    """The words that also choose each option, as bot/flows/vocabulary.toml lists them."""
    review.heading(3, "Words a debtor may type for each option (bot/flows/vocabulary.toml)")
    review.lines += ["| key | it | en |", "|---|---|---|"]
    for key in sorted(OPTION_WORDS):
        cells = [
            " · ".join(written_option_words(key, language)).replace(COUNT, "3").replace("|", "\\|")
            for language in LANGUAGES
        ]
        review.lines.append(f"| {key} | {cells[0]} | {cells[1]} |")
    review.lines.append("")


def _templates(language: str, folder: str) -> list[str]:
    root = TEMPLATES_DIR / language
    return sorted(
        str(path.relative_to(root))
        for path in (root / folder).rglob("*")
        if path.is_file() and not path.name.startswith("_")
    )


SECTIONS = (
    ("flows", "Conversation replies (every channel)"),
    ("decisions", "After a staff decision, to the debtor"),
    ("payments", "Payments: receipts, bank details, staff notices"),
    ("linking", "Linking a Telegram chat"),
    ("optout", "Keywords: STOP, START, AIUTO (every channel; words in bot/flows/vocabulary.toml)"),
    ("replies", "Other replies"),
    ("pay", "The pay pages (HTML, as text)"),
    ("staff", "The staff chat"),
    ("email", "E-mail without a template of its own"),
    ("credit", "Credit: the card of `credit check`, `/credit` and the staff alerts"),
    ("reports", "Report columns (the CSV and XLSX files for the accountant)"),
    ("registry", "The registry: a debtor's timeline (/debtor, history), the statement's PDF text"),
    ("escalation", "Escalation: interest and the €40 as staff read them (docs/interest.md)"),
    ("case", "The case: its evidence (`case REF`) and the hand-off package's README"),
    ("notice", "The formal notice: the PDF's text, its e-mail, the chats' note (docs/notice.md)"),
)


def everything_else(review: Review) -> None:
    _labels(review)
    for folder, title in SECTIONS:
        review.heading(2, title)
        names = [
            name
            for name in _templates("it", folder)
            if not name.startswith(("flows/options/", "staff/buttons/"))
            and name not in ("email/layout.txt", "email/layout.html")
        ]
        for name in names:
            review.heading(3, f"`{name}`")
            for language in LANGUAGES:
                for label, extra in SAMPLES.get(name, [("", {})]):
                    context = {**COMMON_CONTEXT, **extra}
                    text = review.render(name, language, **context)
                    if name.endswith(".html"):
                        text = html_as_text(text)
                    shown = f"{language}" + (f" · {label}" if label else "")
                    review.block(shown, text)
    for language in LANGUAGES:
        for partial in (
            "flows/plan/_problems.txt",
            "flows/plan/_schedule.txt",
            "flows/plan/_schedule.sms.txt",
            "pay/_layout.html",
            "credit/_reason.txt",
        ):
            review.rendered.add(f"{language}/{partial}")


def _labels(review: Review) -> None:
    review.heading(2, "Labels: reply options, typed keywords, staff buttons")
    _one_liners(
        review,
        "flows/options",
        "Reply options (buttons on Telegram, numbered on SMS and WhatsApp)",
        lambda language: {
            "number": "F-2026-101",
            "balance_cents": 1_248_000,
            "currency": "EUR",
            "count": 3,
            "day": dt.date(2026, 11, 27),
        },
    )
    _option_words(review)
    _one_liners(review, "staff/buttons", "Staff chat buttons", lambda language: {})
    for language in LANGUAGES:
        for key in (*REMINDER_OPTION_KEYS, "discount"):
            review.render("reminders/option.txt", language, key=key)
    review.lines += [
        "Reminder options (`reminders/option.txt`): "
        + "; ".join(
            f"{language}: " + " / ".join(o.label for o in reminder_options(language))
            for language in LANGUAGES
        ),
        "",
    ]
    for language in LANGUAGES:
        options = list(reminder_options(language))
        review.render("channels/sms_options.txt", language, options=options)
        review.render("channels/whatsapp_options.txt", language, options=options)
    review.note(
        "The SMS and WhatsApp option lines (`channels/*_options.txt`) are shown with the "
        "reminders above."
    )
