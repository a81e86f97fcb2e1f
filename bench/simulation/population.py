"""The simulated population: debtors, their contact points and invoices, and what each will do.

Drawn from one seeded random.Random, so a seed gives the same population every time. Rows go in
through the ORM (bulk), as an import would leave them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from bot.models import Channel, ContactPoint, Debtor, Invoice

ZONES = (
    ("Europe/Rome", 75),
    ("Europe/London", 8),
    ("America/New_York", 7),
    ("Asia/Dubai", 5),
    ("Europe/Berlin", 5),
)
# What a debtor does when a reminder reaches a chat it can answer on (e-mail only: pay or not).
BEHAVIOURS = (
    ("silent", 28),
    ("pays", 26),
    ("promise", 13),
    ("plan", 14),
    ("dispute", 9),
    ("stop", 7),
    ("pays_late", 3),
)
NAMES = (
    "Rossi",
    "Bianchi & Figli",
    "Ferrari Costruzioni",
    "Studio Tecnico Associato Esposito",
    "Colombo Trasporti",
    "Ricci Alimentari",
    "Marino Impianti Elettrici",
    "Greco",
    "Bruno Logistica Integrata",
    "Gallo Arredamenti",
)
FORMS = ("S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.", "Ltd", "")
SHARED_PHONE_SHARE = 0.06  # debtors whose phone is an accountant's, shared with the next debtor


@dataclass
class Person:
    """A debtor as the simulation knows it: who, how to reach, what it will do."""

    debtor_id: int
    behaviour: str
    language: str
    patience: int  # the reminder (1st, 2nd...) after which it acts
    chat: tuple[Channel, str] | None  # where it answers (None: e-mail only)
    keeps_promise: bool
    pays_instalments: bool
    plan_count: str  # "plan_2", "plan_3", "plan_6"
    gives_up_after: int | None  # turns after which it leaves a conversation unfinished
    reminders_seen: int = 0
    acted: bool = False
    done: bool = False  # stopped, or nothing left to do
    state: dict[str, object] = field(default_factory=dict)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], [weight for _, weight in table])[0]


def _name(rng: random.Random, index: int) -> str:
    form = rng.choice(FORMS)
    return f"{rng.choice(NAMES)} {index}" + (f" {form}" if form else "")


def _channels(rng: random.Random) -> list[Channel]:
    chosen = [
        channel
        for channel, share in (
            (Channel.TELEGRAM, 0.35),
            (Channel.WHATSAPP, 0.3),
            (Channel.SMS, 0.3),
            (Channel.EMAIL, 0.55),
        )
        if rng.random() < share
    ]
    return chosen or [Channel.EMAIL]


def _phone(index: int) -> str:
    return f"+39347{index:07d}"


async def create_population(
    rng: random.Random, count: int, start: dt.date, created: dt.datetime
) -> list[Person]:
    """`count` debtors with 1-4 invoices each, due from 95 days before `start` to 60 after."""
    debtors = [
        Debtor(
            external_ref=f"SIM{i:06d}",
            name=_name(rng, i),
            language="en" if rng.random() < 0.2 else "it",
            timezone=_weighted(rng, ZONES),
            created_at=created,
            updated_at=created,
        )
        for i in range(1, count + 1)
    ]
    await Debtor.bulk_create(debtors)
    stored = await Debtor.filter(external_ref__startswith="SIM").order_by("id")
    points: list[ContactPoint] = []
    invoices: list[Invoice] = []
    people: list[Person] = []
    shared: str | None = None
    for index, debtor in enumerate(stored, start=1):
        channels = _channels(rng)
        phone = shared or _phone(index)
        shared = _phone(index) if rng.random() < SHARED_PHONE_SHARE else None
        for priority, channel in enumerate(channels):
            points.append(_point(rng, debtor, channel, phone, priority, created))
        invoices.extend(_invoices(rng, debtor, start, created))
        chat = next(
            ((c, _address(debtor, c, phone)) for c in channels if c is not Channel.EMAIL), None
        )
        people.append(
            Person(
                debtor_id=debtor.id,
                behaviour=_weighted(rng, BEHAVIOURS),
                language=debtor.language,
                patience=rng.choice((1, 1, 2, 2, 3)),
                chat=chat,
                keeps_promise=rng.random() < 0.6,
                pays_instalments=rng.random() < 0.8,
                plan_count=rng.choice(("plan_2", "plan_3", "plan_3", "plan_6")),
                gives_up_after=rng.choice((None, None, None, 1, 2)),
            )
        )
    await ContactPoint.bulk_create(points)
    await Invoice.bulk_create(invoices)
    return people


def _address(debtor: Debtor, channel: Channel, phone: str) -> str:
    if channel is Channel.TELEGRAM:
        return str(700_000_000 + debtor.id)
    if channel is Channel.EMAIL:
        return f"amministrazione{debtor.id}@example.it"
    return phone


def _point(
    rng: random.Random,
    debtor: Debtor,
    channel: Channel,
    phone: str,
    priority: int,
    created: dt.datetime,
) -> ContactPoint:
    opted_in = channel is Channel.WHATSAPP and rng.random() < 0.65
    return ContactPoint(
        debtor_id=debtor.id,
        channel=channel,
        address=_address(debtor, channel, phone),
        is_pec=channel is Channel.EMAIL and rng.random() < 0.1,
        priority=priority,
        opted_in_at=created if opted_in else None,
        created_at=created,
    )


def _invoices(
    rng: random.Random, debtor: Debtor, start: dt.date, created: dt.datetime
) -> list[Invoice]:
    rows = []
    for k in range(rng.choice((1, 1, 2, 2, 3, 4))):
        due = start + dt.timedelta(days=rng.randint(-95, 60))
        amount = rng.choice((rng.randint(8_000, 90_000), rng.randint(90_000, 900_000)))
        rows.append(
            Invoice(
                number=f"SIM-26-{debtor.id * 10 + k:06d}",
                debtor_id=debtor.id,
                issue_date=due - dt.timedelta(days=30),
                due_date=due,
                amount_cents=amount,
                currency="EUR",
                created_at=created,
                updated_at=created,
            )
        )
    return rows
