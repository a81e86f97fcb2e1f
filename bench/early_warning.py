"""Issue 16's early warning, measured: how many days before the 60-day mark a deteriorating debtor
is flagged, and how often a stable debtor is flagged by mistake.

    python bench/early_warning.py                          # 800 stable + 200 deteriorating, seed 16
    python bench/early_warning.py --stable 200 --deteriorating 50 --seed 3

The history is bench/early_warning_history.py's (two years a debtor, deteriorating ones turning in
the second). The second year is replayed a business day at a time (the company calendar of
policy.toml): each morning every debtor's facts as known then go through bot/credit/warning.py's
`assess` and `fresh` (no repeat of a debtor and signal within 7 days), as the daily job does. A
flag is a debtor named in that morning's staff message.

The last line of stdout is the JSON report: the lead time (days from the first flag after the
onset to the 60-day mark: median, p10, p90), the share of deteriorating debtors not flagged before
their mark, the share of stable debtors flagged at least once and the flags per stable
debtor-year, and which signal raised each first flag.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from early_warning_history import DAYS, START, History, generate  # noqa: E402

from bot.credit.warning import SignalKind, assess, fresh  # noqa: E402
from bot.policy import load_policy  # noqa: E402
from scheduler.calendar import is_business_day  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stable", type=int, default=800)
    parser.add_argument("--deteriorating", type=int, default=200)
    parser.add_argument("--seed", type=int, default=16)
    return parser.parse_args()


def replay(
    histories: list[History], days: list[dt.date], grace: int
) -> dict[int, list[tuple[dt.date, list[SignalKind]]]]:
    """Each debtor's flags over `days`: the morning and the signals named."""
    flags: dict[int, list[tuple[dt.date, list[SignalKind]]]] = {h.debtor_id: [] for h in histories}
    last: dict[tuple[int, SignalKind], dt.date] = {}
    for today in days:
        warnings = [w for h in histories if (w := assess(h.facts(today), today, grace))]
        for warning in fresh(warnings, last, today):
            kinds = [s.kind for s in warning.signals]
            flags[warning.debtor_id].append((today, kinds))
            for kind in kinds:
                last[(warning.debtor_id, kind)] = today
    return flags


def percentile(values: list[int], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(share * len(ordered)))])


def measure(
    histories: list[History], flags: dict[int, list[tuple[dt.date, list[SignalKind]]]], years: float
) -> dict[str, object]:
    leads: list[int] = []
    by_kind: dict[str, list[int]] = {"gradual": [], "sudden": []}
    missed = 0
    first_signals: Counter[str] = Counter()
    measured = 0
    for h in histories:
        mark = h.mark()
        if h.onset is None or mark is None:
            continue
        measured += 1
        before = [(day, kinds) for day, kinds in flags[h.debtor_id] if h.onset <= day < mark]
        if not before:
            missed += 1
            continue
        day, kinds = before[0]
        leads.append((mark - day).days)
        by_kind[h.kind].append((mark - day).days)
        first_signals.update(k.value for k in kinds)
    stable = [h for h in histories if h.onset is None]
    stable_flags = [flags[h.debtor_id] for h in stable]
    false_signals: Counter[str] = Counter(
        k.value for debtor in stable_flags for _, kinds in debtor for k in kinds
    )
    return {
        "deteriorating_measured": measured,
        "lead_days_median": statistics.median(leads) if leads else None,
        "lead_days_p10": percentile(leads, 0.10),
        "lead_days_p90": percentile(leads, 0.90),
        "lead_days_median_by_kind": {
            kind: statistics.median(days) if days else None for kind, days in by_kind.items()
        },
        "deteriorating_by_kind": {kind: len(days) for kind, days in by_kind.items()},
        "never_flagged_before_mark_share": round(missed / measured, 3) if measured else None,
        "first_flag_signals": dict(first_signals),
        "stable_debtors": len(stable),
        "stable_flagged_share": round(sum(1 for f in stable_flags if f) / len(stable), 3)
        if stable
        else None,
        "flags_per_stable_debtor_year": round(
            sum(len(f) for f in stable_flags) / (len(stable) * years), 3
        )
        if stable
        else None,
        "false_alarm_signals": dict(false_signals),
    }


def main() -> int:
    args = arguments()
    started = time.perf_counter()
    policy = load_policy(ROOT / "policy.toml")
    histories = generate(args.seed, args.stable, args.deteriorating)
    first = START + dt.timedelta(days=365)
    days = [
        day
        for n in range(DAYS - 365)
        if is_business_day(day := first + dt.timedelta(days=n), policy)
    ]
    print(
        f"replaying {len(days)} business days from {first} for {len(histories)} debtors",
        file=sys.stderr,
    )
    flags = replay(histories, days, policy.instalments.grace_days)
    report: dict[str, object] = {
        "seed": args.seed,
        "stable": args.stable,
        "deteriorating": args.deteriorating,
        "replayed_from": first.isoformat(),
        "business_days": len(days),
        **measure(histories, flags, (DAYS - 365) / 365),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
