"""Issue 14, item 10: every template rendered into docs/messages.md, which must be current, and
what the rendered texts must never contain."""

from __future__ import annotations

import re

import pytest

from bot.review import REVIEW_FILE, all_templates, build_review, render_review


@pytest.fixture(scope="module")
def review_text() -> str:
    return render_review()


def test_the_checked_in_review_file_is_current(review_text: str) -> None:
    assert REVIEW_FILE.read_text(encoding="utf-8") == review_text, (
        "docs/messages.md is not current: run `python -m bot texts review` and read the diff"
    )


def test_every_template_in_both_languages_is_rendered() -> None:
    assert sorted(all_templates() - build_review().rendered) == []


def _blocks(text: str) -> list[str]:
    return re.findall(r"```text\n(.*?)\n```", text, flags=re.S)


# Abbreviations whose inner periods are not sentence ends.
_ABBREVIATIONS = re.compile(
    r"S\.r\.l\.|S\.p\.A\.|S\.n\.c\.|D\.Lgs\.|Dott\.ssa|n\. \d|no\. \d|e\.g\.|ecc\.|"
    r"https?://\S+|[\w.+-]+@[\w.-]+|\d+[.,]\d+|python -m bot \S+( \S+)?"
)


def test_no_text_joins_two_sentences_or_doubles_a_period(review_text: str) -> None:
    for block in _blocks(review_text):
        text = _ABBREVIATIONS.sub(" ", block)
        assert not re.search(r"[a-zà-ù\d][.!?;)][A-Z(]", text), block
        assert not re.search(r"[^.]\.\.(?!\.)", block), block  # "S.r.l.." and the like


def test_the_italian_is_formal_and_the_dates_written_in_full(review_text: str) -> None:
    blocks = _blocks(review_text)
    for block in blocks:
        # No informal "tu" forms addressed to the debtor, no abbreviated month in running text.
        assert not re.search(r"\b(tua|tuo|tuoi|tue|inquadra|scrivi|hai pagato)\b", block), block
        assert not re.search(
            r"\b\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) \d{4}", block
        ), block
        assert "di la " not in block and "Insoluto la" not in block, block
    assert "15 settembre 2026" in review_text or "9 ottobre 2026" in review_text


def test_no_e_mail_invites_a_reply_by_e_mail(review_text: str) -> None:
    lowered = review_text.lower()
    for phrase in (
        "rispondere a questa e-mail",
        "risponda a questa e-mail",
        "reply to this e-mail",
        "reply to this email",
        "rispondere a questa email",
    ):
        assert phrase not in lowered
