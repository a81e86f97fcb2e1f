"""The demo's formal notice stage: a debtor's cycle reaches the final (formal) step after its three
reminders; the planner opens a notice instead of sending anything, staff get the card with the
PDF, a staff member presses Approve (the press goes through the real staff button handler; its
Bot API calls are answered by a stand-in that records them), the PDF is in the case folder, and
the outbox worker sends the notice from the PEC mailbox to a local PEC server (SMTP over
implicit TLS, started here), which prints what it received."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import ApplicationHandlerStop
from telegram.request import BaseRequest, RequestData

from bot.channels.base import OutgoingMessage
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    FormalNotice,
    Invoice,
    Message,
    MessageStatus,
    StaffMember,
)
from bot.runtime import Runtime

STAFF_BOT_ID = 900001
_EPOCH = 1_795_000_000  # the stand-in Telegram's message dates (a fixed Unix time)


class RecordedBotApi(BaseRequest):
    """Answers the Bot API calls of the staff button handler as Telegram would, and keeps them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, dict(params)))
        result: Any = True
        if name == "getMe":
            result = {"id": STAFF_BOT_ID, "is_bot": True, "first_name": "Sollecito"}
        elif name in ("editMessageCaption", "sendMessage"):
            result = {
                "message_id": int(params.get("message_id", 1)),
                "date": _EPOCH,
                "chat": {"id": int(params["chat_id"]), "type": "supergroup"},
                "caption": params.get("caption", ""),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _heading(title: str, out: Callable[[str], None]) -> None:
    out("")
    out(f"== {title}")


async def _debtor_at_final_step(now: dt.datetime) -> Debtor:
    """A business debtor 75 and 68 days late whose three reminders the log holds as sent."""
    debtor = await Debtor.create(
        external_ref="C950", name="Verdi Trasporti S.r.l.", vat_number="IT04455667788"
    )
    await ContactPoint.create(
        debtor=debtor, channel=Channel.EMAIL, address="verditrasporti@pec.example.it", is_pec=True
    )
    await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address="777000950")
    today = now.date()
    first = None
    for number, days, cents in (("F-2026-061", 75, 612_000), ("F-2026-066", 68, 248_050)):
        due = today - dt.timedelta(days=days)
        invoice = await Invoice.create(
            number=number,
            debtor=debtor,
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
            amount_cents=cents,
        )
        first = first or invoice
    assert first is not None
    for back, step in enumerate(("overdue_3", "overdue_2", "overdue_1")):
        await Message.create(
            debtor=debtor,
            direction=Direction.OUTBOUND,
            channel=Channel.TELEGRAM,
            template=step,
            step=step,
            status=MessageStatus.SENT,
            idempotency_key=f"cadence:{debtor.id}:{step}:{first.id}",
            sent_at=now - dt.timedelta(days=8 + 7 * back),
        )
    return debtor


def _press(data: str, card_id: int, caption: str, chat_id: int, user_id: int) -> dict[str, Any]:
    group = {"id": chat_id, "type": "supergroup", "title": "Staff"}
    return {
        "update_id": 1,
        "callback_query": {
            "id": "demo-press",
            "from": {"id": user_id, "is_bot": False, "first_name": "Giulia"},
            "chat_instance": "demo",
            "data": data,
            "message": {
                "message_id": card_id,
                "date": _EPOCH,
                "chat": group,
                "from": {"id": STAFF_BOT_ID, "is_bot": True, "first_name": "Sollecito"},
                "document": {"file_id": "demo-pdf", "file_unique_id": "demo-pdf"},
                "caption": caption,
            },
        },
    }


async def _approve_in_the_staff_chat(
    runtime: Runtime, notice: FormalNotice, card: str, out: Callable[[str], None]
) -> None:
    from bot.handlers.staff_buttons import StaffButtons

    staff = await StaffMember.all().order_by("id").first()
    chat_id = runtime.settings.telegram_staff_chat_id
    assert staff is not None and chat_id is not None
    out(f"   {staff.name} presses «Approva e invia» on the card of notice {notice.protocol}")
    api = RecordedBotApi()
    async with Bot("900001:demo-sandbox", request=api, get_updates_request=api) as bot:
        data = _press(f"notice:approve:{notice.id}", 41, card, chat_id, staff.telegram_user_id)
        update = Update.de_json(data, bot)
        with contextlib.suppress(ApplicationHandlerStop):
            await StaffButtons(runtime).on_button(update, None)  # type: ignore[arg-type]
    for name, params in api.calls:
        if name == "answerCallbackQuery":
            out(f"   the press is answered: «{params.get('text', '')}»")
        elif name == "editMessageCaption":
            last = str(params.get("caption", "")).splitlines()[-1]
            out(f"   the card now ends: «{last}» (its buttons removed)")


@contextlib.contextmanager
def _pec_server(folder: Path) -> Iterator[Any]:
    from bot.demo_pec_server import PecServer

    server = PecServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _with_pec_mailbox(runtime: Runtime, server: Any) -> Runtime:
    """The runtime with a PEC mailbox on the local server (its certificate trusted)."""
    from bot.demo_pec_server import PASSWORD, USER
    from bot.providers.email.pec import with_pec

    settings = runtime.settings.model_copy(
        update={
            "pec_smtp_host": "127.0.0.1",
            "pec_smtp_port": server.port,
            "pec_smtp_user": USER,
            "pec_smtp_password": PASSWORD,
            "pec_smtp_from": f"{runtime.settings.company_name} <{USER}>",
            "pec_smtp_security": "tls",
            "company_pec": USER,
            "company_address": "Via dell'Industria 12, 20121 Milano (MI)",
            "company_vat_number": "IT01234567890",
        }
    )
    senders = dict(runtime.senders)
    pair = with_pec(settings, runtime.senders[Channel.EMAIL])
    pair.pec.cert_bundle = str(server.certificate)  # type: ignore[attr-defined]
    senders[Channel.EMAIL] = pair
    return Runtime(settings=settings, policy=runtime.policy, senders=senders, now=runtime.now)


async def show_notice(
    runtime: Runtime, show_sent: Callable[[], list[OutgoingMessage]], out: Callable[[str], None]
) -> bool:
    """`show_sent` prints what the sandboxes sent since it was last called (bot/demo.py's)."""
    from scheduler.cadence import plan
    from scheduler.dispatch import Dispatcher

    _heading("14. A debtor reaches the formal notice: staff approve it, it goes by PEC", out)
    with tempfile.TemporaryDirectory() as tls, _pec_server(Path(tls)) as server:
        live = _with_pec_mailbox(runtime, server)
        debtor = await _debtor_at_final_step(live.now())
        out(f"   {debtor.name}: two invoices 68 and 75 days late, three reminders already sent")
        await plan(live)
        notice = await FormalNotice.get_or_none(debtor_id=debtor.id)
        if notice is None:
            out("   no notice was opened")
            return False
        out(f"   the planner opened notice {notice.protocol} (nothing sent to the debtor)")
        await Dispatcher(live).drain()
        cards = [m for m in show_sent() if m.attachments]
        if not cards:
            return False
        await _approve_in_the_staff_chat(live, notice, cards[-1].text, out)
        await notice.refresh_from_db()
        out(f"   the PDF: {notice.pdf_path}")
        await Dispatcher(live).drain()
        show_sent()  # the courteous note in the debtor's chat
        return _show_received(server, out)


def _show_received(server: Any, out: Callable[[str], None]) -> bool:
    if not server.mailbox.received:
        out("   the PEC server received nothing")
        return False
    for recipients, message in server.mailbox.received:
        to = ", ".join(recipients)
        out(f"   the PEC server (127.0.0.1:{server.port}, TLS) received, for {to}:")
        out(textwrap.indent(f"Subject: {message['Subject']}", "   | ", lambda _line: True))
        out(f"   | Message-ID: {message['Message-ID']}")
        for part in message.iter_attachments():
            size = len(part.get_content())
            out(f"   | attachment: {part.get_filename()} ({part.get_content_type()}, {size} bytes)")
    return True
