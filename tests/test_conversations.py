"""Conversations end to end: the flow engine wired to the database, channels and staff chat."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.flows.engine import Reply, get_state, notify_debtor, set_state
from bot.flows.states import initial_state
from bot.models import Channel, ContactPoint, Conversation, Debtor, Direction, Message
from bot.policy import load_policy
from bot.runtime import Runtime

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sandbox_runtime(settings: Settings, db: str) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders={channel: SandboxSender(channel) for channel in Channel},
        now=lambda: NOW,
    )
    yield runtime
    await runtime.close()


async def test_notify_debtor_uses_the_channel_last_spoken_on(sandbox_runtime: Runtime) -> None:
    debtor = await Debtor.create(external_ref="N1", name="Neri S.r.l.", language="it")
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address="55", priority=0)
    await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331112222")

    await notify_debtor(sandbox_runtime, debtor, [Reply(text="uno")])
    telegram = sandbox_runtime.sender(Channel.TELEGRAM)
    assert isinstance(telegram, SandboxSender)
    assert [m.text for m in telegram.sent] == ["uno"]  # the preferred contact point

    await set_state(debtor, initial_state(), channel=Channel.SMS)
    await notify_debtor(sandbox_runtime, debtor, [Reply(text="due")])
    sms = sandbox_runtime.sender(Channel.SMS)
    assert isinstance(sms, SandboxSender)
    assert [(m.address, m.text) for m in sms.sent] == [("+393331112222", "due")]
    rows = await Message.filter(direction=Direction.OUTBOUND).order_by("id")
    assert [r.body for r in rows] == ["uno", "due"]


async def test_state_is_stored_per_debtor(sandbox_runtime: Runtime) -> None:
    debtor = await Debtor.create(external_ref="N2", name="Verdi", language="en")
    assert (await get_state(debtor))["flow"] == initial_state()["flow"]
    state = {**initial_state(), "flow": "promise", "stage": "ask_date"}
    await set_state(debtor, state)
    assert await get_state(debtor) == state
    assert (await Conversation.get(debtor_id=debtor.id)).flow == "promise"
