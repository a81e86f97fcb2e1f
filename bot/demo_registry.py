"""The demo's registry stage: a debtor links a Telegram chat by its deep link, asks "estratto
conto" and gets the statement with its PDF; staff look the debtor up with /debtor and read the
whole timeline (what the staff chat would show: the demo has no Telegram to press it in)."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable

from bot.channels.base import OutgoingMessage
from bot.models import Channel, Debtor, PaymentPlan
from bot.runtime import Runtime

DEMO_CHAT = "777000123"  # the debtor's Telegram chat in the sandbox


def _heading(title: str, out: Callable[[str], None]) -> None:
    out("")
    out(f"== {title}")


async def show_registry(
    runtime: Runtime,
    show_sent: Callable[[], list[OutgoingMessage]],
    out: Callable[[str], None],
) -> bool:
    """`show_sent` prints what the sandboxes sent since it was last called (bot/demo.py's)."""
    from bot.handlers.staff_commands import StaffCommands
    from bot.inbound import InboundEvent
    from bot.linking import issue_token
    from bot.receive import receive

    _heading("11. The debtor asks for a statement of account in the Telegram chat", out)
    plan = await PaymentPlan.all().order_by("-id").first()
    debtor = await Debtor.get(id=plan.debtor_id) if plan else await Debtor.all().first()  # type: ignore[attr-defined]
    if debtor is None:
        out("   no debtor to ask")
        return False
    now = runtime.now()
    key = runtime.settings.signing_key()
    token = await issue_token(debtor, key, now, dt.timedelta(days=1))
    for turn, (text, start) in enumerate(((f"/start {token}", True), ("estratto conto", False))):
        out(f"   {debtor.name} in Telegram chat {DEMO_CHAT}: {text[:24]!r}")
        event = InboundEvent(
            channel=Channel.TELEGRAM,
            address=DEMO_CHAT,
            provider_event_id=f"demo-registry-{turn}",
            text="" if start else text,
            start=start,
            start_token=token if start else "",
            received_at=now,
        )
        await receive(runtime, event)
        if not show_sent():
            return False

    _heading(f"12. Staff type /debtor {debtor.external_ref}: the whole timeline in one place", out)
    card = await StaffCommands(runtime).debtor_card(debtor)
    out(textwrap.indent(card, "   | ", lambda _line: True))
    out(f"   (all of it, or as CSV: python -m bot history {debtor.external_ref} [--csv FILE])")
    return True
