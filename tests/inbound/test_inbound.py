"""Inbound normalisation: what any channel delivers is stored first, then answered."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from bot import inbound, reply_sending
from bot.channels.base import OutgoingMessage
from bot.config import Settings
from bot.inbound import InboundEvent, storable
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.policy import load_policy
from bot.receive import UNHANDLED_GRACE, answer_unhandled_inbound, receive
from bot.runtime import Runtime, build_senders

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def runtime_for(settings: Settings) -> Runtime:
    return Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=build_senders(settings),
        now=lambda: NOW,
    )


def test_storable_drops_only_nul() -> None:
    assert storable("a\x00b\x01c\u202eé😀") == "ab\x01c\u202eé😀"


async def test_a_message_with_nul_characters_is_stored_and_answered(
    settings: Settings, db: str
) -> None:
    """PostgreSQL refuses NUL in text; a debtor's odd keyboard must not make us fail forever."""
    debtor = await Debtor.create(external_ref="C1", name="Rossi S.r.l.")
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address="4242")
    event = InboundEvent(
        channel=Channel.TELEGRAM,
        address="4242",
        provider_event_id="update:1",
        text="ciao\x00mondo",
        chosen_option="pay\x00_now",
        attachments=[{"kind": "photo", "file_id": "AB\x00C"}],
    )
    received = await receive(runtime_for(settings), event)
    assert received is not None and received.replies
    stored = await Message.get(direction=Direction.INBOUND)
    assert stored.body == "ciaomondo"
    assert stored.attachments == [{"kind": "photo", "file_id": "ABC"}]
    assert stored.status is MessageStatus.HANDLED
    assert await receive(runtime_for(settings), event) is None  # the same delivery again


async def test_an_unknown_address_is_stored_without_a_debtor_and_answered_blind(
    settings: Settings, db: str
) -> None:
    event = InboundEvent(channel=Channel.SMS, address="+393330000000", provider_event_id="SM1")
    received = await receive(runtime_for(settings), event)
    assert received is not None and received.debtor is None
    [reply] = received.replies
    assert "Sollecito Demo" in reply.text or settings.company_name in reply.text
    stored = await Message.get(direction=Direction.INBOUND)
    assert stored.debtor_id is None  # type: ignore[attr-defined]


class SlowSender:
    """A provider that takes its time (or holds us to its rate limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> str:
        await asyncio.sleep(self.seconds)
        self.sent.append(message)
        return f"slow-{len(self.sent)}"

    async def close(self) -> None:
        return None


async def test_a_slow_provider_does_not_hold_the_webhook_and_the_reply_still_goes_out(
    settings: Settings, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reply_sending, "REPLY_WAIT_SECONDS", 0.05)
    debtor = await Debtor.create(external_ref="C1", name="Rossi S.r.l.")
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address="4242")
    slow = SlowSender(0.5)
    runtime = runtime_for(settings)
    runtime.senders[Channel.TELEGRAM] = slow
    event = InboundEvent(
        channel=Channel.TELEGRAM, address="4242", provider_event_id="update:9", text="menu"
    )

    began = time.monotonic()
    received = await receive(runtime, event)
    assert time.monotonic() - began < 0.4  # answered without waiting for the provider
    assert received is not None and received.message.status is MessageStatus.HANDLED
    [reply] = await Message.filter(direction=Direction.OUTBOUND)
    assert reply.status is MessageStatus.SENDING and reply.lease_until is not None
    assert slow.sent == []

    await reply_sending.finish_sending(timeout=5)  # what the web app does when it stops
    await reply.refresh_from_db()
    assert reply.status is MessageStatus.SENT and reply.provider_id == "slow-1"
    assert [message.address for message in slow.sent] == ["4242"]


async def test_start_up_answers_unhandled_messages_past_the_grace_only(
    settings: Settings, db: str
) -> None:
    """A message stored by an attempt that died is answered by the next start-up; one stored a
    moment ago may still be in its request's hands, and one that does not say its address (stored
    before rows kept it) is left alone."""
    debtor = await Debtor.create(external_ref="C1", name="Rossi S.r.l.")
    point = await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address="+393331112222")
    runtime = runtime_for(settings)
    event = InboundEvent(
        channel=Channel.SMS, address="+393331112222", provider_event_id="SM9", text="STOP"
    )
    stored = await inbound.store(event, point, NOW)
    assert stored is not None
    legacy = await Message.create(
        direction=Direction.INBOUND, channel=Channel.SMS, status=MessageStatus.RECEIVED, body="x"
    )

    assert await answer_unhandled_inbound(runtime) == []  # within the grace
    await stored.refresh_from_db()
    assert stored.status is MessageStatus.RECEIVED

    later = Runtime(
        settings=settings,
        policy=runtime.policy,
        senders=runtime.senders,
        now=lambda: NOW + UNHANDLED_GRACE + dt.timedelta(seconds=1),
    )
    assert await answer_unhandled_inbound(later) == [stored.id]
    await stored.refresh_from_db()
    await point.refresh_from_db()
    assert stored.status is MessageStatus.HANDLED and point.opted_out_at is not None
    await legacy.refresh_from_db()
    assert legacy.status is MessageStatus.RECEIVED
    assert await answer_unhandled_inbound(later) == []  # nothing twice
