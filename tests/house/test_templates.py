"""Reminder and staff templates: complete in both languages, formatted by babel, escaped in HTML,
SMS within the policy's segment budget (GSM-7, so a segment holds 153-160 characters)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import Option, OutgoingMessage
from bot.models import Channel
from bot.policy import load_policy
from bot.providers.twilio.segments import Encoding, count_segments, over_budget, sms_budget_warnings
from bot.providers.twilio.sms import sms_body
from bot.review.samples import REMINDERS  # every reminder template, one list for review and tests
from bot.texts import TEMPLATES_DIR, render
from scheduler.reminder_rows import REMINDER_OPTIONS
from scheduler.rendering import fit_sms_budget, sms_friendly

VARIANTS = (".txt", ".sms.txt", ".subject.txt", ".html")
STAFF = ("escalation", "delivery_failed", "digest", "promise_broken", "plan_broken")
LANGUAGES = ("it", "en")
POLICY = load_policy(Path(__file__).resolve().parents[2] / "policy.toml")
LONG_NAME = "Xxxxxxxxxx Xxxxxxxxxxxx Xxxxxxxxxx S.r.l."  # 40 characters
LONG_URL = "https://pagamenti.example.it/pay/Xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"


def reminder_context(**overrides: Any) -> dict[str, Any]:
    invoices = [
        {
            "id": n,
            "number": f"FT-2026/00012{n}",
            "due_date": dt.date(2026, 9, 30),
            "balance_cents": 123_456,
            "currency": "EUR",
        }
        for n in range(3)
    ]
    context: dict[str, Any] = {
        "company": "Forniture Bianchi S.p.A.",
        "debtor_name": "Bar Sport di Rossi",
        "invoices": invoices,
        "invoice_count": 3,
        "currency": "EUR",
        "total_cents": 370_368,
        "other_totals": {},
        "due_date": dt.date(2026, 9, 30),
        "days_overdue": 12,
        "offer": "discount",
        "courtesy": False,
        "pay_url": "https://sollecito.example/pay/AbCdEfGhIjKlMnOp",
        "iban": "IT60X0542811101000000123456",
        "beneficiary": "Forniture Bianchi S.p.A.",
        "seq": 2,
        "amount_cents": 123_456,
        "promised_date": dt.date(2026, 11, 20),
        "plan_invoices": [invoice["number"] for invoice in invoices],
        "plan_currency": "EUR",
        "grace_days": 5,
    }
    context.update(overrides)
    return context


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reminder_has_all_four_variants_and_staff_texts_exist(language: str) -> None:
    for name in REMINDERS:
        for variant in VARIANTS:
            assert (TEMPLATES_DIR / language / "reminders" / f"{name}{variant}").is_file(), (
                f"{language}/reminders/{name}{variant}"
            )
    for name in STAFF:
        assert (TEMPLATES_DIR / language / "staff" / f"{name}.txt").is_file()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", REMINDERS)
def test_every_variant_renders(language: str, name: str) -> None:
    context = reminder_context()
    text = render(f"reminders/{name}.txt", language, **context)
    subject = render(f"reminders/{name}.subject.txt", language, **context)
    html = render(f"reminders/{name}.html", language, **context)
    sms = render(f"reminders/{name}.sms.txt", language, **context)
    assert "Bar Sport di Rossi" in text and "Bar Sport di Rossi" in html
    assert "\n" not in subject and subject.startswith("Forniture Bianchi S.p.A.: ")
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in html
    assert "Forniture Bianchi" in sms


def test_amounts_and_dates_follow_the_language() -> None:
    it = render("reminders/overdue_1.txt", "it", **reminder_context())
    en = render("reminders/overdue_1.txt", "en", **reminder_context())
    assert "1.234,56\xa0€" in it and "3.703,68\xa0€" in it and "30 settembre 2026" in it
    assert "€1,234.56" in en and "€3,703.68" in en and "30 September 2026" in en


def test_one_invoice_reads_in_the_singular() -> None:
    one = reminder_context(invoices=reminder_context()["invoices"][:1], invoice_count=1)
    assert "La fattura FT-2026/000120 scade" in render("reminders/courtesy.sms.txt", "it", **one)
    assert "Invoice FT-2026/000120 is due" in render("reminders/courtesy.sms.txt", "en", **one)
    assert "3 invoices" in render("reminders/courtesy.sms.txt", "en", **reminder_context())


def test_html_is_escaped_and_text_is_not() -> None:
    context = reminder_context(debtor_name="Rossi & <Figli>", company="A&B <S.r.l.>")
    html = render("reminders/overdue_2.html", "it", **context)
    assert "Rossi &amp; &lt;Figli&gt;" in html and "<Figli>" not in html
    assert "A&amp;B &lt;S.r.l.&gt;" in html
    text = render("reminders/overdue_2.txt", "it", **context)
    assert "Rossi & <Figli>" in text


def test_firmness_grows_with_the_steps() -> None:
    assert "cortesemente" in render("reminders/courtesy.txt", "it", **reminder_context())
    final = render("reminders/final_notice.txt", "it", **reminder_context())
    assert "diffidiamo" in final and "231/2002" in final
    assert "formal notice" in render("reminders/final_notice.txt", "en", **reminder_context())
    assert "diffida" in render("reminders/final_notice.subject.txt", "it", **reminder_context())


def test_discount_is_mentioned_only_when_offered() -> None:
    offered = render("reminders/courtesy.txt", "it", **reminder_context(offer="discount"))
    plain = render("reminders/courtesy.txt", "it", **reminder_context(offer=None))
    assert "sconto" in offered and "sconto" not in plain


def test_policy_steps_sms_within_the_segment_budget() -> None:
    assert sms_budget_warnings(POLICY) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", REMINDERS)
def test_every_sms_fits_the_budget_at_worst_case_lengths(language: str, name: str) -> None:
    worst = reminder_context(
        company=LONG_NAME,
        debtor_name=LONG_NAME,
        total_cents=123_456_789,
        amount_cents=123_456_789,
        days_overdue=365,
        pay_url=LONG_URL,
        seq=12,
    )
    text = sms_friendly(render(f"reminders/{name}.sms.txt", language, **worst))
    count = count_segments(text)
    assert count.encoding is Encoding.GSM7, f"{name}: a non-GSM character halves the SMS"
    assert over_budget(text, POLICY.contact.sms_segment_budget) is None, (name, count)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_options_are_trimmed_to_fit_the_budget(language: str) -> None:
    worst = reminder_context(company=LONG_NAME, total_cents=123_456_789, pay_url=LONG_URL)
    text = sms_friendly(render("reminders/overdue_3.sms.txt", language, **worst))
    options = tuple(
        Option(key, render("reminders/option.txt", language, key=key)) for key in REMINDER_OPTIONS
    )
    message = OutgoingMessage(
        channel=Channel.SMS, address="+393331234567", text=text, options=options, language=language
    )
    fitted = fit_sms_budget(message, POLICY.contact.sms_segment_budget)
    assert fitted.text == text
    assert over_budget(sms_body(fitted), POLICY.contact.sms_segment_budget) is None
    assert fitted.options == options[: len(fitted.options)]  # the first options are kept


@pytest.mark.parametrize("language", LANGUAGES)
def test_option_labels_exist_for_every_key(language: str) -> None:
    for key in (*REMINDER_OPTIONS, "discount"):
        label = render("reminders/option.txt", language, key=key)
        assert label and label != key


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_templates_render(language: str) -> None:
    common = {"company": "Forniture Bianchi S.p.A.", "debtor_id": 7, "debtor_name": "Bar Sport"}
    escalation = render(
        "staff/escalation.txt",
        language,
        **common,
        step="overdue_3",
        days_overdue=46,
        invoice_count=2,
        totals={"EUR": 123_456},
    )
    assert "Bar Sport" in escalation and "overdue_3" in escalation
    failed = render(
        "staff/delivery_failed.txt",
        language,
        **common,
        message_id=99,
        template="overdue_1",
        step="overdue_1",
        errors=["telegram: bot blocked", "sms: invalid number"],
    )
    assert "#99" in failed and "- sms: invalid number" in failed
    digest = render(
        "staff/digest.txt",
        language,
        digest_date=dt.date(2026, 11, 25),
        sent=3,
        failed=1,
        replies=2,
        pending=4,
        promises_due=1,
        instalments_due=0,
        overdue_debtors=1,
        overdue_cents=500_000,
        currency="EUR",
        top=[{"name": "Bar Sport", "cents": 500_000, "days": 10}],
        plans_waiting=2,
        discounts_waiting=0,
    )
    assert "Bar Sport" in digest and "25" in digest
    waiting = {
        "it": "In attesa di una vostra decisione: 2 piani",
        "en": "Waiting for your decision: 2",
    }
    assert waiting[language] in digest
    broken = render(
        "staff/promise_broken.txt",
        language,
        **common,
        promised_date=dt.date(2026, 11, 20),
        total_cents=50_000,
        currency="EUR",
    )
    assert "Bar Sport" in broken
    plan = render(
        "staff/plan_broken.txt",
        language,
        **common,
        seq=1,
        amount_cents=25_000,
        currency="EUR",
        due_date=dt.date(2026, 11, 1),
        grace_days=5,
    )
    assert "Bar Sport" in plan and "5" in plan
