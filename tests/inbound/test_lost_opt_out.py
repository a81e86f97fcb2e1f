"""A STOP is never lost: stored, then the apply step fails; the provider's retry (or the next
process's start-up) applies it exactly once (issue 12).

Through the real webhooks of each channel: the apply step raises after the message is stored, and
inside the transaction after the opt-out was written, so the opt-out must roll back with it; the
provider is told to deliver again; its redelivery (same update_id / MessageSid) applies the
opt-out once, with one confirmation; a further redelivery does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot import clock as product_clock
from bot import inbound_commands, web
from bot.config import Settings
from bot.linking import issue_token
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.policy import load_policy
from bot.runtime import Runtime, build_senders
from bot.texts import render
from tests.providers.telegram.telegram_updates import message_update
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM, WHATSAPP_FROM
from tests.support.scheduler_data import FrozenClock
from tests.support.webhook_stack import INBOUND_PATH, LINKED_CHAT, NOW, Stack, encode, webhook_stack

SID = "SM" + "5" * 32


class CrashOnce:
    """The writer of the reply rows and the handled mark, failing the first time: the process
    'dies' inside the transaction that applies the keyword, after the opt-out was written and
    before it is marked handled."""

    def __init__(self, real: Callable[..., Awaitable[list[Message]]]) -> None:
        self.real = real
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> list[Message]:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("the database went away in the middle of the opt-out")
        return await self.real(*args, **kwargs)


@pytest.fixture
async def stack(settings: Settings, db: str) -> AsyncIterator[Stack]:
    async with webhook_stack(settings) as built:
        yield built


@pytest.fixture
def crash_once(monkeypatch: pytest.MonkeyPatch) -> CrashOnce:
    crash = CrashOnce(inbound_commands.record_answer)
    monkeypatch.setattr(inbound_commands, "record_answer", crash)
    return crash


async def point_on(channel: Channel) -> ContactPoint:
    return await ContactPoint.get(channel=channel)


async def nothing_applied(channel: Channel) -> None:
    """The stored STOP is still waiting, and nothing of it was applied."""
    [stored] = await Message.filter(direction=Direction.INBOUND)
    assert stored.status is MessageStatus.RECEIVED
    assert (await point_on(channel)).opted_out_at is None
    assert not await Message.filter(direction=Direction.OUTBOUND).exists()


async def applied_once(channel: Channel) -> None:
    """Opted out, one confirmation row, the message handled."""
    [stored] = await Message.filter(direction=Direction.INBOUND)
    assert stored.status is MessageStatus.HANDLED
    assert (await point_on(channel)).opted_out_at == NOW
    [confirmation] = await Message.filter(direction=Direction.OUTBOUND)
    assert confirmation.template == "optout/opt_out.txt"
    assert confirmation.status is MessageStatus.SENT
    # The other channels at the same person are not touched: an opt-out is per channel.
    others = await ContactPoint.exclude(channel=channel)
    assert others and all(point.opted_out_at is None for point in others)


async def test_telegram_stop_is_applied_once_after_a_crash(
    stack: Stack, crash_once: CrashOnce
) -> None:
    update = encode(message_update(900, LINKED_CHAT, "STOP"))
    first = await stack.telegram_post(update)
    assert first.status_code == 500  # Telegram delivers it again
    await nothing_applied(Channel.TELEGRAM)

    again = await stack.telegram_post(update)
    assert again.status_code == 200
    await applied_once(Channel.TELEGRAM)
    expected = render(
        "optout/opt_out.txt", "it", company=stack.settings.company_name, channel="telegram"
    )
    assert stack.telegram.texts_to(LINKED_CHAT) == [expected.strip()]

    assert (await stack.telegram_post(update)).status_code == 200
    await applied_once(Channel.TELEGRAM)
    assert len(stack.telegram.texts_to(LINKED_CHAT)) == 1
    assert crash_once.calls == 2


@pytest.mark.parametrize(
    ("channel", "sender", "to"),
    [
        (Channel.SMS, DEBTOR_PHONE, SMS_FROM),
        (Channel.WHATSAPP, f"whatsapp:{DEBTOR_PHONE}", WHATSAPP_FROM),
    ],
)
async def test_twilio_stop_is_applied_once_after_a_crash(
    stack: Stack, crash_once: CrashOnce, channel: Channel, sender: str, to: str
) -> None:
    form = stack.twilio.inbound_params(sender, to, "Stop", message_sid=SID)
    # The app fails the request: a server answers Twilio 500 (here the test client re-raises).
    with pytest.raises(ConnectionError):
        await stack.twilio_post(INBOUND_PATH, form)
    await nothing_applied(channel)
    assert stack.twilio.requests == []

    assert (await stack.twilio_post(INBOUND_PATH, form)).status_code == 200  # the redelivery
    await applied_once(channel)
    [sent] = stack.twilio.requests
    assert sent["To"] == sender
    assert sent["Body"] == render("optout/opt_out.txt", "it", company=stack.settings.company_name)

    assert (await stack.twilio_post(INBOUND_PATH, form)).status_code == 200
    await applied_once(channel)
    assert len(stack.twilio.requests) == 1


async def test_the_next_process_applies_a_stop_left_unhandled_at_start_up(
    stack: Stack, crash_once: CrashOnce
) -> None:
    """Twilio does not always deliver again: the next process start finds the stored STOP."""
    form = stack.twilio.inbound_params(DEBTOR_PHONE, SMS_FROM, "BASTA", message_sid=SID)
    with pytest.raises(ConnectionError):
        await stack.twilio_post(INBOUND_PATH, form)
    await nothing_applied(Channel.SMS)

    clock = FrozenClock(NOW + dt.timedelta(minutes=5))
    restarted = Runtime(
        settings=stack.settings,
        policy=load_policy(stack.settings.policy_file),
        senders=build_senders(stack.settings),
        now=clock,
    )
    app = web.create_app(restarted)
    try:
        async with app.router.lifespan_context(app):
            [stored] = await Message.filter(direction=Direction.INBOUND)
            assert stored.status is MessageStatus.HANDLED
            point = await point_on(Channel.SMS)
            assert point.opted_out_at == clock.now
            assert not point.reachable
            [confirmation] = await Message.filter(direction=Direction.OUTBOUND)
            assert confirmation.template == "optout/opt_out.txt"
        assert len(stack.twilio.requests) == 1
        # Started again: nothing is left to apply.
        async with app.router.lifespan_context(app):
            assert await Message.filter(direction=Direction.OUTBOUND).count() == 1
    finally:
        await restarted.close()
        product_clock.install(stack.runtime.now)  # the stack's own clock again


async def test_a_deep_link_start_is_linked_once_after_a_crash(
    stack: Stack, crash_once: CrashOnce
) -> None:
    """/start TOKEN enters the same path: the link rolls back with the crash, the token waits on
    the stored row for the redelivery, and is forgotten once the chat is linked."""
    newcomer = await Debtor.create(external_ref="C777", name="Verdi S.p.A.", language="it")
    key = stack.settings.signing_key()
    token = await issue_token(newcomer, key, NOW, dt.timedelta(days=7))
    chat = 5005
    update = encode(message_update(950, chat, f"/start {token}"))
    assert (await stack.telegram_post(update)).status_code == 500
    [stored] = await Message.filter(direction=Direction.INBOUND)
    assert stored.status is MessageStatus.RECEIVED and stored.context["token"] == token
    assert not await ContactPoint.filter(address=str(chat)).exists()

    assert (await stack.telegram_post(update)).status_code == 200
    assert (await stack.telegram_post(update)).status_code == 200
    [point] = await ContactPoint.filter(address=str(chat))
    assert point.debtor_id == newcomer.id  # type: ignore[attr-defined]
    await stored.refresh_from_db()
    assert stored.status is MessageStatus.HANDLED and stored.body == "/start"
    assert stored.context == {"address": str(chat)}  # the token is not kept
    assert stored.contact_point_id == point.id  # type: ignore[attr-defined]
    linked = render(
        "linking/linked.txt", "it", debtor_name=newcomer.name, company=stack.settings.company_name
    )
    assert stack.telegram.texts_to(chat) == [linked.strip()]
