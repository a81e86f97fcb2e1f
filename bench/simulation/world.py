"""The simulated world: one accelerated clock, the product's clock jobs at their cron times, the
outbox worker every few minutes, and the people acting in between.

Everything runs in one event loop, in time order, from a heap of (moment, kind, payload). The
clock is a mutable object passed to the Runtime as `now`, so every part of the product reads it.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import OutgoingMessage
from bot.models import Dispute, DisputeStatus, PaymentPlan, PlanStatus, StaffMember
from bot.runtime import Runtime
from scheduler.clock import build_scheduler
from scheduler.dispatch import DispatchConfig, Dispatcher
from simulation import people
from simulation.facts import Journal, Sent
from simulation.population import Person
from simulation.senders import Recorder

LOGGERS = ("bot", "scheduler")
DISPATCH_EVERY = dt.timedelta(minutes=5)
MAX_TURNS = 8  # a person gives up on a conversation that goes round in circles
STOP_WORDS = {"it": "STOP", "en": "STOP"}


@dataclass
class SimClock:
    """The simulation's clock: the runtime's `now`; only the world moves it, forward."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


class ErrorsLogged(logging.Handler):
    """Counts the errors the product logged: a clock job that failed (build_scheduler's wrapper
    logs and goes on), a send that raised, a conversation that could not be closed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class World:
    runtime: Runtime
    clock: SimClock
    recorder: Recorder
    people: dict[int, Person]
    staff: StaffMember
    rng: random.Random
    journal: Journal = field(default_factory=Journal)
    stats: Counter[str] = field(default_factory=Counter)
    _heap: list[tuple[dt.datetime, int, str, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _last_to: dict[tuple[str, str], OutgoingMessage] = field(default_factory=dict)
    _decided: set[tuple[str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(
            self.runtime, DispatchConfig(batch_size=200), rng=random.Random(self.rng.random())
        )
        self.recorder.listeners.append(self._on_sent)
        self.errors = ErrorsLogged()
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self.errors)
        self._by_address = {(p.chat[0].value, p.chat[1]): p for p in self.people.values() if p.chat}

    def at(self, moment: dt.datetime, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._heap, (moment, next(self._seq), kind, payload))

    # --- the loop -------------------------------------------------------------------------

    async def run(self, until: dt.datetime) -> None:
        scheduler = build_scheduler(self.runtime)
        for job in scheduler.get_jobs():
            fire = job.trigger.get_next_fire_time(None, self.clock.now)
            self.at(fire, "job", job)
        self.at(self.clock.now, "dispatch")
        started, day = time.perf_counter(), self.clock.now.date()
        while self._heap and self._heap[0][0] < until:
            moment, _, kind, payload = heapq.heappop(self._heap)
            self.clock.now = max(self.clock.now, moment).astimezone(dt.UTC)
            await self._handle(kind, payload)
            if self.clock.now.date() != day:
                day = self.clock.now.date()
                elapsed = time.perf_counter() - started
                print(f"  {day} sent {len(self.recorder.sent)} ({elapsed:.0f} s)", file=sys.stderr)
        self.stats["errors_logged"] = self.errors.count
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self.errors)

    async def _handle(self, kind: str, payload: Any) -> None:
        handlers: dict[str, Callable[[Any], Awaitable[None]]] = {
            "job": self._job,
            "dispatch": self._dispatch,
            "act": self._act,
            "turn": self._turn,
            "pay": self._pay,
            "plan_decision": self._plan_decision,
            "dispute_decision": self._dispute_decision,
        }
        await handlers[kind](payload)

    async def _job(self, job: Any) -> None:
        await job.func()
        self.stats[f"job_{job.id}"] += 1
        fire = job.trigger.get_next_fire_time(
            self.clock.now, self.clock.now + dt.timedelta(seconds=1)
        )
        self.at(fire, "job", job)

    async def _dispatch(self, _: Any) -> None:
        await self.dispatcher.drain()
        await self._staff_work()
        self.at(self.clock.now + DISPATCH_EVERY, "dispatch")

    # --- what a message sets in motion ----------------------------------------------------

    def _on_sent(self, sent: Sent, message: OutgoingMessage) -> None:
        self._last_to[(sent.channel, sent.address)] = message
        person = self.people.get(sent.debtor_id or 0)
        if person is None or person.done:
            return
        link = people.pay_link(sent)
        if sent.step == "instalment_due" and link and person.pays_instalments:
            self.at(sent.at + dt.timedelta(hours=self.rng.uniform(1, 60)), "pay", (person, link))
            return
        if sent.step not in self.runtime_steps:
            return
        person.reminders_seen += 1
        if link:
            person.state["link"] = link
        if person.acted or person.reminders_seen < person.patience:
            return
        person.acted = True
        self.at(sent.at + people.reaction_delay(self.rng), "act", person)

    @property
    def runtime_steps(self) -> frozenset[str]:
        return frozenset(step.name for step in self.runtime.policy.steps)

    async def _act(self, person: Person) -> None:
        behaviour = person.behaviour
        if behaviour != "silent" and person.chat is None:
            behaviour = "pays" if self.rng.random() < 0.5 else "silent"  # e-mail only
        self.stats[f"act_{behaviour}"] += 1
        if behaviour in ("pays", "pays_late"):
            link = person.state.get("link")
            if isinstance(link, str):
                delay = dt.timedelta(days=self.rng.uniform(0, 9 if behaviour == "pays_late" else 2))
                self.at(self.clock.now + delay, "pay", (person, link))
        elif behaviour == "stop":
            await self._say(person, people.Turn(text=STOP_WORDS[person.language]))
            person.state["script"] = "stop"
            self.at(self.clock.now + dt.timedelta(minutes=2), "turn", person)
        elif behaviour in people.SCRIPTS:
            await self._turn(person)

    async def _turn(self, person: Person) -> None:
        assert person.chat is not None
        channel, address = person.chat
        last = self._last_to.get((channel.value, address))
        if person.state.get("script") == "stop":
            offered = [o.key for o in last.options] if last else []
            if "yes" in offered:
                await self._say(person, people.press("yes", offered, channel))
            person.done = True
            return
        turns = int(str(person.state.get("turns", 0)))
        if person.gives_up_after is not None and turns >= person.gives_up_after:
            self.stats[f"gave_up_{person.behaviour}"] += 1
            return  # the conversation stays open until the product closes it
        used = person.state.get("used", frozenset())
        assert isinstance(used, frozenset)
        turn, used = people.choose(person, used, channel, last)
        if turn is None or turns == MAX_TURNS:
            self.stats[f"script_end_{person.behaviour}_{len(used)}"] += 1
            await self._after_script(person)
            return
        person.state["used"] = used
        person.state["turns"] = turns + 1
        await self._say(person, turn)
        self.at(self.clock.now + dt.timedelta(minutes=self.rng.uniform(1, 4)), "turn", person)

    async def _after_script(self, person: Person) -> None:
        link = person.state.get("link")
        if person.behaviour == "promise" and person.keeps_promise and isinstance(link, str):
            self.at(
                self.clock.now + dt.timedelta(days=self.rng.uniform(1, 6)), "pay", (person, link)
            )

    async def _say(self, person: Person, turn: people.Turn) -> None:
        from bot.inbound import InboundEvent
        from bot.receive import receive

        assert person.chat is not None
        channel, address = person.chat
        now = self.clock.now
        self.journal.inbound.append((now, channel.value, address))
        if turn.text.upper() == "STOP":
            self.journal.stops.append((now, channel.value, address))
        self.stats["inbound"] += 1
        await receive(
            self.runtime,
            InboundEvent(
                channel=channel,
                address=address,
                provider_event_id=f"sim-{next(self._seq)}",
                text=turn.text,
                chosen_option=turn.chosen_option,
                received_at=now,
            ),
        )

    async def _pay(self, payload: tuple[Person, str]) -> None:
        from bot.payments.checkout import pay_link_in_sandbox

        person, link = payload
        try:
            outcome = await pay_link_in_sandbox(self.runtime.settings, self.clock.now, link)
        except ValueError:
            outcome = "invalid_link"
        self.stats[f"pay_{outcome}"] += 1
        if outcome == "paid":
            self.journal.payments.append((self.clock.now, person.debtor_id))

    # --- staff ----------------------------------------------------------------------------

    async def _staff_work(self) -> None:
        """Plans waiting for approval and open disputes get a decision in working hours."""
        for plan_id in await PaymentPlan.filter(status=PlanStatus.PENDING_APPROVAL).values_list(
            "id", flat=True
        ):
            if ("plan", plan_id) not in self._decided:
                self._decided.add(("plan", plan_id))
                when = people.staff_moment(self.rng, self.clock.now, 2, 120)
                self.at(when, "plan_decision", plan_id)
        for dispute_id in await Dispute.filter(status=DisputeStatus.OPEN).values_list(
            "id", flat=True
        ):
            if ("dispute", dispute_id) not in self._decided:
                self._decided.add(("dispute", dispute_id))
                when = people.staff_moment(self.rng, self.clock.now, 24, 200)
                self.at(when, "dispute_decision", dispute_id)

    async def _plan_decision(self, plan_id: int) -> None:
        from bot.decisions.plans import activate_plan, reject_plan

        plan = await PaymentPlan.get(id=plan_id)
        approve = self.rng.random() < 0.7
        decision = await (activate_plan if approve else reject_plan)(self.runtime, plan, self.staff)
        self.stats[f"plan_{decision.verdict.value}"] += 1

    async def _dispute_decision(self, dispute_id: int) -> None:
        from bot.decisions.disputes import cancel_disputed_invoice, resolve_dispute, resume_chasing

        dispute = await Dispute.get(id=dispute_id)
        decide = self.rng.choice(
            (resume_chasing, resume_chasing, resolve_dispute, cancel_disputed_invoice)
        )
        decision = await decide(self.runtime, dispute, self.staff)
        self.stats[f"dispute_{decision.verdict.value}"] += 1
