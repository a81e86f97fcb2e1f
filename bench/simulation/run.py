"""One simulation run end to end: population, the world on its clock, the audit of what was sent."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.models import ContactPoint, Debtor, Direction, Invoice, Message, StaffRole
from bot.policy import Policy, load_policy
from bot.runtime import Runtime
from bot.staff import register_staff
from simulation.audit import audit
from simulation.facts import AuditPolicy, LogEntry, Sent
from simulation.population import create_population
from simulation.senders import Recorder, recording_senders
from simulation.world import SimClock, World

STAFF_CHAT_ID = -1001000000014
STAFF_USER_ID = 140001


def audit_policy(policy: Policy, company_timezone: str) -> AuditPolicy:
    quiet = policy.quiet_hours
    return AuditPolicy(
        quiet_start=quiet.start,
        quiet_end=quiet.end,
        weekdays=frozenset(quiet.weekday_numbers),
        country=policy.calendar.country,
        cap_per_7_days=policy.contact.cap_per_7_days,
        sms_segment_budget=policy.contact.sms_segment_budget,
        step_days={step.name: step.days for step in policy.steps},
        company_timezone=company_timezone,
    )


def simulation_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "telegram_staff_chat_id": STAFF_CHAT_ID,
            "public_base_url": settings.public_base_url or "https://sollecito.example",
        }
    )


async def message_log() -> list[LogEntry]:
    rows = await Message.filter(direction=Direction.OUTBOUND, audience="debtor").values_list(
        "id", "debtor_id", "step", "status", "sent_at"
    )
    return [
        LogEntry(int(i), int(d), step, str(status), sent_at)
        for i, d, step, status, sent_at in rows
        if d is not None
    ]


def dump_sent(sent: list[Sent], path: Path) -> None:
    """Every message as the provider got it, one JSON object a line, for a reader to check."""
    with path.open("w", encoding="utf-8") as out:
        for message in sent:
            row = {
                "id": message.id,
                "at": message.at.isoformat(),
                "debtor": message.debtor_id,
                "channel": message.channel,
                "address": message.address,
                "step": message.step,
                "template": message.template,
                "whatsapp_free_text": message.whatsapp_free_text,
                "text": message.text,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


async def describe_population(start: dt.date) -> dict[str, Any]:
    """What the run was made of: zones, languages, channels, shared numbers, how late."""
    points = await ContactPoint.all().values_list("channel", "address", "opted_in_at")
    owners = Counter((str(channel), address) for channel, address, _ in points)
    dues = await Invoice.all().values_list("due_date", flat=True)
    return {
        "timezones": dict(Counter(await Debtor.all().values_list("timezone", flat=True))),
        "languages": dict(Counter(await Debtor.all().values_list("language", flat=True))),
        "contact_points": dict(Counter(str(channel) for channel, _, _ in points)),
        "whatsapp_without_opt_in": sum(
            1 for channel, _, opted in points if channel == "whatsapp" and opted is None
        ),
        "shared_addresses": sum(1 for count in owners.values() if count > 1),
        "invoices": len(dues),
        "invoices_not_yet_due_at_start": sum(1 for due in dues if due > start),
        "invoices_over_60_days_late_at_start": sum(1 for due in dues if (start - due).days > 60),
    }


async def simulate(
    settings: Settings,
    *,
    debtors: int,
    days: int,
    start: dt.date,
    seed: int,
    dump: Path | None = None,
) -> dict[str, Any]:
    """Run on the connected, empty database; the audit report, the run's figures with it."""
    started = time.perf_counter()
    settings = simulation_settings(settings)
    rng = random.Random(seed)
    zone = ZoneInfo(settings.timezone)
    clock = SimClock(dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC))
    recorder = Recorder(clock=clock, staff_chat=str(STAFF_CHAT_ID))
    policy = load_policy(settings.policy_file)
    runtime = Runtime(
        settings=settings, policy=policy, senders=dict(recording_senders(recorder)), now=clock
    )
    staff, _ = await register_staff(
        STAFF_USER_ID, "Credit control", StaffRole.ADMIN, 100_000_000, actor="simulation"
    )
    population = await create_population(rng, debtors, start, clock.now - dt.timedelta(days=1))
    scenario = await describe_population(start)
    world = World(runtime, clock, recorder, {p.debtor_id: p for p in population}, staff, rng)
    await world.run(clock.now + dt.timedelta(days=days))
    simulated = time.perf_counter() - started
    if dump is not None:
        dump_sent(recorder.sent, dump)
    report = audit(
        recorder.sent, await message_log(), world.journal, audit_policy(policy, settings.timezone)
    )
    report["run"] = {
        "debtors": debtors,
        "days": days,
        "start": start.isoformat(),
        "seed": seed,
        "database": "postgresql" if settings.database_url.startswith("postgres") else "sqlite",
        "simulate_seconds": round(simulated, 1),
        "audit_seconds": round(time.perf_counter() - started - simulated, 1),
        "population": scenario,
        "activity": dict(sorted(world.stats.items())),
    }
    return report
