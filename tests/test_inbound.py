"""Inbound normalisation: what any channel delivers is stored first, then answered."""

from __future__ import annotations

from bot.config import Settings
from bot.inbound import InboundEvent, receive, storable
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.policy import load_policy
from bot.runtime import Runtime, build_senders


def runtime_for(settings: Settings) -> Runtime:
    return Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=build_senders(settings),
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
