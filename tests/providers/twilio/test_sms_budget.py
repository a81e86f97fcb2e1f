"""Issue 14, item 11: every SMS reminder's worst case within the policy's segment budget, in
GSM-7, counted with an independent GSM 03.38 codec (the gsm0338 package, 3GPP TS 23.038) as well
as with bot/providers/twilio/segments.py, whose tables are checked against it."""

from __future__ import annotations

from pathlib import Path

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest

from bot.channels.base import Option, OutgoingMessage
from bot.models import Channel
from bot.policy import load_policy
from bot.providers.twilio.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    count_segments,
    gsm_text,
    worst_case_contexts,
    worst_case_sms,
)
from bot.providers.twilio.sms import sms_body
from bot.texts import money, render
from scheduler.rendering import fit_sms_budget

POLICY = load_policy(Path(__file__).resolve().parents[3] / "policy.toml")
BUDGET = POLICY.contact.sms_segment_budget
TEMPLATES = sorted(
    {step.template for step in POLICY.steps} | {"instalment_due", "promise_reminder", "thank_you"}
)


def codec_segments(text: str) -> tuple[str, int]:
    """Encoding and segments as a network would split the text: GSM 03.38 septets (an escape
    pair never split; 160 alone, 153 a part) or else UTF-16 (70 alone, 67 a part)."""
    try:
        septets = text.encode("gsm03.38")
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-be")) // 2
        return "UCS-2", 1 if units <= 70 else -(-units // 67)
    if len(septets) <= 160:
        return "GSM-7", 1
    parts, room, i = 1, 153, 0
    while i < len(septets):
        width = 2 if septets[i] == 0x1B else 1
        if width > room:
            parts, room = parts + 1, 153
        room -= width
        i += width
    return "GSM-7", parts


def test_the_segments_tables_are_the_gsm_03_38_tables() -> None:
    basic, extension = set(), set()
    for codepoint in range(0x110000):
        char = chr(codepoint)
        try:
            encoded = char.encode("gsm03.38")
        except UnicodeEncodeError:
            continue
        (basic if len(encoded) == 1 else extension).add(char)
    basic.discard("\x1b")  # the escape itself is not a character one writes
    assert basic == set(GSM7_BASIC)
    assert extension == set(GSM7_EXTENSION)
    assert "€".encode("gsm03.38") == b"\x1be"  # two septets


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_the_worst_case_sms_fits_the_budget_in_gsm7(language: str, template: str) -> None:
    text = worst_case_sms(template, language)
    assert text is not None
    if template != "thank_you":  # a receipt, not a reminder
        assert "https://" in text  # the pay link, counted
    encoding, segments = codec_segments(text)
    assert encoding == "GSM-7", text
    assert segments <= BUDGET, (segments, text)
    ours = count_segments(text)
    assert (ours.encoding.value, ours.segments) == (encoding, segments)


def test_the_worst_case_carries_the_longest_chat_link() -> None:
    contexts = worst_case_contexts("it")
    ordinary = [c for c in contexts if not c["first_contact"]]
    assert ordinary and all("?start=" in c["chat_links"][0].url for c in ordinary)
    assert all(len(c["company"]) >= 40 and len(c["debtor_name"]) >= 40 for c in contexts)


def test_babel_and_typography_do_not_force_ucs2() -> None:
    amount = money(123_456_789, "EUR", "it")
    assert "\xa0" in amount  # what babel writes
    text = gsm_text(f"Totale {amount} – «Pagherò il…» ‘ok’ È tutto")
    assert text == "Totale 1.234.567,89 € - \"Pagherò il...\" 'ok' E' tutto"
    assert codec_segments(text)[0] == "GSM-7"


def test_what_the_sms_sender_sends_is_gsm7() -> None:
    options = (Option("promise", render("flows/options/promise.txt", "it")),)  # "Pagherò il…"
    message = OutgoingMessage(
        Channel.SMS,
        "+393331234567",
        f"Totale {money(50_000, 'EUR', 'it')}",
        options=options,
        language="it",
    )
    body = sms_body(message)
    assert "…" not in body and "\xa0" not in body
    assert count_segments(body).encoding is Encoding.GSM7


@pytest.mark.parametrize("language", ["it", "en"])
def test_options_are_dropped_before_the_text_goes_over_budget(language: str) -> None:
    text = worst_case_sms("overdue_2", language)
    assert text is not None
    options = tuple(
        Option(key, render("reminders/option.txt", language, key=key))
        for key in ("instalments", "pay_now", "promise", "already_paid", "dispute")
    )
    message = OutgoingMessage(
        Channel.SMS, "+393331234567", text, options=options, language=language
    )
    body = sms_body(fit_sms_budget(message, BUDGET))
    assert codec_segments(body)[1] <= BUDGET


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_plan_schedule_by_sms_fits_the_budget_and_lists_every_instalment(language: str) -> None:
    """The plan's confirmation has an SMS form: the longest plan the policy allows, at the
    largest amounts, with its two answers, stays within budget and names each date and amount."""
    import datetime as dt

    from bot.conversations.replies import render_replies
    from bot.flows.context import ReplySpec
    from bot.flows.options import option

    count = POLICY.instalments.max_count
    first = dt.date(2026, 11, 16)
    schedule = [
        {"due_date": first + dt.timedelta(days=30 * n), "amount_cents": 999_999_999 + n}
        for n in range(count)
    ]
    spec = ReplySpec(
        "flows/plan/confirm.txt",
        {
            "count": count,
            "total_cents": sum(row["amount_cents"] for row in schedule),
            "currency": "EUR",
            "schedule": schedule,
            "needs_staff": True,
        },
        (option("yes"), option("no")),
    )
    [reply] = render_replies([spec], language)
    assert reply.short_text and reply.short_text != reply.text
    message = OutgoingMessage(
        channel=Channel.SMS,
        address="+393331234567",
        text=reply.short_text,
        options=reply.options,
        language=language,
    )
    body = sms_body(message)
    assert codec_segments(body) == ("GSM-7", count_segments(body).segments)
    assert count_segments(body).segments <= BUDGET
    for row in schedule:
        assert money(row["amount_cents"], "EUR", language) in reply.short_text
        assert row["due_date"].strftime("%d/%m/") in reply.short_text


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_receipt_by_sms_fits_the_budget_and_names_what_it_settled(language: str) -> None:
    receipt = {
        "debtor_name": "X" * 60,
        "company": "Forniture Industriali Bianchi & Figli S.r.l.",
        "amount_cents": 999_999_999,
        "payment_currency": "EUR",
        "paid_invoices": [
            {"number": f"FPR-2026-00{n}/A", "cents": 333_333_333, "settled": True} for n in range(3)
        ]
        + [{"number": "FPR-2026-009/A", "cents": 1, "settled": False}],
        "discount_cents": 0,  # an early-payment discount settles invoices, not plan instalments
        "instalment_seq": 12,
        "plan_completed": True,
        "unallocated_cents": 99_999,  # paid more than owed: nothing remains
        "remaining_cents": 0,
    }
    text = gsm_text(render("payments/receipt.sms.txt", language, **receipt))
    assert count_segments(text).segments <= BUDGET
    assert all(f"FPR-2026-00{n}/A" in text for n in range(3))
    assert "FPR-2026-009/A" not in text  # not settled: not named as settled
    still_owed = render(
        "payments/receipt.sms.txt",
        language,
        **{**receipt, "unallocated_cents": 0, "remaining_cents": 999_999_999},
    )
    assert count_segments(gsm_text(still_owed)).segments <= BUDGET


def test_the_first_of_the_month_does_not_force_ucs2() -> None:
    """babel writes "1º gennaio 2027"; "º" is not GSM-7 and would make the whole SMS UCS-2."""
    from bot.formats import date

    text = gsm_text(f"La fattura scade il {date('2027-01-01', 'it')}: {money(354_462)}.")
    assert text == "La fattura scade il 1 gennaio 2027: 3.544,62 €."
    assert count_segments(text).encoding is Encoding.GSM7
