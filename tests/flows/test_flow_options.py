"""Reply options: stable keys, labels from templates in both languages (rendered at the edge),
words from the vocabulary, reading typed answers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.base import Option
from bot.conversations.replies import label_words, rendered_options
from bot.flows import options as opt
from bot.flows import vocabulary
from bot.flows.vocabulary import fold
from bot.texts import TEMPLATES_DIR

MENU_KEYS = ["pay_now", "instalments", "promise", "already_paid", "dispute", "talk_to_person"]


def labelled(choices: tuple[opt.Choice, ...], language: str) -> dict[str, str]:
    return {o.key: o.label for o in rendered_options(choices, language)}


def match(text: str, options: tuple[opt.Choice, ...], language: str) -> opt.Choice | None:
    return opt.match_option(text, options, label_words(language))


def test_every_reminder_offers_the_six_options_in_a_stable_order() -> None:
    plain = opt.reminder_options()
    assert [o.key for o in plain] == [*MENU_KEYS, "bank_details"]
    with_discount = opt.reminder_options(discount=True)
    assert [o.key for o in with_discount] == [*MENU_KEYS, "discount", "bank_details"]


def test_labels_come_from_templates_in_each_language() -> None:
    italian = labelled(opt.reminder_options(discount=True), "it")
    english = labelled(opt.reminder_options(discount=True), "en")
    assert italian["pay_now"] == "Paga ora"
    assert english["pay_now"] == "Pay now"
    assert english["promise"] == "I'll pay on…"
    assert all(italian[key] != english[key] for key in MENU_KEYS)
    [three] = rendered_options((opt.plan_count_option(3),), "it")
    [six] = rendered_options((opt.plan_count_option(6),), "en")
    assert (three, six) == (Option("plan_3", "3 rate"), Option("plan_6", "6 instalments"))


def test_every_option_has_its_label_in_both_languages_and_words_in_the_vocabulary() -> None:
    italian = {p.name for p in (TEMPLATES_DIR / "it" / "flows" / "options").iterdir()}
    english = {p.name for p in (TEMPLATES_DIR / "en" / "flows" / "options").iterdir()}
    assert italian == english
    keys = [v for k, v in vars(opt).items() if k.isupper() and isinstance(v, str)]
    keys = [k for k in keys if not k.endswith(("_", ":"))]
    for key in keys:
        for language in ("it", "en"):
            assert (TEMPLATES_DIR / language / "flows" / "options" / f"{key}.txt").is_file(), key
            assert vocabulary.written_option_words(key, language), (key, language)
    # Every option but an invoice (chosen by its number) has words; none has words alone.
    labelled_templates = {name.removesuffix(".txt") for name in italian}
    assert set(vocabulary.OPTION_WORDS) == labelled_templates - {"invoice"}


@pytest.mark.parametrize(
    ("text", "language", "key"),
    [
        ("Paga ora", "it", "pay_now"),
        ("PAGA", "it", "pay_now"),
        ("pagà", "it", "pay_now"),
        ("pay now", "it", "pay_now"),
        ("Pay now", "en", "pay_now"),
        (" 1. ", "it", "pay_now"),
        ("1", "en", "pay_now"),
        ("pay_now", "it", "pay_now"),
        ("  pay-now!! ", "en", "pay_now"),
        ("2", "it", "instalments"),
        ("rate", "it", "instalments"),
        ("Piano di rientro", "it", "instalments"),
        ("instalments", "it", "instalments"),
        ("installments", "en", "instalments"),
        ("I'll pay on…", "en", "promise"),
        ("pagherò", "it", "promise"),
        ("PAGHERO", "it", "promise"),
        ("Ho già pagato", "it", "already_paid"),
        ("gia' pagato", "it", "already_paid"),
        ("already paid", "it", "already_paid"),
        ("5", "it", "dispute"),
        ("contesto", "it", "dispute"),
        ("Dispute", "en", "dispute"),
        ("operatore", "it", "talk_to_person"),
        ("talk to a person", "it", "talk_to_person"),
        ("IBAN", "it", "bank_details"),
        ("bank transfer", "en", "bank_details"),
        ("3 Pagherò il…", "it", "promise"),
    ],
)
def test_match_option_reads_numbers_keys_labels_and_keywords(
    text: str, language: str, key: str
) -> None:
    options = opt.reminder_options()
    found = match(text, options, language)
    assert found is not None and found.key == key


def test_the_discount_is_chosen_by_its_words_only_when_offered() -> None:
    assert match("sconto", opt.reminder_options(), "it") is None
    found = match("sconto", opt.reminder_options(discount=True), "it")
    assert found is not None and found.key == "discount"
    # Numbers follow what was shown: 7 is the discount when offered, the bank details otherwise.
    assert match("7", opt.reminder_options(), "it").key == "bank_details"  # type: ignore[union-attr]
    assert match("7", opt.reminder_options(discount=True), "it").key == "discount"  # type: ignore[union-attr]


def test_numbers_are_positions_and_words_of_counts_are_counts() -> None:
    counts = tuple(opt.plan_count_option(n) for n in (2, 3, 6))
    assert match("2", counts, "it").key == "plan_3"  # type: ignore[union-attr]
    assert match("2 rate", counts, "it").key == "plan_2"  # type: ignore[union-attr]
    assert match("in 6 rate", counts, "it").key == "plan_6"  # type: ignore[union-attr]
    assert match("6 instalments", counts, "it").key == "plan_6"  # type: ignore[union-attr]
    assert match("4", counts, "it") is None
    assert match("0", counts, "it") is None
    assert match("999999999999", counts, "it") is None
    assert opt.plan_count_of("plan_6") == 6
    assert opt.plan_count_of("plan_x") is None
    assert opt.plan_count_of("pay_now") is None


def test_a_number_that_disagrees_with_the_words_is_read_by_the_words() -> None:
    options = opt.reminder_options()
    assert match("1 contesta", options, "it").key == "dispute"  # type: ignore[union-attr]


def test_ambiguous_or_unknown_answers_choose_nothing() -> None:
    both = (opt.option(opt.YES), opt.option(opt.ACCEPT))
    assert match("ok", both, "it") is None  # a keyword of both
    assert match("Sì, confermo", both, "it").key == "yes"  # type: ignore[union-attr]
    options = opt.reminder_options()
    for text in ("", "   ", "ciao", "paga ora per favore subito", "🙂", "?", "...", "0", "-1"):
        assert match(text, options, "it") is None, text
    assert match("1", (), "it") is None


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert fold("  PAGÀ ora!! ") == "paga ora"
    assert fold("I'll pay on…") == "i ll pay on"
    assert fold(" 1. ") == "1"
    assert fold("\u202e\u0645\u0631\u062d\u0628\u0627") == "\u0645\u0631\u062d\u0628\u0627"


@settings(max_examples=800, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.text(min_size=1, max_size=8).map(lambda s: (s * 4000)[:4000]),
        st.sampled_from(["\x00\x1b[31m1", "1\u200f", "\u202e1", "🙂" * 500, "1" * 4000, "٣"]),
    ),
    language=st.sampled_from(["it", "en", "fr", ""]),
    discount=st.booleans(),
)
def test_match_option_never_fails_and_only_returns_offered_options(
    text: str, language: str, discount: bool
) -> None:
    options = opt.reminder_options(discount=discount)
    found = match(text, options, language)
    assert found is None or found in options
