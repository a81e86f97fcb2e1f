"""A synthetic payment history for the early warning: stable debtors and deteriorating ones.

Drawn from one seeded random.Random, so a seed gives the same history every time. Each debtor gets
an invoice a month for two years (due 30 days after issue) and pays each some days late; around
that, what the early warning reads: partial payments, reminders (at 3, 10, 20, 30, 45... days
overdue while unpaid) and the debtor's replies, promises to pay kept or broken, the instalments of
a payment plan. A stable debtor keeps its habits (with noise: a late invoice now and then, an
occasional broken promise, an instalment a few days late). A deteriorating one changes for the
worse from its `onset` in the second year, in one of two ways:
- "gradual": each invoice later than the one before (6-15 days more a month), smaller partial
  payments, replies dry up, promises broken, plan instalments late;
- "sudden": from the onset it stops paying altogether (and answering, for most).
Its "60-day mark" is the first day one of its invoices is 60 days overdue and still unpaid.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field

from bot.credit.lateness import Settled
from bot.credit.warning import DebtorFacts, DueInstalment, Partial

START = dt.date(2025, 1, 6)
DAYS = 730
TERMS_DAYS = 30
REMINDER_DAYS = (3, 10, 20, 30, 45, 60, 75, 90, 120)
MARK_DAYS = 60
NEVER = dt.date.max


@dataclass(frozen=True)
class Invoice:
    invoice_id: int
    due: dt.date
    amount_cents: int
    paid: dt.date  # the day the last payment closed it (NEVER: not in the history)


@dataclass(frozen=True)
class Promise:
    promised: dt.date
    broken: bool


@dataclass(frozen=True)
class PlanInstalment:
    due: dt.date
    amount_cents: int
    paid: dt.date


@dataclass
class History:
    debtor_id: int
    kind: str  # "stable", "gradual", "sudden"
    onset: dt.date | None
    invoices: list[Invoice] = field(default_factory=list)
    partials: list[Partial] = field(default_factory=list)
    replies: list[dt.date] = field(default_factory=list)
    reminders: list[dt.date] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    instalments: list[PlanInstalment] = field(default_factory=list)
    split: dict[int, Partial] = field(default_factory=dict)  # invoice id -> its partial payment

    @property
    def deteriorating(self) -> bool:
        return self.onset is not None

    def mark(self) -> dt.date | None:
        """The first day an invoice is `MARK_DAYS` overdue and still unpaid."""
        days = [
            i.due + dt.timedelta(days=MARK_DAYS)
            for i in self.invoices
            if (i.paid - i.due).days > MARK_DAYS
        ]
        return min(days) if days else None

    def index(self) -> None:
        """Sort each list by day, for `facts` to cut them with bisect."""
        self.invoices.sort(key=lambda i: i.due)
        self.partials.sort(key=lambda p: p.day)
        self.replies.sort()
        self.reminders = sorted(set(self.reminders))
        self.promises.sort(key=lambda p: p.promised)
        self._settled = sorted(
            (i for i in self.invoices if i.paid != NEVER), key=lambda i: (i.paid, i.invoice_id)
        )
        self._paid_days = [i.paid for i in self._settled]
        self._dues = [i.due for i in self.invoices]

    def facts(self, today: dt.date) -> DebtorFacts:
        """What the early warning knows on the morning of `today`."""
        settled = self._settled[: bisect.bisect_left(self._paid_days, today)]
        due_before = self.invoices[: bisect.bisect_left(self._dues, today)]
        cut = bisect.bisect_left([p.day for p in self.partials], today)
        return DebtorFacts(
            debtor_id=self.debtor_id,
            settled=[
                Settled(self.debtor_id, i.invoice_id, i.due, i.paid, i.amount_cents)
                for i in settled
            ],
            open_overdue=[i.due for i in due_before if i.paid >= today],
            partials=self.partials[:cut],
            broken_promises=[p.promised for p in self.promises if p.broken and p.promised < today],
            replies=self.replies[: bisect.bisect_left(self.replies, today)],
            reminders=self.reminders[: bisect.bisect_left(self.reminders, today)],
            instalments=[
                DueInstalment(i.due, i.amount_cents)
                for i in self.instalments
                if i.due < today <= i.paid
            ],
        )


@dataclass(frozen=True)
class Habits:
    base_late: float
    noise: float
    answers: float  # chance of a reply to a reminder
    partial_share: float | None  # the share of an invoice paid first (None: pays in full)
    promises: float  # chance a reply carries a promise


def _habits(rng: random.Random) -> Habits:
    return Habits(
        base_late=rng.uniform(-3, 15),
        noise=rng.uniform(2, 6),
        answers=0.75 if rng.random() < 0.5 else 0.08,
        partial_share=rng.uniform(0.4, 0.6) if rng.random() < 0.25 else None,
        promises=0.3,
    )


def _days_late(rng: random.Random, habits: Habits, months_worse: int, kind: str) -> int:
    if kind == "sudden" and months_worse >= 0:
        return DAYS  # never pays again
    late = rng.gauss(habits.base_late, habits.noise)
    if rng.random() < 0.04:
        late += rng.uniform(10, 25)  # a one-off: a holiday, a lost invoice
    late = min(late, 45)
    if kind == "gradual" and months_worse >= 0:
        late += (months_worse + 1) * rng.uniform(6, 15)
    return round(late)


def generate(seed: int, stable: int, deteriorating: int) -> list[History]:
    """`stable` + `deteriorating` debtors; deteriorating ones turn in the second year, early
    enough for their 60-day mark to fall inside the history."""
    rng = random.Random(seed)
    histories = []
    for n in range(stable + deteriorating):
        worse = n >= stable
        kind = "stable" if not worse else ("sudden" if rng.random() < 0.3 else "gradual")
        onset = START + dt.timedelta(days=rng.randint(400, DAYS - 200)) if worse else None
        history = History(n + 1, kind, onset)
        _invoices(rng, history, _habits(rng))
        _plan(rng, history)
        history.index()
        histories.append(history)
    return histories


def _invoices(rng: random.Random, history: History, habits: Habits) -> None:
    issue = START - dt.timedelta(days=TERMS_DAYS) + dt.timedelta(days=rng.randint(0, 27))
    n = 0
    while issue + dt.timedelta(days=TERMS_DAYS) < START + dt.timedelta(days=DAYS):
        n += 1
        due = issue + dt.timedelta(days=TERMS_DAYS)
        amount = round(rng.lognormvariate(13, 0.6))  # cents: a median of about 4.400 €
        worse_since = (due - history.onset).days // 30 if history.onset else -1
        late = _days_late(rng, habits, worse_since, history.kind)
        paid = due + dt.timedelta(days=late) if late < DAYS else NEVER
        history.invoices.append(Invoice(history.debtor_id * 1000 + n, due, amount, paid))
        _partials(rng, history, habits, history.invoices[-1], issue, worse_since)
        _contacts(rng, history, habits, due, paid, worse_since)
        issue += dt.timedelta(days=rng.randint(27, 33))


def _partials(
    rng: random.Random,
    history: History,
    habits: Habits,
    invoice: Invoice,
    issue: dt.date,
    worse_since: int,
) -> None:
    share = habits.partial_share
    if history.kind == "gradual" and worse_since >= 0:
        share = (share or 0.5) * 0.5 ** (worse_since + 1)  # smaller every month
    if share is None or invoice.paid == NEVER:
        return
    day = max(issue + dt.timedelta(days=5), invoice.paid - dt.timedelta(days=rng.randint(7, 20)))
    partial = Partial(day, round(invoice.amount_cents * share), invoice.amount_cents)
    history.partials.append(partial)
    history.split[invoice.invoice_id] = partial


def _contacts(
    rng: random.Random,
    history: History,
    habits: Habits,
    due: dt.date,
    paid: dt.date,
    worse_since: int,
) -> None:
    silent = worse_since >= 1 or (history.kind == "sudden" and worse_since >= 0)
    answers = habits.answers * (0.1 if silent and rng.random() < 0.8 else 1)
    for k in REMINDER_DAYS:
        day = due + dt.timedelta(days=k)
        if day >= paid:
            break
        history.reminders.append(day)
        if rng.random() >= answers:
            continue
        reply = day + dt.timedelta(days=rng.randint(0, 2))
        history.replies.append(reply)
        if rng.random() < habits.promises:
            promised = reply + dt.timedelta(days=rng.randint(3, 10))
            keeps = rng.random() < (0.3 if worse_since >= 0 else 0.95)
            if keeps and paid > promised:
                promised = min(paid, promised + dt.timedelta(days=30))
            history.promises.append(Promise(promised, paid > promised))


def _plan(rng: random.Random, history: History) -> None:
    """One debtor in six pays a plan of six monthly instalments in the second year."""
    if rng.random() >= 1 / 6:
        return
    first = START + dt.timedelta(days=rng.randint(365, DAYS - 180))
    for seq in range(6):
        due = first + dt.timedelta(days=30 * seq)
        worse = history.onset is not None and due >= history.onset
        late = rng.randint(2, 8) if worse else rng.choices([0, 1, 2, 3, 4], [85, 8, 3, 2, 2])[0]
        history.instalments.append(PlanInstalment(due, 50_000, due + dt.timedelta(days=late)))
