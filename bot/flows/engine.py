"""The flow engine: (state, input) -> (state, replies, effects).

Until the conversation flows land, every message from a known debtor gets a short acknowledgement
and every message from an unknown address a polite answer that reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.base import Attachment, Option
from bot.flows.context import ReplySpec, render_reply
from bot.models import Debtor, Message
from bot.runtime import Runtime
from bot.texts import render


@dataclass(frozen=True)
class Reply:
    """What a flow says: text plus options; each channel renders options its own way."""

    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    template: str = ""


@dataclass
class Effects:
    """What a step asks the engine to do, applied in one transaction with the new state."""

    alerts: list[tuple[str, dict[str, object]]] = field(default_factory=list)


def reply(
    template: str, language: str, options: tuple[Option, ...] = (), **context: object
) -> Reply:
    return Reply(text=render(template, language, **context), options=options, template=template)


async def handle_message(runtime: Runtime, debtor: Debtor | None, message: Message) -> list[Reply]:
    language = debtor.language if debtor else runtime.settings.default_language
    if debtor is None:
        return [
            reply("replies/unknown_sender.txt", language, company=runtime.settings.company_name)
        ]
    return [reply("replies/ack.txt", language)]


def render_replies(
    specs: list[ReplySpec], language: str, filled: dict[str, object] | None = None
) -> list[Reply]:
    """The pure flows' replies (bot/flows/states.py) as texts to send.

    `filled` supplies what the effects produced, e.g. {"pay_url": ...} for a MakePayLink.
    """
    return [
        Reply(
            text=render_reply(spec, language, filled),
            options=spec.options,
            attachments=spec.attachments,
            template=spec.template,
        )
        for spec in specs
    ]
