"""docs/credit-score.md says what the code computes: its table of parts is the code's, and its
worked example is the card the code renders for the same history."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot.credit.card import build_card, render_card
from bot.credit.exposure import Exposure
from bot.credit.lateness import Settled, weight
from bot.credit.score import (
    COUNTED,
    DAYS_LATE_MAX,
    DAYS_PER_POINT,
    NEUTRAL_POINTS,
    SHARE_MAX,
    TREND_DAYS_PER_POINT,
    TREND_MAX,
    Facts,
    score,
)
from bot.models import Debtor
from bot.policy_credit import DEFAULT_BANDS, Credit

DOC = (Path(__file__).resolve().parents[2] / "docs" / "credit-score.md").read_text("utf-8")
TODAY = dt.date(2026, 11, 25)
COUNTED_LABELS = {
    "broken_promises": "broken promises to pay",
    "lapsed_plans": "lapsed payment plans",
    "disputes": "disputes not settled in the debtor's favour",
    "failed_payments": "failed (bounced) payments",
    "partial_payments": "invoices paid in parts",
    "unreachable_points": "unreachable contact points",
    "written_off": "invoices written off",
}


def test_the_table_of_parts_is_the_codes() -> None:
    for name, each, most in COUNTED:
        assert f"| {COUNTED_LABELS[name]} | {each} each | {most} |" in DOC
    assert f"| 1 per {DAYS_PER_POINT} days | {DAYS_LATE_MAX} |" in DOC
    assert f"| 1 per {TREND_DAYS_PER_POINT} days | {TREND_MAX} |" in DOC
    assert f"| share of settled invoices paid late | {SHARE_MAX} x share | {SHARE_MAX} |" in DOC
    assert f"neutral {NEUTRAL_POINTS} points" in DOC
    limits = ", ".join(f"{band.name} up to {band.up_to}" for band in DEFAULT_BANDS[:3])
    assert f"The example policy: {limits}" in DOC


def test_the_worked_example_is_what_the_code_computes() -> None:
    rows = re.findall(
        r"^\| (\d{4}-\d\d-\d\d) \| (\d{4}-\d\d-\d\d) \| (\d+) \| (\d+) \| ([\d.]+) \|$", DOC, re.M
    )
    assert len(rows) == 4
    settled = []
    for number, (due, paid, late, age, shown) in enumerate(rows, start=1):
        entry = Settled(1, number, dt.date.fromisoformat(due), dt.date.fromisoformat(paid), 1)
        assert entry.days_late == int(late) and (TODAY - entry.due).days == int(age)
        assert f"{weight(entry.due, TODAY):.4f}" == shown
        settled.append(entry)
    facts = Facts(settled=tuple(settled), broken_promises=1, failed_payments=1)
    result = score(facts, TODAY, Credit())
    assert f"Total 10 + 15 + 7 + 5 + 5 = **{result.points}**: band {result.band}." in DOC
    debtor = Debtor(id=1, name="Rossi S.r.l.", external_ref="C001", credit_limit_cents=500_000)
    card = build_card(debtor, Exposure(400_000, 150_050, 2), facts, TODAY, Credit())
    shown_card = DOC.split("```text\n")[1].split("\n```")[0]
    assert render_card(card, "en").replace("\xa0", " ") == shown_card
