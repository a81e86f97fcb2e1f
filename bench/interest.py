"""Benchmark: the pure interest reckoning (bot/escalation/interest.py) over N random invoices.

    python bench/interest.py --invoices 100000

Each invoice is 0.01-10,000.00 €, due between 2015 and 2025, with 0-4 partial payments, claimed
on 31 March 2026 at the statutory rate with the €40 (a claim spans up to 22 half-years). Times
`build_claim` over all of them in claims of 10 invoices, and prints a JSON object as its last line:
seconds, invoices per second, the total interest (a check figure: the same seed gives the same
total).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.escalation.interest import OpenInvoice, Paid, build_claim
from bot.escalation.rates import default_rates
from bot.policy_interest import Interest

AS_OF = dt.date(2026, 3, 31)


def invoices(count: int, seed: int) -> list[OpenInvoice]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        due = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365))
        owed = rng.randrange(1, 1_000_000)
        payments = tuple(
            Paid(due + dt.timedelta(days=rng.randrange(-10, 800)), rng.randrange(1, owed + 1) // 4)
            for _ in range(rng.randrange(5))
        )
        made.append(OpenInvoice(number, f"F-{number}", due, "EUR", owed, payments))
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    data = invoices(args.invoices, args.seed)
    rates = default_rates()
    policy = Interest(basis="statutory", compensation=True)
    started = time.perf_counter()
    total = 0
    for first in range(0, len(data), 10):
        claim = build_claim(1, AS_OF, True, None, data[first : first + 10], policy, rates)
        total += claim.interest_cents
    seconds = time.perf_counter() - started
    print(json.dumps({
        "invoices": args.invoices,
        "seconds": round(seconds, 3),
        "invoices_per_second": round(args.invoices / seconds),
        "interest_cents_total": total,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
