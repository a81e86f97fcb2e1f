"""The demo's charts stage: the Monday charts (aging and cash-flow forecast) queued by the clock's
job, sent by the outbox worker to the staff chat, and, since the staff chat is a sandbox here,
each photo written under VAR_DIR/charts/ and named in the output with its caption."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from bot.channels.sandbox import SandboxSender
from bot.models import Channel
from bot.runtime import Runtime


async def show_charts(
    runtime: Runtime, senders: dict[Channel, SandboxSender], out: Callable[[str], None]
) -> int:
    """Queue and send the charts; how many photos were written."""
    from scheduler.dispatch import Dispatcher
    from scheduler.weekly_charts import weekly_charts

    out("")
    out("== 10. Monday morning: the aging and cash-flow charts reach the staff chat")
    staff_chat = senders[Channel.TELEGRAM]
    before = staff_chat.count
    queued = await weekly_charts(runtime)
    await Dispatcher(runtime).drain()
    folder = runtime.settings.var_dir / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for message in staff_chat.since(before):
        for attachment in message.attachments:
            if not attachment.mime_type.startswith("image/"):
                continue
            path = folder / attachment.filename
            path.write_bytes(attachment.content)
            written += 1
            out(f"-- photo to staff chat: {path} ({len(attachment.content):,} bytes PNG)")
            out(textwrap.indent(message.text, "   | ", lambda _line: True))
    out(f"   {queued} chart(s) queued, {written} photo(s) written to {folder}")
    return written
