"""Reply options as numbered choices, for channels that carry only text (SMS, WhatsApp free text).

Flows offer options (key + label); Telegram shows them as buttons, these channels append
"Reply 1 Pay now, 2 ..." from a template; a reply that is just the number is read back as that
option's key by bot/flows/vocabulary.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.base import Option
from bot.models import Channel
from bot.texts import render


def options_template(channel: Channel) -> str:
    return f"channels/{channel.value}_options.txt"


def with_numbered_options(
    text: str, options: Sequence[Option], channel: Channel, language: str
) -> str:
    """The message text followed by its options as numbered choices (unchanged without options)."""
    if not options:
        return text
    choices = render(options_template(channel), language, options=list(options))
    return f"{text}\n\n{choices}"
