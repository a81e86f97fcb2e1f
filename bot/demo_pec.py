"""The demo's PEC stage: a formal notice e-mail (the notice stage's outbox row when there is one,
else a row made here) gets its acceptance and delivery receipts read back over IMAP from a local
IMAP4rev1 server the demo starts (bot/providers/pec/local_imap.py), staff are shown the delivery,
`case REF` lists the evidence, and staff hand the case to a lawyer with /handoff REF."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable

from bot.channels.base import OutgoingMessage
from bot.models import Channel, ContactPoint, Debtor, Direction, Invoice, Message, MessageStatus
from bot.runtime import Runtime

PEC_USER = "diffide@pec.sollecito-demo.example.it"
PEC_PASSWORD = "demo-only"


def _heading(title: str, out: Callable[[str], None]) -> None:
    out("")
    out(f"== {title}")


async def _notice(runtime: Runtime, out: Callable[[str], None]) -> Message | None:
    """The notice stage's e-mail if it ran, else one made here for the most overdue debtor."""
    sent = (
        await Message.filter(
            direction=Direction.OUTBOUND,
            channel=Channel.EMAIL,
            provider_id__isnull=False,
            template__contains="notice",
        )
        .order_by("-id")
        .first()
    )
    if sent is not None:
        out(f"   the formal notice sent by PEC: message #{sent.id}, Message-ID {sent.provider_id}")
        return sent
    invoice = (
        await Invoice.filter(status__in=("open", "partially_paid")).order_by("due_date").first()
    )
    if invoice is None:
        return None
    debtor = await Debtor.get(id=invoice.debtor_id)  # type: ignore[attr-defined]
    pec, _ = await ContactPoint.get_or_create(
        debtor=debtor,
        channel=Channel.EMAIL,
        address=f"{debtor.external_ref.lower()}@pec.example.it",
        defaults={"is_pec": True},
    )
    now = runtime.now()
    row = await Message.create(
        debtor=debtor,
        contact_point=pec,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        template="escalation/notice",
        step="final_notice",
        status=MessageStatus.SENT,
        body="Diffida ad adempiere",
        sent_at=now,
        provider_id=f"<demo-notice-{debtor.external_ref.lower()}.sollecito@sollecito-demo.example.it>",
    )
    out(f"   a formal notice e-mail to {debtor.name} at {pec.address} (outbox row #{row.id}, made")
    out(f"   here: no notice stage in this build), Message-ID {row.provider_id}")
    return row


async def show_pec(
    runtime: Runtime,
    show_sent: Callable[[], list[OutgoingMessage]],
    out: Callable[[str], None],
) -> bool:
    """`show_sent` prints what the sandboxes sent since it was last called (bot/demo.py's)."""
    from bot.cli.case import case_text
    from scheduler.dispatch import Dispatcher

    _heading("15. The PEC receipts of a formal notice, read back over IMAP", out)
    notice = await _notice(runtime, out)
    if notice is None:
        out("   no overdue debtor for a notice")
        return False
    debtor = await Debtor.get(id=notice.debtor_id)  # type: ignore[attr-defined]
    await _read_receipts(runtime, notice, debtor, out)
    await Dispatcher(runtime).drain()
    show_sent()
    out(f"   $ python -m bot case {debtor.external_ref}")
    out(textwrap.indent(await case_text(runtime.settings, debtor), "   | ", lambda _l: True))
    await _hand_off(runtime, debtor, out)
    return True


async def _read_receipts(
    runtime: Runtime, notice: Message, debtor: Debtor, out: Callable[[str], None]
) -> None:
    """The provider's receipts put in a local mailbox, then read as the clock job reads them."""
    from bot.escalation.pec_receipts import poll_mailbox
    from bot.providers.pec.local_imap import LocalImapServer
    from bot.providers.pec.sample_receipts import ReceiptSpec, receipt_email

    point = await ContactPoint.get_or_none(id=notice.contact_point_id)  # type: ignore[attr-defined]
    now = runtime.now().astimezone(runtime.settings.zone)
    server = LocalImapServer(PEC_USER, PEC_PASSWORD).start()
    try:
        for minutes, kind in ((1, "accettazione"), (3, "avvenuta-consegna")):
            spec = ReceiptSpec(
                kind,
                str(notice.provider_id),
                PEC_USER,
                point.address if point else "",
                f"Diffida ad adempiere - {debtor.name}",
                now + dt.timedelta(minutes=minutes),
                identificativo=f"opec.demo.{kind}@pec.example.it",
            )
            uid = server.mailbox.add(receipt_email(spec))
            out(f"   the provider's mailbox gets the receipt «{kind}» (IMAP UID {uid})")
        server.mailbox.add(b"From: someone@example.it\r\nSubject: not a receipt\r\n\r\nhello\r\n")
        settings = runtime.settings.model_copy(
            update={
                "pec_imap_host": "127.0.0.1",
                "pec_imap_port": server.port,
                "pec_imap_user": PEC_USER,
                "pec_imap_password": PEC_PASSWORD,
                "pec_imap_security": "none",
            }
        )
        counts = await poll_mailbox(settings, runtime.now)
        again = await poll_mailbox(settings, runtime.now)
    finally:
        server.stop()
    read = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    out(f"   read over IMAP (127.0.0.1:{server.port}): {read}")
    out(f"   a second poll reads {sum(again.values())}: the last UID read is kept")


async def _hand_off(runtime: Runtime, debtor: Debtor, out: Callable[[str], None]) -> None:
    from bot.escalation.outsourcing import outsource
    from bot.handlers.staff_commands import StaffCommands

    _heading(f"16. Staff hand the case to a lawyer: /handoff {debtor.external_ref}", out)
    done = await outsource(
        runtime.settings,
        debtor,
        actor="demo",
        by="Anna (demo)",
        now=runtime.now(),
        language=runtime.settings.default_language,
    )
    text = StaffCommands(runtime).text(
        "outsourced.txt",
        debtor=debtor,
        by="Anna (demo)",
        cancelled=done.cancelled,
        figures=done.figures,
        folder=done.folder,
        archive=done.archive,
        zip_attached=False,
    )
    out(textwrap.indent(text, "   | ", lambda _l: True))
    files = sorted(p.name for p in done.folder.iterdir())
    out(f"   the package holds: {', '.join(files)}")
