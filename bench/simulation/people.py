"""What the simulated people do: debtors answer reminders in chat (buttons on Telegram, numbers
on SMS and WhatsApp), pay by the link they were sent, promise, dispute, ask for plans, say STOP;
staff decide plans and disputes in working hours. Every act goes through the product's own entry
points: bot.receive.receive, the pay link's sandbox checkout, bot.decisions."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays

from bot.channels.base import OutgoingMessage
from bot.flows.vocabulary import written_option_words
from bot.models import Channel
from simulation.facts import Sent
from simulation.population import Person

PAY_LINK = re.compile(r"https?://\S+/pay/[A-Za-z0-9_\-]+")
ROME = ZoneInfo("Europe/Rome")
_ITALY = holidays.country_holidays("IT")

# The buttons each intention presses, in order; "invoice:*" is the first invoice offered.
SCRIPTS = {
    "promise": ("promise", "promise_end_of_month|promise_next_friday|promise_in_3_days", "yes"),
    "plan": ("instalments", "{plan_count}", "yes"),
    "dispute": ("dispute", "dispute_wrong_amount", "dispute_all_invoices|invoice:*", "no_details"),
}
CONFIRMATIONS = ("yes", "accept")


@dataclass(frozen=True)
class Turn:
    """One thing a person sends: a button pressed (Telegram) or a text typed."""

    chosen_option: str = ""
    text: str = ""


def keyword(key: str, language: str) -> str:
    """The first word that chooses `key` when typed (bot/flows/vocabulary.toml `[options]`)."""
    words = written_option_words(key, language)
    return words[0].strip() if words else key


def _wanted(script_key: str, person: Person) -> list[str]:
    return script_key.format(plan_count=person.plan_count).split("|")


def choose(
    person: Person, used: frozenset[int], channel: Channel, last: OutgoingMessage | None
) -> tuple[Turn | None, frozenset[int]]:
    """The next turn of the person's script against the last message it got, and the script
    steps used after it.

    The first step of the script the message offers is pressed, whatever the flow's order; a
    confirmation offered mid-script is accepted; a first step not offered as a button is typed as
    a keyword; when nothing the person wants is offered, the conversation ends (None)."""
    script = SCRIPTS[person.behaviour]
    offered = [option.key for option in last.options] if last else []
    for step, alternatives in enumerate(script):
        if step in used:
            continue
        for wanted in _wanted(alternatives, person):
            prefix = wanted.removesuffix("*")
            key = next((k for k in offered if k == wanted or _prefixed(k, wanted, prefix)), None)
            if key is not None:
                return press(key, offered, channel), used | {step}
    if used:
        confirm = next((k for k in CONFIRMATIONS if k in offered), None)
        return (press(confirm, offered, channel), used) if confirm else (None, used)
    first = _wanted(script[0], person)[0]
    return Turn(text=keyword(first, person.language)), frozenset({0})


def _prefixed(key: str, wanted: str, prefix: str) -> bool:
    return wanted != prefix and key.startswith(prefix)


def press(key: str, offered: list[str], channel: Channel) -> Turn:
    if channel is Channel.TELEGRAM:
        return Turn(chosen_option=key)
    return Turn(text=str(offered.index(key) + 1))  # SMS and WhatsApp number their options


def pay_link(message: Sent) -> str | None:
    found = PAY_LINK.search(message.text)
    return found.group(0).rstrip(".,;)") if found else None


def staff_moment(
    rng: random.Random, after: dt.datetime, min_hours: int, max_hours: int
) -> dt.datetime:
    """When staff act: a while after `after`, in working hours (Mon-Fri 9-18, Rome, no holidays)."""
    moment = (after + dt.timedelta(hours=rng.uniform(min_hours, max_hours))).astimezone(ROME)
    for _ in range(30):
        if moment.weekday() < 5 and moment.date() not in _ITALY and 9 <= moment.hour < 18:
            return moment.astimezone(dt.UTC)
        next_day = moment.date() + dt.timedelta(days=1) if moment.hour >= 9 else moment.date()
        moment = dt.datetime.combine(next_day, dt.time(9, rng.randrange(60)), ROME) + dt.timedelta(
            hours=rng.randrange(8)
        )
    return moment.astimezone(dt.UTC)


def reaction_delay(rng: random.Random) -> dt.timedelta:
    """How long a person takes to answer: minutes to a day and a half, any hour."""
    return dt.timedelta(minutes=rng.choice((rng.uniform(3, 90), rng.uniform(60, 2_000))))
