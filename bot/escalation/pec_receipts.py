"""PEC receipts recorded: matched to the notice they are about, kept in the database and as files
in the case folder, and told to staff. Polling the mailbox for them is `poll_mailbox`.

A receipt refers to the Message-ID of the message it certifies (X-Riferimento-Message-ID, and
<msgid> in its daticert.xml); our e-mail sender stores that Message-ID as the outbound row's
provider id, so any outbound e-mail row can be matched. What happens then:
- avvenuta-consegna (delivered): staff are shown it (`staff/pec_delivered.txt`);
- non-accettazione, errore-consegna, preavviso-errore-consegna: staff are alerted (`pec_failed`);
- accettazione, presa-in-carico: recorded and kept as evidence, no message;
- a receipt that matches no message of ours, or whose daticert.xml was refused: kept (the .eml
  under VAR_DIR/pec/unmatched/) and reported to staff (`pec_unmatched`), never dropped.
A receipt already recorded (the same receipt's Message-ID) is passed over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from bot import clock
from bot.config import Settings
from bot.escalation.evidence import case_folder
from bot.escalation.pec_format import DELIVERED, FAILURE_KINDS, Receipt, read_receipt
from bot.models import Channel, Debtor, Direction, Message, PecMailbox, PecReceipt
from bot.outbox import queue_staff_alert
from bot.providers.pec.imap import fetch_new

log = logging.getLogger(__name__)

RECEIPTS_DIR = "receipts"
UNMATCHED_DIR = Path("pec") / "unmatched"


class Outcome(StrEnum):
    RECORDED = "recorded"  # matched to a notice and kept
    UNMATCHED = "unmatched"  # kept, no message of ours matches it: staff told
    REFUSED = "refused"  # its daticert.xml could not be trusted: kept, staff told
    DUPLICATE = "duplicate"  # recorded before
    NOT_RECEIPT = "not_receipt"  # an ordinary e-mail in the mailbox: left alone


async def notice_for(msgid: str) -> Message | None:
    """The outbound e-mail row whose provider id (the SMTP Message-ID) the receipt names."""
    if not msgid:
        return None
    return await Message.filter(
        provider_id=msgid, direction=Direction.OUTBOUND, channel=Channel.EMAIL
    ).first()


def _file_stem(receipt: Receipt, row_id: int, now: dt.datetime) -> str:
    moment = receipt.daticert.issued_at if receipt.daticert and receipt.daticert.issued_at else now
    return f"{moment:%Y%m%d-%H%M%S}_{receipt.kind}_{row_id}"


async def record_receipt(
    var_dir: Path, raw: bytes, *, now: dt.datetime, uid: int | None = None
) -> Outcome:
    """Record one message from the PEC mailbox (see the module's docstring)."""
    receipt = read_receipt(raw)
    if receipt is None:
        return Outcome.NOT_RECEIPT
    if await PecReceipt.exists(receipt_key=receipt.key[:255]):
        return Outcome.DUPLICATE
    notice = await notice_for(receipt.referenced_msgid)
    debtor = None
    if notice is not None and notice.debtor_id is not None:  # type: ignore[attr-defined]
        debtor = await Debtor.get_or_none(id=notice.debtor_id)  # type: ignore[attr-defined]
    folder = (
        case_folder(var_dir, debtor.external_ref) / RECEIPTS_DIR
        if debtor is not None and not receipt.problem
        else var_dir / UNMATCHED_DIR
    )
    data = receipt.daticert
    async with in_transaction():
        row = await PecReceipt.create(
            message=notice,
            debtor=debtor,
            kind=receipt.kind,
            receipt_key=receipt.key[:255],
            referenced_msgid=receipt.referenced_msgid[:255],
            identificativo=(data.identificativo if data else "")[:255],
            issued_at=data.issued_at if data else None,
            recipient=receipt.recipient[:255],
            provider=(data.provider if data else "")[:255],
            error=(data.errore if data else "refused")[:64],
            error_text=receipt.problem or (data.error_text if data else ""),
            imap_uid=uid,
        )
        folder.mkdir(parents=True, exist_ok=True)
        stem = _file_stem(receipt, row.id, now)
        row.eml_path = str(folder / f"{stem}.eml")
        Path(row.eml_path).write_bytes(raw)
        if receipt.xml:
            row.xml_path = str(folder / f"{stem}.daticert.xml")
            Path(row.xml_path).write_bytes(receipt.xml)
        await row.save(update_fields=["eml_path", "xml_path"])
        return await _tell_staff(row, receipt, notice, debtor, now)


async def _tell_staff(
    row: PecReceipt,
    receipt: Receipt,
    notice: Message | None,
    debtor: Debtor | None,
    now: dt.datetime,
) -> Outcome:
    # The time as the certificate gives it (its own zone), not as the database gives it back.
    issued = receipt.daticert.issued_at if receipt.daticert else None
    context: dict[str, Any] = {
        "kind": row.kind,
        "receipt_id": row.id,
        "recipient": row.recipient,
        "identificativo": row.identificativo,
        "referenced_msgid": row.referenced_msgid,
        "issued_date": issued.date().isoformat() if issued else None,
        "issued_time": issued.strftime("%H:%M:%S %z") if issued else "",
        "error": row.error,
        "error_text": row.error_text,
        "file": row.eml_path,
        "debtor_name": debtor.name if debtor else "",
        "debtor_ref": debtor.external_ref if debtor else "",
        "message_id": notice.id if notice else None,
    }
    outcome = Outcome.RECORDED
    template = ""
    if receipt.problem or notice is None:
        outcome = Outcome.REFUSED if receipt.problem else Outcome.UNMATCHED
        template = "staff/pec_unmatched.txt"
        context["reason"] = receipt.problem or "no_notice"
    elif row.kind == DELIVERED:
        template = "staff/pec_delivered.txt"
    elif row.kind in FAILURE_KINDS:
        template = "staff/pec_failed.txt"
    if template:
        await queue_staff_alert(
            template, context, now=now, debtor=debtor, idempotency_key=f"pec-receipt:{row.id}"
        )
    return outcome


def mailbox_name(settings: Settings) -> str:
    return f"{settings.pec_imap_user}@{settings.pec_imap_host}/{settings.pec_imap_folder}"[:255]


async def poll_mailbox(
    settings: Settings, now: Callable[[], dt.datetime] = clock.now
) -> Counter[str]:
    """Read the messages not read yet and record each; the cursor moves with each one, in the
    same transaction, so a crash re-reads at most the message it was on (and that one is
    recognised as a duplicate if it had been recorded). Raises ImapError when the mailbox
    cannot be read."""
    cursor, _ = await PecMailbox.get_or_create(mailbox=mailbox_name(settings))
    fetched = await asyncio.to_thread(fetch_new, settings, cursor.uidvalidity, cursor.last_uid)
    counts: Counter[str] = Counter()
    if fetched.uidvalidity != cursor.uidvalidity:
        if cursor.uidvalidity:
            log.warning("PEC mailbox %s: UIDVALIDITY changed, reading it again", cursor.mailbox)
        cursor.uidvalidity, cursor.last_uid = fetched.uidvalidity, 0
    for uid, raw in fetched.messages:
        async with in_transaction():
            counts[await record_receipt(settings.var_dir, raw, now=now(), uid=uid)] += 1
            cursor.last_uid = uid
            await cursor.save()
    cursor.last_uid = max(cursor.last_uid, fetched.highest)
    await cursor.save()
    return counts
