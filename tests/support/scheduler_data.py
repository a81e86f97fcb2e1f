"""Small factories for the scheduler tests: debtors, invoices, contact points, a runtime."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.channels.base import OutgoingMessage, Sender
from bot.config import Settings
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
)
from bot.policy import load_policy
from bot.runtime import Runtime

_refs = itertools.count(1)


class FrozenClock:
    """An injectable clock: tests move it by hand, nothing sleeps."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def make_runtime(
    settings: Settings,
    clock: FrozenClock,
    senders: dict[Channel, Sender] | None = None,
    *,
    timezone: str = "Europe/Rome",
    **overrides: object,
) -> Runtime:
    """A runtime with the company in `timezone` (whatever the environment says)."""
    settings = settings.model_copy(update={"timezone": timezone, **overrides})
    return Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=dict(senders or {}),
        now=clock,
    )


async def make_debtor(
    name: str = "Rossi S.r.l.",
    *,
    language: str = "it",
    timezone: str = "Europe/Rome",
    channels: Iterable[Channel] = (Channel.TELEGRAM,),
    paused_until: dt.datetime | None = None,
) -> Debtor:
    n = next(_refs)
    debtor = await Debtor.create(
        external_ref=f"D{n:05d}",
        name=name,
        language=language,
        timezone=timezone,
        paused_until=paused_until,
    )
    for priority, channel in enumerate(channels):
        await add_contact(debtor, channel, priority=priority)
    return debtor


async def add_contact(
    debtor: Debtor,
    channel: Channel,
    *,
    priority: int = 0,
    is_pec: bool = False,
    address: str | None = None,
    opted_out: bool = False,
    unreachable: bool = False,
    opted_in: bool = True,
) -> ContactPoint:
    """A contact point; with `opted_in` (the default) its opt-in is recorded, as WhatsApp needs."""
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    default = {
        Channel.TELEGRAM: f"{100000 + debtor.id}",
        Channel.SMS: f"+39333{debtor.id:07d}",
        Channel.WHATSAPP: f"+39333{debtor.id:07d}",
        Channel.EMAIL: f"debtor{debtor.id}{'.pec' if is_pec else ''}@example.it",
    }[channel]
    return await ContactPoint.create(
        debtor=debtor,
        channel=channel,
        address=address or default,
        is_pec=is_pec,
        priority=priority,
        opted_out_at=stamp if opted_out else None,
        opted_in_at=stamp if opted_in else None,
        opt_in_source="test data" if opted_in else "",
        unreachable_at=stamp if unreachable else None,
    )


async def make_invoice(
    debtor: Debtor,
    due: dt.date,
    cents: int = 10_000,
    *,
    status: InvoiceStatus = InvoiceStatus.OPEN,
    paid_cents: int = 0,
    number: str | None = None,
) -> Invoice:
    n = next(_refs)
    return await Invoice.create(
        number=number or f"FT-2026/{n:05d}",
        debtor=debtor,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        amount_cents=cents,
        paid_cents=paid_cents,
        status=status,
    )


async def sent_reminders(
    debtor: Debtor, anchor: Invoice, steps: Iterable[str], at: dt.datetime
) -> list[Message]:
    """The message log of a cycle whose `steps` were sent, the latest at `at`, a week apart."""
    names = list(steps)
    rows = []
    for back, step in enumerate(reversed(names)):
        rows.append(
            await Message.create(
                debtor=debtor,
                direction=Direction.OUTBOUND,
                audience="debtor",
                channel=Channel.TELEGRAM,
                template=step,
                step=step,
                status=MessageStatus.SENT,
                idempotency_key=f"cadence:{debtor.id}:{step}:{anchor.id}",
                sent_at=at - dt.timedelta(days=7 * back),
            )
        )
    return rows[::-1]


STAFF_CHAT = -100123  # the staff group of runtime_with's runtime


@dataclass
class ScriptedSender:
    """A Sender whose next results are scripted: an exception to raise, or None to succeed."""

    channel: Channel
    script: list[BaseException | None] = field(default_factory=list)
    sent: list[OutgoingMessage] = field(default_factory=list)
    tried: int = 0

    async def send(self, message: OutgoingMessage) -> str:
        self.tried += 1
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        self.sent.append(message)
        return f"{self.channel.value}-{len(self.sent)}"

    async def close(self) -> None:
        return None


def senders(**overrides: ScriptedSender) -> dict[Channel, ScriptedSender]:
    result = {channel: ScriptedSender(channel) for channel in Channel}
    for name, sender in overrides.items():
        result[Channel(name)] = sender
    return result


def runtime_with(
    settings: Settings, clock: FrozenClock, channel_senders: dict[Channel, ScriptedSender]
) -> Runtime:
    return make_runtime(
        settings,
        clock,
        channel_senders,  # type: ignore[arg-type]
        telegram_staff_chat_id=STAFF_CHAT,
        company_name="Forniture Bianchi S.p.A.",
    )
