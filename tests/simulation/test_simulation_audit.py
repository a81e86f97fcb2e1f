"""The simulation's audit (bench/simulation): each rule counts what it is meant to catch, on
hand-made messages, and leaves alone what is right. Nothing here reads the real date."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import gsm0338  # noqa: F401  (an independent GSM 03.38 codec: importing it registers "gsm03.38")
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from simulation import audit as rules
from simulation.audit import Context, audit
from simulation.facts import DebtorFacts, Journal, Sent
from simulation.textparse import (
    amounts,
    claimed_earlier_reminders,
    dates,
    sms_segments,
    unlabelled_text,
)

from tests.support.simulation_cases import (
    FACTS,
    MONDAY_10,
    NOT_YET_DUE,
    OVERDUE,
    POLICY,
    invoice,
    journal,
    logged,
    rome,
    sent,
)

LISTING_BOTH = (
    "Gentile Rossi S.r.l.,\nrisulta ancora da pagare quanto segue, scaduto da 53 giorni:\n"
    "- fattura SIM-26-000001, scadenza 1 ott 2026: 500,00\u00a0€\n"
    "- fattura SIM-26-000002, scadenza 10 dic 2026: 200,00\u00a0€\n"
    "Totale da pagare: 700,00\u00a0€"
)
LISTING_DUE = (
    "Gentile Rossi S.r.l.,\nrisulta ancora da pagare questa fattura, scaduta da 53 giorni:\n"
    "- fattura SIM-26-000001, scadenza 1 ottobre 2026: 500,00 €\nTotale scaduto: 500,00 €"
)


def check(rule: rules.Rule, message: Sent, earlier: list[Sent] | None = None, **kw: object) -> bool:
    context = Context(POLICY, kw.get("journal", Journal()), kw.get("log", []))  # type: ignore[arg-type]
    return rule(message, context, earlier or [])


# --- reading texts --------------------------------------------------------------------------


def test_amounts_are_read_in_both_styles_and_with_any_space() -> None:
    text = "Totale 1.234,56\u00a0€, in inglese €1,234.56, poi 12,00 € e EUR 7,50; 3 fatture"
    assert amounts(text) == [123_456, 123_456, 1_200, 750]


def test_dates_are_read_short_long_and_english() -> None:
    text = "15 dic 2026, 3 gennaio 2027, 1º febbraio 2027, Dec 15, 2026, 6 January 2027, 01/02/2027"
    assert dates(text) == [
        dt.date(2026, 12, 15),
        dt.date(2027, 1, 3),
        dt.date(2027, 2, 1),
        dt.date(2027, 1, 6),
        dt.date(2026, 12, 15),
        dt.date(2027, 2, 1),
    ]


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        ("è il nostro terzo sollecito", 2),
        ("Rossi: secondo sollecito. Insoluto", 1),
        ("nonostante il nostro precedente sollecito", 1),
        ("despite our previous reminder", 1),
        ("come dal nostro precedente promemoria", 1),
        ("this is our third reminder", 2),
        ("le ricordiamo che oggi scade", 0),
    ],
)
def test_claims_of_earlier_reminders(text: str, claimed: int) -> None:
    assert claimed_earlier_reminders(text) == claimed


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # two septets each: 160
        ("€" * 81, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("100,00\u00a0€", "UCS-2", 1),  # the no-break space forces UCS-2
        ("x" * 70 + "…", "UCS-2", 2),
        ("“ok”" + "x" * 130, "UCS-2", 2),  # 134 units: two parts of 67
        ("“ok”" + "x" * 131, "UCS-2", 3),
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2(text: str, encoding: str, segments: int) -> None:
    counted = sms_segments(text)
    assert (counted.encoding, counted.segments) == (encoding, segments)


@pytest.mark.parametrize(
    "text",
    [
        "Rossi S.r.l.: 2 fatture, 1.234,56 € [rif. FT-1] ~ {ok} | ^",
        "Gentile Sig.ra Müller, è scaduta la fattura: 100,00 €." * 4,
        "Paghi qui: https://sollecito.example/pay/AbC_123-xyz " * 5,
    ],
)
def test_gsm7_units_agree_with_the_gsm0338_codec(text: str) -> None:
    counted = sms_segments(text)
    assert (counted.encoding, counted.units) == ("GSM-7", len(text.encode("gsm03.38")))


def test_texts_outside_gsm7_are_refused_by_the_codec_too() -> None:
    for text in ("100,00\u00a0€", "attenda…", "“sì”", "emoji 🙂"):
        assert sms_segments(text).encoding == "UCS-2"
        with pytest.raises(UnicodeEncodeError):
            text.encode("gsm03.38")


def test_a_section_labelled_not_yet_due_is_set_apart() -> None:
    text = "Scadute:\n- fattura A\nIn scadenza:\n- fattura B\n- fattura C\nTotale: 5,00 €"
    assert unlabelled_text(text) == "Scadute:\n- fattura A\nTotale: 5,00 €"
    due_today = "Rossi: pagamento in scadenza oggi.\n- fattura A: 5,00 €"
    assert unlabelled_text(due_today) == due_today


# --- claim 1: only what is due is called overdue ----------------------------------------------


def test_an_overdue_reminder_listing_an_invoice_not_yet_due_is_counted() -> None:
    assert check(rules.lists_not_yet_due, sent(LISTING_BOTH, step="overdue_1"))


def test_an_overdue_reminder_listing_only_what_is_due_is_not_counted() -> None:
    assert not check(rules.lists_not_yet_due, sent(LISTING_DUE, step="overdue_1"))


def test_an_sms_total_including_an_invoice_not_yet_due_is_counted() -> None:
    text = "Rossi: DIFFIDA. Insoluto 700,00 € da 53 giorni. Paghi entro 15 giorni."
    assert check(rules.lists_not_yet_due, sent(text, step="final_notice", channel="sms"))
    honest = "Rossi: DIFFIDA. Insoluto 500,00 € da 53 giorni. Paghi entro 15 giorni."
    assert not check(rules.lists_not_yet_due, sent(honest, step="final_notice", channel="sms"))


def test_invoices_in_a_labelled_coming_due_line_are_allowed() -> None:
    text = LISTING_DUE + "\nIn scadenza:\n- fattura SIM-26-000002, scadenza 10 dic 2026: 200,00 €"
    assert not check(rules.lists_not_yet_due, sent(text, step="overdue_2"))


def test_a_courtesy_reminder_may_list_what_is_not_yet_due() -> None:
    assert not check(rules.lists_not_yet_due, sent(LISTING_BOTH, step="courtesy"))


def test_an_invoice_due_on_the_day_of_a_due_today_reminder_is_due() -> None:
    today = invoice(3, dt.date(2026, 11, 23), 30_000)
    facts = DebtorFacts(7, "Europe/Rome", invoices=(today,))
    text = "oggi scade:\n- fattura SIM-26-000003: 300,00 €\nTotale: 300,00 €"
    assert not check(rules.lists_not_yet_due, sent(text, step="due_today", facts=facts))


# --- claim 2: the history a message claims -------------------------------------------------


def test_a_first_message_claiming_a_third_reminder_is_counted() -> None:
    third = sent("è il nostro terzo sollecito", step="overdue_3")
    assert check(rules.first_claims_earlier, third)
    assert check(rules.ordinal_with_fewer, third)
    assert check(rules.claim_not_in_log, third)


def test_a_third_reminder_after_two_others_is_true() -> None:
    first = sent("primo", step="overdue_1", at=MONDAY_10 - dt.timedelta(days=14))
    second = sent("secondo sollecito", step="overdue_2", at=MONDAY_10 - dt.timedelta(days=7))
    third = sent("è il nostro terzo sollecito", step="overdue_3")
    earlier = [first, second]
    assert not check(rules.first_claims_earlier, third, earlier)
    assert not check(rules.ordinal_with_fewer, third, earlier)
    assert not check(rules.claim_not_in_log, third, earlier, log=[logged(m) for m in earlier])


def test_a_second_reminder_after_only_a_courtesy_one_claims_too_much() -> None:
    courtesy = sent("promemoria", step="courtesy", at=MONDAY_10 - dt.timedelta(days=9))
    second = sent("secondo sollecito", step="overdue_2")
    assert not check(rules.first_claims_earlier, second, [courtesy])
    assert check(rules.ordinal_with_fewer, second, [courtesy])


def test_a_claim_the_message_log_does_not_hold_is_counted() -> None:
    earlier = sent("primo", step="overdue_1", at=MONDAY_10 - dt.timedelta(days=14))
    second = sent("nonostante il nostro precedente sollecito", step="overdue_2")
    assert check(rules.claim_not_in_log, second, [earlier], log=[])
    assert not check(rules.claim_not_in_log, second, [earlier], log=[logged(earlier)])


# --- claim 3 and the calendar ------------------------------------------------------------


def test_a_reminder_while_a_plan_waits_for_staff_is_counted() -> None:
    pending = DebtorFacts(7, "Europe/Rome", invoices=(OVERDUE,), plan_pending_approval=True)
    assert check(rules.while_plan_pending, sent(LISTING_DUE, step="overdue_2", facts=pending))
    assert not check(rules.while_plan_pending, sent(LISTING_DUE, step="overdue_2"))


def test_a_plan_confirmation_on_a_saturday_is_counted_but_an_answer_is_not() -> None:
    saturday = rome(2026, 11, 28, 11)
    notice = sent("Piano approvato.", template="flows/plan/approved_by_staff.txt", at=saturday)
    assert check(rules.non_cadence_outside_hours, notice)
    wrote = journal(inbound=[(saturday - dt.timedelta(minutes=2), "telegram", "700000007")])
    assert not check(rules.non_cadence_outside_hours, notice, journal=wrote)


@pytest.mark.parametrize(
    ("at", "timezone", "outside"),
    [
        (rome(2026, 12, 8, 11), "Europe/Rome", True),  # Immacolata
        (rome(2026, 12, 24, 11), "Europe/Rome", False),  # Christmas Eve is a working day
        (rome(2027, 1, 6, 11), "Europe/Rome", True),  # Epiphany
        (rome(2026, 11, 24, 20), "Europe/Rome", True),  # night
        (rome(2026, 11, 24, 11), "Europe/Rome", False),
        (rome(2026, 11, 24, 11), "America/New_York", True),  # 05:00 in New York
    ],
)
def test_the_calendar_in_the_debtors_time_zone(
    at: dt.datetime, timezone: str, outside: bool
) -> None:
    facts = DebtorFacts(7, timezone, invoices=(OVERDUE,))
    closed = sent("Chiudiamo questa conversazione.", at=at, facts=facts)
    assert check(rules.non_cadence_outside_hours, closed) is outside
    reminder = sent(LISTING_DUE, step="overdue_1", at=at, facts=facts)
    assert check(rules.cadence_outside_hours, reminder) is outside


def test_a_fourth_proactive_message_in_a_week_is_over_the_cap() -> None:
    week = [sent("r", step="overdue_1", at=MONDAY_10 - dt.timedelta(days=d)) for d in (6, 4, 2)]
    notice = sent("Piano approvato.", template="flows/plan/approved_by_staff.txt")
    assert check(rules.proactive_over_cap, notice, week)
    assert not check(rules.proactive_over_cap, notice, week[1:])
    fourth = sent(LISTING_DUE, step="overdue_2")
    assert check(rules.cadence_over_cap, fourth, week)
    assert not check(rules.proactive_over_cap, fourth, week)  # counted once, as cadence
    assert not check(rules.cadence_over_cap, fourth, [*week[:2], notice])
    assert check(rules.proactive_over_cap, fourth, [*week[:2], notice])


# --- channels ------------------------------------------------------------------------------


def test_whatsapp_free_text_needs_the_debtor_to_have_written_within_24_hours() -> None:
    address = "+393470000007"
    message = sent("Chiudiamo.", channel="whatsapp", address=address, free_text=True)
    assert check(rules.whatsapp_outside_window, message)
    late = journal(inbound=[(MONDAY_10 - dt.timedelta(hours=25), "whatsapp", address)])
    assert check(rules.whatsapp_outside_window, message, journal=late)
    recent = journal(inbound=[(MONDAY_10 - dt.timedelta(hours=2), "whatsapp", address)])
    assert not check(rules.whatsapp_outside_window, message, journal=recent)
    template = sent("Chiudiamo.", channel="whatsapp", address=address, free_text=False)
    assert not check(rules.whatsapp_outside_window, template)


def test_whatsapp_without_a_recorded_opt_in_is_counted() -> None:
    assert check(rules.whatsapp_without_opt_in, sent("x", channel="whatsapp"))
    consented = DebtorFacts(7, "Europe/Rome", whatsapp_opted_in=True)
    assert not check(rules.whatsapp_without_opt_in, sent("x", channel="whatsapp", facts=consented))
    assert not check(rules.whatsapp_without_opt_in, sent("x", channel="sms"))


def test_an_sms_over_two_segments_is_counted() -> None:
    assert check(rules.sms_over_budget, sent("a" * 307, channel="sms"))
    assert not check(rules.sms_over_budget, sent("a" * 306, channel="sms"))
    assert check(rules.sms_over_budget, sent("a\u00a0" + "b" * 140, channel="sms"))


def test_plan_schedules_on_a_sunday_a_holiday_or_in_the_past_are_counted() -> None:
    def schedule(*days: str) -> Sent:
        rows = "\n".join(f"{n}. {day}: 100,00 €" for n, day in enumerate(days, start=1))
        return sent(f"Le rate:\n{rows}", template="flows/plan/approved.txt")

    assert check(rules.plan_on_rest_day, schedule("25 dic 2026", "25 gen 2027"))  # Christmas
    assert check(rules.plan_on_rest_day, schedule("27 dic 2026"))  # a Sunday
    assert not check(rules.plan_on_rest_day, schedule("28 dic 2026", "27 gen 2027"))
    assert check(rules.plan_first_past, schedule("20 nov 2026", "21 dic 2026"))
    assert not check(rules.plan_first_past, schedule("23 nov 2026", "23 dic 2026"))
    assert not check(rules.plan_on_rest_day, sent("27 dic 2026", template="flows/closed.txt"))
    latest = sent(
        "Scriva la data della prima rata, entro il 27 dic 2026.",
        template="flows/plan/first_date.txt",
    )
    assert not check(rules.plan_on_rest_day, latest)


# --- the good news -------------------------------------------------------------------------


def test_a_message_after_stop_is_counted_but_the_confirmation_is_not() -> None:
    stop = journal(stops=[(MONDAY_10 - dt.timedelta(days=1), "telegram", "700000007")])
    assert check(rules.after_opt_out, sent(LISTING_DUE, step="overdue_1"), journal=stop)
    confirm_at = MONDAY_10 - dt.timedelta(days=1) + dt.timedelta(minutes=1)
    confirmation = sent("Non riceverà più messaggi.", at=confirm_at)
    wrote = journal(
        inbound=[(MONDAY_10 - dt.timedelta(days=1), "telegram", "700000007")],
        stops=[(MONDAY_10 - dt.timedelta(days=1), "telegram", "700000007")],
    )
    assert not check(rules.after_opt_out, confirmation, journal=wrote)


def test_start_after_stop_allows_messages_again() -> None:
    address = ("telegram", "700000007")
    both = journal(stops=[(MONDAY_10 - dt.timedelta(days=3), *address)])
    both.starts.append((MONDAY_10 - dt.timedelta(days=1), *address))
    assert not check(rules.after_opt_out, sent(LISTING_DUE, step="overdue_1"), journal=both)


def test_a_second_reminder_needs_a_dunning_one_in_the_log() -> None:
    courtesy = sent("promemoria", step="courtesy", at=MONDAY_10 - dt.timedelta(days=9))
    second = sent("secondo sollecito", step="overdue_2")
    assert check(rules.claim_not_in_log, second, [courtesy], log=[logged(courtesy)])
    previous = sent("nonostante il nostro precedente sollecito", step="overdue_1")
    assert not check(rules.claim_not_in_log, previous, [courtesy], log=[logged(courtesy)])


def test_a_reminder_listing_an_invoice_in_a_plan_or_disputed_is_counted() -> None:
    in_plan = DebtorFacts(7, "Europe/Rome", invoices=(OVERDUE,), active_plan_invoice_ids={1})
    assert check(rules.lists_covered, sent(LISTING_DUE, step="overdue_1", facts=in_plan))
    disputed = invoice(1, dt.date(2026, 10, 1), 50_000, status="disputed")
    facts = DebtorFacts(7, "Europe/Rome", invoices=(disputed,))
    assert check(rules.lists_covered, sent(LISTING_DUE, step="overdue_1", facts=facts))
    assert not check(rules.lists_covered, sent(LISTING_DUE, step="overdue_1"))


def test_the_report_counts_each_row_with_examples() -> None:
    messages = [
        sent(LISTING_BOTH, step="overdue_3"),
        sent(LISTING_DUE, step="overdue_1", at=MONDAY_10 + dt.timedelta(days=1)),
        sent("staff", debtor_id=None, facts=None),
    ]
    report = audit(messages, [logged(m) for m in messages[:2]], Journal(), POLICY)
    assert report["counters"]["overdue_reminder_lists_not_yet_due"] == 1
    assert report["examples"]["overdue_reminder_lists_not_yet_due"][0]["id"] == messages[0].id
    assert set(report["counters"]) == set(rules.ROWS)
    assert report["totals"] == {
        "debtor_messages": 2,
        "cadence_reminders": 2,
        "proactive_non_cadence": 0,
        "staff_messages": 1,
    }
    assert (FACTS.invoice(NOT_YET_DUE.number), FACTS.invoice("SIM-26-999999")) == (
        NOT_YET_DUE,
        None,
    )
