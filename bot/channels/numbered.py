"""Reply options as numbered choices, for channels that carry only text (SMS, WhatsApp free text).

Flows offer options (key + label); Telegram shows them as buttons, these channels append
"Reply 1 Pay now, 2 ..." from a template, and a reply that is just the number is read back as
that option's key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.channels.base import Option
from bot.models import Channel
from bot.texts import render

_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


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


def option_for_number(text: str, offered: Sequence[Mapping[str, str]]) -> str:
    """The key of the option a reply like "2" or "2." picks among those offered, or ""."""
    found = _NUMBER.match(text)
    if found is None:
        return ""
    index = int(found.group(1)) - 1
    return offered[index]["key"] if 0 <= index < len(offered) else ""
