# house: long because it is data: the made-up context every text is reviewed with.
"""The sample data of the texts review: the company, the debtor, their invoices, and a context for
every template that needs more than the common one. Made up, with fixed dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from bot.answers import ChatLink, no_answer_context
from bot.review.bank_samples import BANK_SAMPLES
from bot.review.chart_samples import CHART_SAMPLES
from bot.review.credit_samples import CREDIT_SAMPLES
from bot.review.fatturapa_samples import FATTURAPA_SAMPLES
from bot.review.interest_samples import add_interest_samples
from bot.review.manual_samples import MANUAL_SAMPLES
from bot.review.notice_samples import add_notice_samples
from bot.review.pec_samples import PEC_SAMPLES
from bot.review.registry_samples import REGISTRY_SAMPLES
from bot.review.reversal_samples import REVERSAL_SAMPLES

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
# The reply options a reminder offers (scheduler/reminder_rows.py: REMINDER_OPTIONS, plan first).
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


# Every other template: its name, and the samples it is rendered with (a label and a context).
Sample = tuple[str, dict[str, Any]]


def _ns(**values: Any) -> SimpleNamespace:
    return SimpleNamespace(**values)


def _enum(value: str) -> SimpleNamespace:
    return SimpleNamespace(value=value)


# Sample contexts per template (paths without the language). A template not listed here is
# rendered once with the common context.
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
    # Interest and the €40 (bot/escalation/showing.py): none here; bot/review/interest_samples.py
    "claim": None,
    "collect_claim": False,
    "card_extra_cents": 0,
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
SAMPLES: dict[str, list[Sample]] = {
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
    "staff/early_warning.txt": [
        (
            "every signal",
            {
                "digest_date": TODAY,
                "flagged": [
                    {
                        "name": DEBTOR,
                        "ref": "C001",
                        "action": "stop_credit",
                        "signals": [
                            {"kind": "paying_later", "recent_count": 3, "recent_days": 27}
                            | {"usual_days": 6},
                            {"kind": "first_broken_promise", "days_ago": 3},
                            {"kind": "silence", "reminders": 4, "answered_before": 5, "days": 30},
                        ],
                    },
                    {
                        "name": "Bar Sport di Neri Luca",
                        "ref": "C017",
                        "action": "offer_plan",
                        "signals": [
                            {"kind": "smaller_partials", "last_cents": 12_000}
                            | {"last_percent": 15, "usual_percent": 50},
                        ],
                    },
                    {
                        "name": "Greenfield Imports Ltd",
                        "ref": "C005",
                        "action": "call",
                        "signals": [
                            {"kind": "instalment_late", "days_late": 3, "grace_days": 5}
                            | {"amount_cents": 52_731},
                        ],
                    },
                ],
            },
        ),
        (
            "one debtor, one invoice",
            {
                "digest_date": TODAY,
                "flagged": [
                    {
                        "name": DEBTOR,
                        "ref": "C001",
                        "action": "call",
                        "signals": [
                            {"kind": "paying_later", "recent_count": 1, "recent_days": 1}
                            | {"usual_days": 0},
                            {"kind": "first_broken_promise", "days_ago": 1},
                        ],
                    },
                ],
            },
        ),
    ],
}
SAMPLES.update(CHART_SAMPLES)  # the staff charts' captions (bot/review/chart_samples.py)


_debtor = _ns(id=7, name=DEBTOR, external_ref="C001")
_schedule = [
    {"due_date": dt.date(2026, 11, 30), "amount_cents": 591_180},
    {"due_date": dt.date(2026, 12, 30), "amount_cents": 591_180},
    {"due_date": dt.date(2027, 2, 1), "amount_cents": 591_180},
]
# What the other templates see unless their sample says otherwise.
COMMON_CONTEXT: dict[str, Any] = {
    "company": COMPANY,
    "debtor_name": DEBTOR,
    "debtor_ref": "C001",
    "debtor_id": 7,
    "debtor": _debtor,
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
    "schedule": _schedule,
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

# The credit card and its alert (bot/review/credit_samples.py).
SAMPLES.update(CREDIT_SAMPLES)
SAMPLES.update(BANK_SAMPLES)
SAMPLES.update(REGISTRY_SAMPLES)  # the registry's own (bot/review/registry_samples.py)
add_interest_samples(SAMPLES, page)  # interest and the €40 (bot/review/interest_samples.py)
SAMPLES.update(PEC_SAMPLES)  # PEC receipts, the case, the hand-off (bot/review/pec_samples.py)
SAMPLES.update(FATTURAPA_SAMPLES)  # the credit-note staff message (bot/review/fatturapa_samples.py)
SAMPLES.update(MANUAL_SAMPLES)  # /paid and /writeoff (bot/review/manual_samples.py)
SAMPLES.update(REVERSAL_SAMPLES)  # reversed payments, RiBa (bot/review/reversal_samples.py)
add_notice_samples(SAMPLES)  # the formal notice's (bot/review/notice_samples.py)
