"""A case's evidence, as `python -m bot case REF` lists it: the files in the debtor's case folder
(the formal notices' PDFs, the receipts' .eml and daticert.xml), the PEC receipts recorded, and
the notices sent by e-mail with their delivery state as the receipts tell it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.escalation.evidence import case_folder
from bot.escalation.pec_format import ACCEPTED, DELIVERED, FAILURE_KINDS
from bot.models import Channel, ContactPoint, Debtor, Direction, Message, PecReceipt

# Delivery state of a notice, from its receipts (strongest first).
DELIVERED_STATE, FAILED, ACCEPTED_STATE, NO_RECEIPT = "delivered", "failed", "accepted", "none"


@dataclass(frozen=True)
class CaseFile:
    name: str  # relative to the case folder
    size: int
    kind: str  # "pdf", "receipt" (.eml, daticert.xml) or "other"


@dataclass(frozen=True)
class NoticeLine:
    message_id: int
    template: str
    status: str  # the outbox row's status
    sent_at: dt.datetime | None
    address: str
    pec: bool
    delivery: str  # delivered | failed | accepted | none


@dataclass(frozen=True)
class CaseEvidence:
    debtor: Debtor
    folder: Path
    files: tuple[CaseFile, ...]
    receipts: tuple[PecReceipt, ...]
    notices: tuple[NoticeLine, ...]


def _kind(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        return "pdf"
    if path.suffix.lower() in (".eml", ".xml"):
        return "receipt"
    return "other"


def case_files(folder: Path) -> tuple[CaseFile, ...]:
    if not folder.is_dir():
        return ()
    return tuple(
        CaseFile(str(path.relative_to(folder)), path.stat().st_size, _kind(path))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


def delivery_state(kinds: set[str]) -> str:
    if DELIVERED in kinds:
        return DELIVERED_STATE
    if kinds & FAILURE_KINDS:
        return FAILED
    if ACCEPTED in kinds or "presa-in-carico" in kinds:
        return ACCEPTED_STATE
    return NO_RECEIPT


async def load_case(var_dir: Path, debtor: Debtor) -> CaseEvidence:
    folder = case_folder(var_dir, debtor.external_ref)
    receipts = tuple(await PecReceipt.filter(debtor_id=debtor.id).order_by("issued_at", "id"))
    by_message: dict[int, set[str]] = {}
    for r in receipts:
        if r.message_id is not None:  # type: ignore[attr-defined]
            by_message.setdefault(r.message_id, set()).add(r.kind)  # type: ignore[attr-defined]
    pec_points = set(
        await ContactPoint.filter(debtor_id=debtor.id, is_pec=True).values_list("id", flat=True)
    )
    emails = await Message.filter(
        debtor_id=debtor.id, direction=Direction.OUTBOUND, channel=Channel.EMAIL
    ).order_by("created_at", "id")
    notices = []
    for m in emails:
        pec = m.contact_point_id in pec_points  # type: ignore[attr-defined]
        if not pec and m.id not in by_message and "notice" not in m.template:
            continue  # an everyday reminder by ordinary e-mail is not evidence
        address = str(m.context.get("address", "")) if isinstance(m.context, dict) else ""
        notices.append(
            NoticeLine(
                m.id,
                m.template,
                m.status.value,
                m.sent_at,
                address,
                pec,
                delivery_state(by_message.get(m.id, set())),
            )
        )
    return CaseEvidence(debtor, folder, case_files(folder), receipts, tuple(notices))
