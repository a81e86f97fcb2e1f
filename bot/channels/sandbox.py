"""The sandbox channel: records messages instead of sending them.

The demo uses it, and start-up puts it in place of any channel that has no credentials. Every
message it takes is already a row in the message log; the sandbox keeps only the latest in memory
(for the demo and the tests to look at), so a long-running process with a sandboxed channel does
not grow without end.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from bot.channels.base import OutgoingMessage
from bot.models import Channel

KEPT_IN_MEMORY = 1_000

_ids = itertools.count(1)


@dataclass
class SandboxSender:
    channel: Channel
    sent: deque[OutgoingMessage] = field(default_factory=lambda: deque(maxlen=KEPT_IN_MEMORY))
    count: int = 0  # every message ever recorded, including those no longer kept

    async def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        self.count += 1
        return f"sandbox-{self.channel.value}-{next(_ids)}"

    def since(self, count: int) -> list[OutgoingMessage]:
        """The messages recorded after the first `count` (those still kept)."""
        fresh = max(0, self.count - count)
        return list(self.sent)[-fresh:] if fresh else []

    async def close(self) -> None:
        return None
