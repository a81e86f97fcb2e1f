"""python -m bot texts review: every text a person reads, rendered, into docs/messages.md.

Every template under templates/<lang>/ is rendered in both languages with sample data: the
reminders through the code that sends them (the SMS as the SMS sender sends it, with its segment
count; the chat form for Telegram and WhatsApp; the e-mail's subject, plain-text part and HTML
part as the e-mail sender composes them), for one invoice and several, in one currency and in two,
for a first contact on a new number and for the longest names, amounts and links; every other
text (conversation replies, staff messages, receipts, the pay pages) with a sample context of its
own. The file is checked in: a reviewer reads what debtors read, and a change to a text shows up
in the diff. tests/test_review.py regenerates it and fails when the checked-in copy is not
current (`python -m bot texts review` rewrites it).

Nothing here touches a database or a provider: the data is made up, the dates are fixed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.answers import ChatLink, answer_context, no_answer_context
from bot.channels.base import Option, OutgoingMessage
from bot.channels.email import EmailSender
from bot.channels.numbered import with_numbered_options
from bot.channels.segments import count_segments, worst_case_sms
from bot.channels.sms import sms_body
from bot.config import SUPPORTED_LANGUAGES, Settings
from bot.models import Channel
from bot.policy import Policy
from bot.texts import TEMPLATES_DIR, render

REVIEW_FILE = Path(__file__).resolve().parent.parent / "docs" / "messages.md"
LANGUAGES = SUPPORTED_LANGUAGES

COMPANY = "Forniture Bianchi S.r.l."  # ends in a period, as many Italian company names do
DEBTOR = "Rossi Costruzioni S.r.l."
PAY_URL = "https://pagamenti.forniture-bianchi.it/pay/Ab3dEf6hJk7mNp8q"
TELEGRAM_LINK = ChatLink(
    "telegram",
    "https://t.me/FornitureBianchiBot?start=" + "Tk9uY2VOb25jZU5vbmNlTm9uY2VTaWduYXR1cmVTaWdu",
)
WHATSAPP_LINK = ChatLink("whatsapp", "https://wa.me/390212345678")
PHONE = "+39 02 1234 5678"
IBAN = "IT60X0542811101000000123456"
TODAY = dt.date(2026, 11, 23)

REMINDERS = (
    "courtesy",
    "due_today",
    "overdue_1",
    "overdue_2",
    "overdue_3",
    "final_notice",
    "instalment_due",
    "plan_lapsed",
    "promise_reminder",
    "thank_you",
)
# The reply options a reminder offers (scheduler/cadence.py: REMINDER_OPTIONS, plan first).
REMINDER_OPTION_KEYS = (
    "instalments",
    "pay_now",
    "promise",
    "already_paid",
    "dispute",
    "talk_to_person",
)


# --- sample data ---------------------------------------------------------------------------------


def _invoice(n: int, cents: int, currency: str = "EUR", due: dt.date | None = None) -> dict:
    return {
        "id": n,
        "number": f"F-2026-{100 + n}",
        "due_date": due or dt.date(2026, 9, 15) + dt.timedelta(days=24 * n),
        "issue_date": dt.date(2026, 7, 16),
        "balance_cents": cents,
        "amount_cents": cents,
        "currency": currency,
    }


@dataclass(frozen=True)
class Invoices:
    """One way a debtor's open invoices can look."""

    title: str
    invoices: tuple[dict, ...]

    def context(self) -> dict[str, Any]:
        totals: dict[str, int] = {}
        for invoice in self.invoices:
            totals[invoice["currency"]] = (
                totals.get(invoice["currency"], 0) + invoice["balance_cents"]
            )
        currency = self.invoices[0]["currency"]
        return {
            "invoices": list(self.invoices),
            "invoice_count": len(self.invoices),
            "currency": currency,
            "total_cents": totals[currency],
            "other_totals": {c: v for c, v in totals.items() if c != currency},
            "due_date": self.invoices[0]["due_date"],
        }


ONE = Invoices("one invoice", (_invoice(1, 1_248_000),))
SEVERAL = Invoices(
    "three invoices", (_invoice(1, 1_248_000), _invoice(2, 327_540), _invoice(3, 198_000))
)
CURRENCIES = Invoices(
    "three invoices in two currencies",
    (_invoice(1, 1_248_000), _invoice(2, 327_540), _invoice(3, 560_000, "USD")),
)


def reminder_context(invoices: Invoices, **overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "company": COMPANY,
        "debtor_name": DEBTOR,
        **invoices.context(),
        "days_overdue": 21,
        "offer": "discount",
        "courtesy": False,
        "formal": False,
        "pay_url": PAY_URL,
        "iban": IBAN,
        "beneficiary": COMPANY,
        "seq": 2,
        "amount_cents": 520_000,
        # A lapsed plan (reminders/plan_lapsed): its invoices, in the plan's currency.
        "plan_invoices": [invoice["number"] for invoice in invoices.invoices[:2]],
        "plan_currency": "EUR",
        "grace_days": 5,
        "promised_date": dt.date(2026, 11, 20),
        **no_answer_context(),
    }
    context.update(overrides)
    return context


POLICY_FILE = Path(__file__).resolve().parent.parent / "policy.toml"


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


def _options(language: str) -> tuple[Option, ...]:
    return tuple(
        Option(key, render("reminders/option.txt", language, key=key))
        for key in REMINDER_OPTION_KEYS
    )


# --- HTML as a reviewer reads it -----------------------------------------------------------------


class _Text(HTMLParser):
    """HTML to readable text: blocks on their own lines, links with their address, buttons in
    brackets, images by their description; <title>, <style> and comments left out."""

    BLOCKS = frozenset({"p", "h1", "h2", "tr", "li", "dt", "dd", "section", "table", "div", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("title", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "img":
            self.parts.append(f"[image: {values.get('alt') or ''}]")
        elif tag == "button":
            self.parts.append("[ ")
        elif tag == "td" or tag == "th":
            self.parts.append(" | ")
        if tag == "a":
            self.href.append(values.get("href") or "")
        if tag == "form":
            self.parts.append(f"(form, POST {values.get('action')}) ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "style", "head"):
            self.skip = max(self.skip - 1, 0)
        elif tag == "button":
            self.parts.append(" ]")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href:
                self.parts.append(f" <{href}>")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_as_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(line for line in lines if line)
    return html.unescape(text)


# --- the document --------------------------------------------------------------------------------


@dataclass
class Review:
    """The review file being written, and which templates it has rendered."""

    lines: list[str] = field(default_factory=list)
    rendered: set[str] = field(default_factory=set)

    def heading(self, level: int, text: str) -> None:
        self.lines += ["", "#" * level + " " + text, ""]

    def note(self, text: str) -> None:
        self.lines += [text, ""]

    def block(self, label: str, text: str) -> None:
        self.lines += [f"**{label}**", "", "```text", *text.split("\n"), "```", ""]

    def render(self, template: str, language: str, /, **context: Any) -> str:
        self.rendered.add(f"{language}/{template}")
        return render(template, language, **context)


def _sms_label(text: str, what: str) -> str:
    count = count_segments(text)
    return f"SMS, {what}: {count.segments} segment(s), {count.units} {count.encoding} units"


def _reminders(review: Review) -> None:
    from scheduler.dispatch import render_for_channel

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
    from scheduler.dispatch import fit_sms_budget

    email = EmailSender(host="", port=25, from_address="solleciti@example.it", company=COMPANY)
    budget = _policy().contact.sms_segment_budget
    for name in REMINDERS:
        review.heading(3, name)
        for language in LANGUAGES:
            base = f"reminders/{name}"
            for suffix in (".sms.txt", ".txt", ".subject.txt", ".html", ".chat.txt"):
                if (TEMPLATES_DIR / language / f"{base}{suffix}").is_file():
                    review.rendered.add(f"{language}/{base}{suffix}")
            options = _options(language) if name != "thank_you" else ()
            # SMS
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
                label = "longest names, amounts and links (tests/test_sms_budget.py)"
                review.block(f"{language} · " + _sms_label(worst, label), worst)
            # Telegram
            context = reminder_context(ONE, **_answer(Channel.TELEGRAM))
            text, _, _ = render_for_channel(name, Channel.TELEGRAM, language, context)
            buttons = " / ".join(f"[{option.label}]" for option in options)
            review.block(
                f"{language} · Telegram, one invoice", text + (f"\n\n{buttons}" if buttons else "")
            )
            # WhatsApp
            context = reminder_context(CURRENCIES, **_answer(Channel.WHATSAPP))
            text, _, _ = render_for_channel(name, Channel.WHATSAPP, language, context)
            text = with_numbered_options(text, options, Channel.WHATSAPP, language)
            review.block(f"{language} · WhatsApp, {CURRENCIES.title}", text)
            # E-mail
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
    for language in LANGUAGES:
        for partial in sorted((TEMPLATES_DIR / language / "reminders").glob("_*")):
            review.rendered.add(f"{language}/reminders/{partial.name}")
        review.rendered.add(f"{language}/email/layout.txt")
        review.rendered.add(f"{language}/email/layout.html")


# Every other template: its name, and the samples it is rendered with (a label and a context).
Sample = tuple[str, dict[str, Any]]


def _ns(**values: Any) -> SimpleNamespace:
    return SimpleNamespace(**values)


def _enum(value: str) -> SimpleNamespace:
    return SimpleNamespace(value=value)


def _samples() -> dict[str, list[Sample]]:
    """Sample contexts per template (paths without the language). A template not listed here is
    rendered once with the common context."""
    debtor = _ns(id=7, name=DEBTOR, external_ref="C001")
    invoice_rows = [
        _ns(
            number=i["number"],
            balance_cents=i["balance_cents"],
            currency=i["currency"],
            due_date=i["due_date"],
            status=_enum("open"),
        )
        for i in SEVERAL.invoices
    ]
    due_invoices = [
        _ns(
            number=i["number"],
            balance_cents=i["balance_cents"],
            currency="EUR",
            due_date=i["due_date"],
        )
        for i in SEVERAL.invoices
    ]
    due = _ns(
        reason=_enum("balance"),
        amount_cents=1_773_540,
        currency="EUR",
        invoices=due_invoices,
        full_cents=1_773_540,
        pending_cents=0,
        discount_cents=None,
        valid_until=None,
        instalment=None,
    )
    transfer = _ns(
        iban=IBAN,
        iban_display="IT60 X054 2811 1010 0000 0123 456",
        bic="BPMOIT22",
        beneficiary=COMPANY,
        reference="SOL-7-82 F-2026-101 F-2026-102 F-2026-103",
        amount_cents=1_773_540,
        currency="EUR",
    )
    page_links = [
        {"label": "Telegram", "url": "", "action": "/pay/Ab3dEf6hJk7mNp8q/telegram"},
        {"label": "WhatsApp", "url": WHATSAPP_LINK.url, "action": ""},
    ]
    page = {
        "debtor_name": DEBTOR,
        "due": due,
        "transfer": transfer,
        "qr": "data:image/png;base64,",
        "sandbox": False,
        "online": True,
        "checkout_action": "/pay/Ab3dEf6hJk7mNp8q/checkout",
        "chat_links": page_links,
        "phone": PHONE,
    }
    paid = [
        {"number": "F-2026-101", "cents": 1_248_000, "settled": True},
        {"number": "F-2026-102", "cents": 100_000, "settled": False},
    ]
    receipt = {
        "debtor_name": DEBTOR,
        "debtor_ref": "C001",
        "amount_cents": 1_348_000,
        "payment_currency": "EUR",
        "paid_invoices": paid,
        "discount_cents": 0,
        "instalment_seq": None,
        "plan_completed": False,
        "unallocated_cents": 0,
        "remaining_cents": 425_540,
        "method": "stripe",
    }
    report = _ns(
        file="estratto-novembre.csv",
        matched=[
            _ns(
                line=_ns(line_no=4, amount_cents=1_248_000, currency="EUR"),
                debtor=debtor,
                invoice_numbers=["F-2026-101"],
                unallocated_cents=0,
            )
        ],
        already_imported=[1],
        unmatched=[
            _ns(
                line_no=9,
                booked_on=dt.date(2026, 11, 20),
                amount_cents=50_000,
                currency="EUR",
                description="BONIFICO DA ROSSI COSTRUZIONI",
            )
        ],
        debits=3,
        errors=[(12, "the amount is missing")],
    )
    plan = _ns(
        id=3,
        status=_enum("active"),
        instalment_count=3,
        total_cents=316_390,
        currency="EUR",
        first_due_date=dt.date(2026, 11, 30),
    )
    instalments = [
        _ns(
            seq=1,
            due_date=dt.date(2026, 11, 30),
            amount_cents=105_464,
            status=_enum("paid"),
            paid_cents=105_464,
        ),
        _ns(
            seq=2,
            due_date=dt.date(2026, 12, 30),
            amount_cents=105_464,
            status=_enum("pending"),
            paid_cents=0,
        ),
    ]
    now = dt.datetime(2026, 11, 23, 10, 0)
    return {
        "flows/menu/prompt.txt": [
            ("one invoice", {"invoices": invoice_rows[:1], "total_cents": 1_248_000}),
            ("several invoices", {"invoices": invoice_rows, "total_cents": 1_773_540}),
            ("none", {"invoices": [], "total_cents": 0}),
        ],
        "flows/pay/link.txt": [
            ("one invoice", {"invoices": invoice_rows[:1], "total_cents": 1_248_000}),
            ("several invoices", {"invoices": invoice_rows, "total_cents": 1_773_540}),
        ],
        "flows/plan/first_instalment.txt": [("", {"amount_cents": 591_180})],
        "flows/already_paid/date_refused.txt": [
            ("a day in the future", {"day": dt.date(2026, 11, 30)}),
            ("a day long ago", {"day": dt.date(2026, 1, 10)}),
        ],
        "flows/dispute/ask_description.txt": [
            ("other reason", {"reason": "other", "invoice": "F-2026-101"}),
            ("a reason chosen", {"reason": "wrong_amount", "invoice": ""}),
        ],
        "flows/dispute/opened.txt": [
            ("one invoice", {"invoice": "F-2026-101"}),
            ("all invoices", {"invoice": ""}),
        ],
        "flows/plan/confirm.txt": [
            ("staff decide", {"needs_staff": True}),
            ("within the policy", {"needs_staff": False}),
        ],
        "flows/plan/confirm.sms.txt": [
            ("staff decide", {"needs_staff": True}),
            ("within the policy", {"needs_staff": False}),
        ],
        "flows/plan/not_possible.txt": [
            ("", {"problems": ["instalment_too_small", "too_long"]}),
        ],
        "flows/plan/refused.txt": [
            ("", {"problems": ["first_due_in_past", "count_too_high"]}),
        ],
        "flows/promise/refused.txt": [
            ("in the past", {"problem": "in_past", "day": dt.date(2026, 11, 20)}),
            ("too far", {"problem": "too_far", "day": dt.date(2027, 2, 1)}),
        ],
        "flows/already_paid/recorded.txt": [
            ("with a receipt", {"with_receipt": True}),
            ("without", {"with_receipt": False}),
        ],
        "decisions/dispute_invoice_cancelled.txt": [
            ("one invoice", {"invoice_count": 1}),
            ("several", {"invoice_count": 2, "invoice_number": "F-2026-101, F-2026-102"}),
        ],
        "linking/link_invalid.txt": [
            ("expired", {"reason": "expired"}),
            ("used", {"reason": "used"}),
            ("invalid", {"reason": "invalid"}),
        ],
        "optout/opt_out.txt": [("SMS, WhatsApp", {}), ("Telegram", {"channel": "telegram"})],
        "optout/opt_in.txt": [("SMS, WhatsApp", {}), ("Telegram", {"channel": "telegram"})],
        "optout/shared_opt_out.txt": [
            ("one company of a shared number", {"names": [DEBTOR]}),
            ("every company", {"names": [DEBTOR, "Verdi Impianti S.p.A."]}),
            ("one company of a shared chat", {"names": [DEBTOR], "channel": "telegram"}),
        ],
        "optout/shared_opt_in.txt": [("one company of a shared number", {"names": [DEBTOR]})],
        "optout/help.txt": [
            ("with a reply-to address", {"reply_to": "amministrazione@forniture-bianchi.it"}),
            ("without", {"reply_to": ""}),
            ("Telegram", {"reply_to": "", "channel": "telegram"}),
        ],
        "payments/receipt.txt": [
            ("part of the balance", receipt),
            (
                "an instalment, the plan completed",
                {**receipt, "instalment_seq": 3, "plan_completed": True, "remaining_cents": 0},
            ),
            (
                "more than was owed",
                {**receipt, "unallocated_cents": 20_000, "remaining_cents": 0},
            ),
        ],
        "payments/receipt.sms.txt": [
            ("part of the balance", receipt),
            (
                "an instalment, the plan completed",
                {**receipt, "instalment_seq": 3, "plan_completed": True, "remaining_cents": 0},
            ),
        ],
        "payments/staff_payment_received.txt": [("", receipt)],
        "payments/staff_overpayment.txt": [("", {**receipt, "unallocated_cents": 20_000})],
        "payments/staff_payment_failed.txt": [("", receipt)],
        "payments/bank_import_report.txt": [("", {"report": report})],
        "payments/bank_transfer.txt": [("", {"transfer": transfer})],
        "pay/page.html": [
            ("balance, card and bank transfer, chat links", page),
            (
                "discount",
                {
                    **page,
                    "transfer": _ns(**{**vars(transfer), "amount_cents": 1_738_069}),
                    "due": _ns(
                        **{
                            **vars(due),
                            "reason": _enum("discount"),
                            "amount_cents": 1_738_069,
                            "valid_until": dt.date(2026, 12, 3),
                        }
                    ),
                },
            ),
            (
                "instalment, bank transfer only, no chat links",
                {
                    **page,
                    "online": False,
                    "chat_links": [],
                    "transfer": _ns(**{**vars(transfer), "amount_cents": 105_464}),
                    "due": _ns(
                        **{
                            **vars(due),
                            "reason": _enum("instalment"),
                            "amount_cents": 105_464,
                            "instalment": _ns(seq=2, due_date=dt.date(2026, 12, 30)),
                        }
                    ),
                },
            ),
            (
                "nothing due",
                {**page, "due": _ns(**{**vars(due), "reason": _enum("nothing_due")})},
            ),
        ],
        "pay/success.html": [
            ("paid", {"state": "paid", "sandbox": False}),
            ("SEPA processing", {"state": "processing", "sandbox": False}),
            ("sandbox", {"state": "", "sandbox": True}),
        ],
        "pay/checkout_item.txt": [
            (
                "one invoice",
                {"numbers": ["F-2026-101"], "reason": "balance", "instalment_seq": None},
            ),
            (
                "an instalment",
                {"numbers": ["F-2026-101", "F-2026-102"], "reason": "balance", "instalment_seq": 2},
            ),
            ("discount", {"numbers": ["F-2026-101"], "reason": "discount", "instalment_seq": None}),
        ],
        "staff/debtor.txt": [
            (
                "",
                {
                    "debtor": debtor,
                    "paused_until": dt.datetime(2026, 11, 30, 9, 0),
                    "no_consent": [{"channel": "WhatsApp", "address": "+393331012034"}],
                    "stage": "plan.confirm",
                    "channel": "sms",
                    "invoices": invoice_rows,
                    "more_invoices": 0,
                    "totals": {"EUR": 1_773_540},
                    "history": _ns(
                        paid_invoices=4, average_days_late=12, broken_promises=1, past_plans=0
                    ),
                    "messages": [
                        _ns(when=now, direction="out", channel="sms", summary="overdue_1"),
                        _ns(when=now, direction="in", channel="sms", summary="Paga a rate"),
                    ],
                    "payments": [
                        _ns(
                            received_at=now,
                            amount_cents=50_000,
                            currency="EUR",
                            method=_enum("bank_transfer"),
                        )
                    ],
                },
            )
        ],
        "staff/plan.txt": [
            ("a plan", {"debtor": debtor, "plan": plan, "instalments": instalments}),
            ("no plan", {"debtor": debtor, "plan": None, "instalments": []}),
        ],
        "staff/plan_request.txt": [
            ("first plan", {"average_days_late": None}),
            ("a known payer", {"average_days_late": 12}),
        ],
        "staff/decision/invalid.txt": [
            ("gone", {"detail": "missing"}),
            ("outside the policy", {"detail": "instalment_too_small"}),
        ],
        "staff/decision/not_allowed.txt": [
            ("over the limit", {"detail": "limit"}),
            ("viewer", {"detail": "role"}),
            ("not staff", {"detail": ""}),
        ],
        "staff/usage.txt": [
            ("/pause", {"command": "pause"}),
            ("/done", {"command": "done"}),
            ("/debtor", {"command": "debtor"}),
        ],
        "staff/words.txt": [
            ("abuse", {"reason": "abuse"}),
            ("wrong person", {"reason": "wrong_person"}),
            ("partial claim", {"reason": "partial_claim"}),
        ],
        "staff/relay.txt": [
            ("text", {"attachments": []}),
            ("with a photo", {"attachments": [{"kind": "photo", "name": "ricevuta.jpg"}]}),
        ],
        "staff/payment_claim.txt": [
            ("with a receipt", {"attachments": [{"kind": "document", "name": "bonifico.pdf"}]}),
            ("without", {"attachments": []}),
        ],
        "staff/dispute_opened.txt": [
            (
                "wrong amount, with a photo",
                {"reason": "wrong_amount", "attachments": [{"kind": "photo", "name": "bolla.jpg"}]},
            ),
            ("other, nothing attached", {"reason": "other", "attachments": []}),
        ],
    }


def _common_context(language: str) -> dict[str, Any]:
    """What the other templates see unless their sample says otherwise."""
    debtor = _ns(id=7, name=DEBTOR, external_ref="C001")
    schedule = [
        {"due_date": dt.date(2026, 11, 30), "amount_cents": 591_180},
        {"due_date": dt.date(2026, 12, 30), "amount_cents": 591_180},
        {"due_date": dt.date(2027, 2, 1), "amount_cents": 591_180},
    ]
    return {
        "company": COMPANY,
        "debtor_name": DEBTOR,
        "debtor_ref": "C001",
        "debtor_id": 7,
        "debtor": debtor,
        "currency": "EUR",
        "total_cents": 1_773_540,
        "amount_cents": 1_248_000,
        "balance_cents": 1_773_540,
        "exposure_cents": 1_773_540,
        "invoices": ["F-2026-101", "F-2026-102"],
        "invoice": "F-2026-101",
        "invoice_number": "F-2026-101",
        "invoice_count": 1,
        "number": "F-2026-101",
        "percent": 2,
        "valid_until": dt.date(2026, 12, 3),
        "pay_url": PAY_URL,
        "day": dt.date(2026, 11, 20),
        "today": TODAY,
        "latest": dt.date(2026, 12, 23),
        "first_due": dt.date(2026, 11, 30),
        "due_date": dt.date(2026, 11, 30),
        "paid_on": dt.date(2026, 11, 20),
        "paid_date": dt.date(2026, 11, 20),
        "promised_date": dt.date(2026, 11, 20),
        "digest_date": TODAY,
        "plans_waiting": 1,
        "discounts_waiting": 2,
        "until": dt.datetime(2026, 11, 30, 9, 0),
        "count": 3,
        "interval_days": 30,
        "schedule": schedule,
        "problems": [],
        "max_count": 6,
        "min_instalment_cents": 10_000,
        "max_length_days": 180,
        "pause_days": 7,
        "with_receipt": False,
        "beneficiary": COMPANY,
        "iban": "IT60 X054 2811 1010 0000 0123 456",
        "bic": "BPMOIT22",
        "reference": "SOL-7-82 F-2026-101 F-2026-102",
        "reason": "other",
        "text": "Buongiorno, la fattura F-2026-102 riporta un importo diverso dall'ordine.",
        "attachments": [],
        "staff_name": "Giulia",
        "by": "Giulia",
        "channel": "sms",
        "plan_id": 3,
        "request_id": 12,
        "claim_id": 5,
        "dispute_id": 4,
        "message_id": 99,
        "template": "overdue_1",
        "step": "overdue_1",
        "errors": ["telegram: bot blocked by the user", "sms: 21211 invalid 'To' phone number"],
        "days_overdue": 46,
        "totals": {"EUR": 1_773_540, "USD": 560_000},
        "seq": 2,
        "grace_days": 5,
        "broken_promises": 1,
        "past_plans": 0,
        "paid_invoices": 4,
        "average_days_late": None,
        "sent": 12,
        "failed": 1,
        "replies": 4,
        "pending": 6,
        "promises_due": 1,
        "instalments_due": 2,
        "overdue_debtors": 9,
        "overdue_cents": 4_512_000,
        "top": [
            {
                "name": DEBTOR,
                "cents": 1_773_540,
                "days": 69,
                "debtor_id": 7,
                "debtor_name": DEBTOR,
                "step": "final_notice",
            },
            {
                "name": "Bar Sport di Neri Luca",
                "cents": 38_000,
                "days": 7,
                "debtor_id": 3,
                "debtor_name": "Bar Sport di Neri Luca",
                "step": "overdue_1",
            },
        ],
        "by_step": {"overdue_3": 14, "final_notice": 9},
        "buckets": [
            {"label": "1-30", "count": 5, "totals": {"EUR": 845_000}},
            {"label": "31-60", "count": 3, "totals": {"EUR": 1_980_000, "USD": 560_000}},
        ],
        "query": "Rossi",
        "debtors": [
            _ns(external_ref="C001", name=DEBTOR),
            _ns(external_ref="C017", name="Rossi Impianti S.n.c."),
        ],
        "more": False,
        "detail": "missing",
        "command": "pause",
        "max_days": 30,
        "provider": "stripe",
        "kind": "charge.dispute.created",
        "parked_id": 8,
        "page_url": "/pay/Ab3dEf6hJk7mNp8q",
        "reply_to": "",
        "phone": PHONE,
        "key": "pay_now",
    }


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


def _templates(language: str, folder: str) -> list[str]:
    root = TEMPLATES_DIR / language
    return sorted(
        str(path.relative_to(root))
        for path in (root / folder).rglob("*")
        if path.is_file() and not path.name.startswith("_")
    )


def _everything_else(review: Review) -> None:
    samples = _samples()
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
    _one_liners(
        review,
        "flows/keywords",
        "Words a debtor may type for each option (one per line in the template)",
        lambda language: {"count": 3},
    )
    _one_liners(review, "staff/buttons", "Staff chat buttons", lambda language: {})
    for language in LANGUAGES:
        for key in (*REMINDER_OPTION_KEYS, "discount"):
            review.render("reminders/option.txt", language, key=key)
    review.lines += [
        "Reminder options (`reminders/option.txt`): "
        + "; ".join(
            f"{language}: " + " / ".join(o.label for o in _options(language))
            for language in LANGUAGES
        ),
        "",
    ]
    for language in LANGUAGES:
        review.render("channels/sms_options.txt", language, options=list(_options(language)))
        review.render("channels/whatsapp_options.txt", language, options=list(_options(language)))
    review.note(
        "The SMS and WhatsApp option lines (`channels/*_options.txt`) are shown with the "
        "reminders above."
    )

    sections = (
        ("flows", "Conversation replies (every channel)"),
        ("decisions", "After a staff decision, to the debtor"),
        ("payments", "Payments: receipts, bank details, staff notices"),
        ("linking", "Linking a Telegram chat"),
        (
            "optout",
            "Keywords: STOP, START, AIUTO (every channel; words in bot/flows/vocabulary.toml)",
        ),
        ("replies", "Other replies"),
        ("pay", "The pay pages (HTML, as text)"),
        ("staff", "The staff chat"),
        ("email", "E-mail without a template of its own"),
    )
    for folder, title in sections:
        review.heading(2, title)
        names = [
            name
            for name in _templates("it", folder)
            if not name.startswith(("flows/options/", "flows/keywords/", "staff/buttons/"))
            and name not in ("email/layout.txt", "email/layout.html")
        ]
        for name in names:
            review.heading(3, f"`{name}`")
            for language in LANGUAGES:
                for label, extra in samples.get(name, [("", {})]):
                    context = {**_common_context(language), **extra}
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
        ):
            review.rendered.add(f"{language}/{partial}")


HEADER = """# What debtors and staff read

Generated by `python -m bot texts review` from templates/ (do not edit by hand: edit the templates
and run the command again); tests/test_review.py fails when this file is not current.

How the texts are written:

- Italian in the formal register (Lei: "le ricordiamo", "Paghi online", "ci scriva"), English in
  plain business English; amounts as babel writes them in the debtor's language ("1.234,56 €",
  "€1,234.56"), dates in full ("15 dicembre 2026", "15 December 2026").
- An SMS or chat preview is read by whoever holds the phone: its first line says who writes and
  about what, never an amount, never "diffida". Formal wording (diffida, costituzione in mora)
  only in the e-mail of the final notice, the channel for PEC; in a chat and by SMS the final
  notice is a short, courteous note.
- The first message to a phone number that never wrote to us says who writes and to whom, asks to
  be told if the number is wrong, and by SMS carries no amount (the details are behind the link).
- Every reminder says how to answer: the pay link, and the chat links the policy enables
  (`contact.chat_links`) and the company's phone. E-mails never invite a reply by e-mail: the
  product reads none.
- SMS stay within the policy's segment budget in GSM-7: no-break spaces, "…" and typographic
  quotes are replaced before sending; "€" costs two characters.

The sample company is "Forniture Bianchi S.r.l.", whose name ends in a period like many Italian
company names; the sample debtor is "Rossi Costruzioni S.r.l."."""


def build_review() -> Review:
    review = Review()
    review.lines += HEADER.split("\n")
    _reminders(review)
    _everything_else(review)
    return review


def render_review() -> str:
    review = build_review()
    text = "\n".join(review.lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return text


def all_templates() -> set[str]:
    """Every template file, as language/path."""
    return {
        f"{language}/{path.relative_to(TEMPLATES_DIR / language)}"
        for language in LANGUAGES
        for path in (TEMPLATES_DIR / language).rglob("*")
        if path.is_file()
    }


def write_review(path: Path = REVIEW_FILE) -> bool:
    """Write the review file; whether it changed."""
    text = render_review()
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


__all__ = [
    "REVIEW_FILE",
    "all_templates",
    "build_review",
    "html_as_text",
    "render_review",
    "write_review",
]
