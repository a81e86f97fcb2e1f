"""The understanding step, pure: a table of sentences, the date grammar, and the corpus goals.

Dates are read relative to TODAY (Wednesday 10 December 2025), never the real date.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.flows.dates_in_text import find_date
from bot.flows.understanding import clean, language_of, understand
from bot.flows.understanding_words import Intent

TODAY = dt.date(2025, 12, 10)
D = dt.date
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "act", "day"),
    [
        ("abbiamo pagato il 28 novembre", Intent.ALREADY_PAID, D(2025, 11, 28)),
        ("pago il 28 novembre", Intent.PROMISE, D(2025, 11, 28)),  # past: questioned, not moved
        ("pago il 27 quando prendo lo stipendio", Intent.PROMISE, D(2025, 12, 27)),
        ("domani faccio il bonifico", Intent.PROMISE, D(2025, 12, 11)),
        ("lunedì pago", Intent.PROMISE, D(2025, 12, 15)),
        ("dopo le feste", Intent.PROMISE, D(2026, 1, 7)),
        ("tra due settimane", Intent.PROMISE, D(2025, 12, 24)),
        ("fine mese", Intent.PROMISE, D(2025, 12, 31)),
        ("bonifico fatto ieri", Intent.ALREADY_PAID, D(2025, 12, 9)),
        ("I sent the transfer on Monday", Intent.ALREADY_PAID, D(2025, 12, 8)),
        ("on the 27th when I get paid", Intent.PROMISE, D(2025, 12, 27)),
        ("non ho ancora pagato, lo faccio martedì", Intent.PROMISE, D(2025, 12, 16)),
        ("non posso pagare adesso", Intent.CANNOT_PAY, None),
        ("non ho ancora pagato", Intent.OTHER, None),
        ("mandatemi l'IBAN", Intent.BANK_DETAILS, None),
        ("posso pagare a rate?", Intent.INSTALMENTS, None),
        ("vorrei pagare a rate", Intent.INSTALMENTS, None),  # a way of paying, not a pay link
        ("voglio pagare in 3 rate", Intent.INSTALMENTS, None),
        ("pago subito, mi mandate l'IBAN?", Intent.BANK_DETAILS, None),
        ("contesto la fattura", Intent.DISPUTE, None),
        ("voglio parlare con qualcuno", Intent.TALK_TO_PERSON, None),
        ("basta messaggi", Intent.STOP, None),
        ("il titolare è deceduto", Intent.WRONG_PERSON, None),
        ("chi siete?", Intent.WHO_ARE_YOU, None),
        ("buongiorno", Intent.GREETING, None),
        ("buongiorno, vorrei pagare subito", Intent.PAY_NOW, None),
        ("grazie 🙏", Intent.THANKS, None),
        ("siete dei ladri, vi pago lunedì", Intent.ABUSE, D(2025, 12, 15)),
        ("quanto devo?", Intent.STATEMENT, None),
        ("pagooo adesso", Intent.PAY_NOW, None),
        ("asdfgh", Intent.OTHER, None),
    ],
)
def test_what_a_sentence_says(text: str, act: Intent, day: dt.date | None) -> None:
    reading = understand(text, TODAY)
    assert reading.act == act
    assert reading.slots.date == day


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("stop a queste minacce ma pago lunedì", {Intent.STOP, Intent.PROMISE}),
        ("ho pagato metà e il resto lo pago il 20", {Intent.ALREADY_PAID, Intent.PROMISE}),
        ("forse pago lunedì", {Intent.PROMISE}),
    ],
)
def test_mixed_or_hedged_sentences_ask_and_record_nothing(text: str, choices: set) -> None:
    reading = understand(text, TODAY)
    assert reading.act is None
    assert set(reading.choices) == choices


def test_slots_of_plans_and_partial_payments() -> None:
    assert understand("possiamo fare in 3 rate?", TODAY).slots.count == 3
    assert understand("posso darvi 200 euro al mese", TODAY).slots.amount_cents == 20_000
    partial = understand("ho pagato metà", TODAY)
    assert partial.act == Intent.ALREADY_PAID and partial.slots.partial
    assert understand("ho già pagato", TODAY).slots.partial is False
    reason = understand("l'importo è sbagliato", TODAY).slots.dispute_reason
    assert reason == "dispute_wrong_amount"


def test_a_number_alone_is_the_option_shown_with_it() -> None:
    options = ("pay_now", "instalments", "promise")
    assert understand("2", TODAY, options=options).act == Intent.INSTALMENTS
    assert understand("42", TODAY, options=options).act == Intent.OTHER


@pytest.mark.parametrize(
    ("text", "language"),
    [("I want to pay now", "en"), ("vorrei pagare adesso", "it"), ("ok", None), ("1", None)],
)
def test_the_language_written_in(text: str, language: str | None) -> None:
    assert language_of(text) == language


@pytest.mark.parametrize(
    ("text", "prefer", "day"),
    [
        ("15/12", "future", D(2025, 12, 15)),
        ("28/11", "nearest", D(2025, 11, 28)),
        ("giovedi 18", "future", D(2025, 12, 18)),
        ("thursday next week", "future", D(2025, 12, 18)),
        ("venerdi", "past", D(2025, 12, 5)),
        ("a gennaio", "future", D(2026, 1, 31)),
        ("meta gennaio", "future", D(2026, 1, 15)),
        ("la settimana scorsa", "past", None),
        ("posso darvi 200 euro al mese", "future", None),
        ("in 3 rate", "future", None),
    ],
)
def test_dates_found_anywhere(text: str, prefer: str, day: dt.date | None) -> None:
    assert find_date(clean(text), TODAY, prefer) == day  # type: ignore[arg-type]


def test_any_text_is_read_without_raising() -> None:
    for text in ("", " ", "x" * 10_000, "🙂", "-3", "32/13", "\x00\x07"):
        reading = understand(text, TODAY)
        assert reading.act is not None or reading.choices


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_understanding", ROOT / "bench" / "understanding.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("part", ["tune", "held_out"])
def test_the_corpus_goals(part: str) -> None:
    """≥ 92% intents, ≥ 95% dates, no dangerous action, on each part of the corpus."""
    bench = _bench()
    today, examples = bench.load()
    chosen = [example for example in examples if example.split == part]
    figures = bench.score(today, chosen)
    assert figures["dangerous_actions"] == 0, figures["errors"]
    assert figures["intent_accuracy"] >= 0.92, figures["errors"]
    assert figures["date_accuracy"] >= 0.95, figures["errors"]


def test_the_corpus_is_what_the_issue_asks() -> None:
    _, examples = _bench().load()
    italian = sum(1 for example in examples if example.language == "it")
    assert len(examples) >= 400 and italian / len(examples) >= 0.6
    assert {example.intent for example in examples} >= {str(i) for i in Intent}
