"""Benchmark: conversation steps per second (the pure state machine, rendering included).

    python bench/flow_steps.py --steps 20000

Drives conversations through every flow with a fixed mix of inputs (options by number and by
words, dates, junk, 4,000-character texts), renders every reply as the engine would, and prints
a JSON object as its last line: steps, seconds, steps per second, median and 99th percentile
milliseconds per step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversations.replies import label_words, render_reply  # noqa: E402
from bot.flows.context import FlowContext, Input, OpenInvoice  # noqa: E402
from bot.flows.states import initial_state, step  # noqa: E402
from bot.policy import load_policy  # noqa: E402

SCRIPT = [
    Input(text="ciao"),
    Input(text="2"),
    Input(text="3 rate"),
    Input(text="no"),
    Input(option="plan_first_date"),
    Input(text="il 15"),
    Input(text="1"),
    Input(text="sì"),
    Input(text="pagherò venerdì"),
    Input(text="x" * 4000),
    Input(text="promessa"),
    Input(text="fine mese"),
    Input(text="ho già pagato"),
    Input(text="ieri"),
    Input(option="skip"),
    Input(text="contesto"),
    Input(text="4"),
    Input(text="2"),
    Input(text="La merce è arrivata rotta"),
    Input(text="🙂"),
    Input(option="invoice:OTHER-1"),
    Input(text="paga ora"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20000)
    args = parser.parse_args()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    ctx = FlowContext(
        language="it",
        invoices=(
            OpenInvoice("FT-1", 123_456, dt.date(2026, 10, 1)),
            OpenInvoice("FT-2", 50_000, dt.date(2026, 11, 1)),
        ),
        policy=load_policy(ROOT / "policy.toml"),
        today=now.date(),
        now=now,
        discount_offered=True,
        label_words=label_words("it"),
    )
    state = initial_state()
    durations = []
    started = time.perf_counter()
    for index in range(args.steps):
        begin = time.perf_counter()
        outcome = step(state, SCRIPT[index % len(SCRIPT)], ctx)
        for reply in outcome.replies:
            render_reply(reply, ctx.language, {"pay_url": "https://example/pay/x"})
        state = outcome.new_state
        durations.append(time.perf_counter() - begin)
    seconds = time.perf_counter() - started
    durations.sort()
    print(
        json.dumps(
            {
                "steps": args.steps,
                "seconds": round(seconds, 3),
                "steps_per_second": round(args.steps / seconds),
                "median_ms": round(statistics.median(durations) * 1000, 3),
                "p99_ms": round(durations[int(len(durations) * 0.99)] * 1000, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
