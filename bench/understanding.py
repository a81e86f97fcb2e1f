"""Benchmark: how well the understanding step reads the labelled corpus, and how fast.

    python bench/understanding.py [--corpus tests/data/understanding_corpus.txt] [--errors]

Reads every reply of the corpus (its "today" comes from the file, never the real date), asks
bot.flows.understanding.understand at the menu (options in the default order) and compares what
the step would do with the label: the intent it acts on, or "ask" when it asks back. Prints,
for the tuned part, the held-out part and both: intent accuracy, per-intent precision and recall,
date accuracy, dangerous actions (an opt-out, a promise, a plan, a payment claim or a wrong-
address report the person did not express, or a partial payment read as the whole), the
confusion table, and p95 milliseconds per message. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.flows.options import DISCOUNT, MENU_KEYS  # noqa: E402
from bot.flows.understanding import Understanding, understand  # noqa: E402
from bot.flows.understanding_words import RECORDING  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "understanding_corpus.txt"
ASK = "ask"
# The default menu of a reminder without the discount: what "1" ... "7" mean in the corpus.
MENU = tuple(key for key in MENU_KEYS if key != DISCOUNT)


@dataclass(frozen=True)
class Example:
    split: str
    intent: str
    language: str
    slots: dict[str, str]
    text: str


def load(path: Path = CORPUS) -> tuple[dt.date, list[Example]]:
    """The corpus's fixed "today" and its examples, each tagged with its section."""
    today: dt.date | None = None
    split = ""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# today:"):
            today = dt.date.fromisoformat(line.split(":", 1)[1].strip())
        elif line.strip() in ("[tune]", "[held_out]"):
            split = line.strip()[1:-1]
        elif line.strip() and not line.startswith("#"):
            intent, language, slots, text = line.split(" | ", 3)
            pairs = {} if slots == "-" else dict(s.split("=", 1) for s in slots.split(","))
            examples.append(Example(split, intent, language, pairs, text))
    if today is None:
        raise ValueError(f"{path}: no '# today:' line")
    return today, examples


def predicted(reading: Understanding) -> str:
    return str(reading.act) if reading.act is not None else ASK


def dangerous(example: Example, reading: Understanding) -> bool:
    """An action that records what the person did not say."""
    acted = predicted(reading)
    if acted in RECORDING and acted != example.intent:
        return True
    return acted == "already_paid" and "partial" in example.slots and not reading.slots.partial


def date_right(example: Example, reading: Understanding) -> bool:
    expected = example.slots["date"]
    got = reading.slots.date
    if expected == "none":
        return got is None
    return got is not None and got.isoformat() == expected


def _per_intent(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    labels = sorted({label for pair in pairs for label in pair})
    table = {}
    for label in labels:
        true_pos = sum(1 for e, p in pairs if e == label and p == label)
        predicted_n = sum(1 for _, p in pairs if p == label)
        expected_n = sum(1 for e, _ in pairs if e == label)
        table[label] = {
            "precision": round(true_pos / predicted_n, 3) if predicted_n else 0.0,
            "recall": round(true_pos / expected_n, 3) if expected_n else 0.0,
            "n": expected_n,
        }
    return table


def score(today: dt.date, examples: list[Example]) -> dict[str, object]:
    """The figures for `examples` (no timing: see main)."""
    pairs, dates, danger, errors = [], [], 0, []
    for example in examples:
        reading = understand(example.text, today, options=MENU)
        got = predicted(reading)
        pairs.append((example.intent, got))
        if "date" in example.slots:
            dates.append(date_right(example, reading))
        danger += dangerous(example, reading)
        if got != example.intent or ("date" in example.slots and not dates[-1]):
            day = reading.slots.date
            errors.append(f"{example.intent:>15} -> {got:<15} {day} | {example.text}")
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for expected, got in pairs:
        confusion[expected][got] += 1
    right = sum(1 for e, p in pairs if e == p)
    return {
        "messages": len(pairs),
        "intent_accuracy": round(right / len(pairs), 4) if pairs else 0.0,
        "date_accuracy": round(sum(dates) / len(dates), 4) if dates else 0.0,
        "dated_messages": len(dates),
        "dangerous_actions": danger,
        "per_intent": _per_intent(pairs),
        "confusion": {e: dict(c) for e, c in sorted(confusion.items())},
        "errors": errors,
    }


def p95_ms(today: dt.date, examples: list[Example], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        for example in examples:
            start = time.perf_counter()
            understand(example.text, today, options=MENU)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return round(timings[int(0.95 * (len(timings) - 1))], 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--errors", action="store_true", help="print every miss")
    args = parser.parse_args()
    today, examples = load(args.corpus)
    understand("warm up", today)  # compiles the patterns once, as a running process has
    result: dict[str, object] = {"today": today.isoformat()}
    for name in ("tune", "held_out"):
        part = score(today, [e for e in examples if e.split == name])
        errors = part.pop("errors")
        if args.errors:
            print(f"--- {name}: {len(errors)} misses", *errors, sep="\n")  # type: ignore[arg-type]
        part.pop("confusion")
        part.pop("per_intent")
        result[name] = part
    everything = score(today, examples)
    everything.pop("errors")
    result["all"] = everything
    languages = Counter(e.language for e in examples)
    result["italian_share"] = round(languages["it"] / len(examples), 3)
    result["p95_ms"] = p95_ms(today, examples, args.rounds)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
