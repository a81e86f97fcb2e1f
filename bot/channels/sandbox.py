"""The sandbox channel: records messages instead of sending them.

The demo uses it, and start-up puts it in place of any channel that has no credentials.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.channels.base import OutgoingMessage
from bot.models import Channel

_ids = itertools.count(1)


@dataclass
class SandboxSender:
    channel: Channel
    sent: list[OutgoingMessage] = field(default_factory=list)

    async def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        return f"sandbox-{self.channel.value}-{next(_ids)}"

    async def close(self) -> None:
        return None
