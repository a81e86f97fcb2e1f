"""Handing a case to a collection agency or a lawyer (`/handoff REF`, `python -m bot case handoff
REF`): the cadence stops for the debtor for good, the case is marked outsourced (who, when,
audited), and the export package is written (bot/escalation/handoff_package.py).

What "stops" means: planning skips the debtor (scheduler/selection.py reads `outsourced_at`),
the debtor's pending outbox rows are cancelled now ("cancelled: outsourced"), and the outbox worker
cancels any debtor row still reaching it later (a promise or instalment check, a receipt), so
nothing more is sent to the debtor. Staff alerts about the debtor still go. Payments that still
arrive are recorded and allocated as usual (bot/payments/), and staff are told of them as usual.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from bot.config import Settings
from bot.escalation.evidence import case_folder
from bot.escalation.handoff_figures import CaseFigures, case_figures
from bot.escalation.handoff_package import HANDOFF_DIR, write_package
from bot.models import AuditEvent, Debtor, Invoice, Message, MessageStatus, Payment
from bot.outbox import DEBTOR

OUTSOURCED = "outsourced"


class AlreadyOutsourced(Exception):
    """The case was handed off before: when and by whom."""

    def __init__(self, debtor: Debtor) -> None:
        self.debtor = debtor
        when = debtor.outsourced_at.isoformat(timespec="minutes") if debtor.outsourced_at else "?"
        super().__init__(
            f"{debtor.external_ref} was handed off on {when} by {debtor.outsourced_by or '?'}"
        )


@dataclass(frozen=True)
class Handoff:
    debtor: Debtor
    folder: Path
    archive: Path
    figures: CaseFigures
    cancelled: int  # pending messages to the debtor cancelled


async def _cancel_pending(debtor: Debtor) -> int:
    return await Message.filter(
        debtor_id=debtor.id, audience=DEBTOR, status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED, last_error=f"cancelled: {OUTSOURCED}")


async def outsource(
    settings: Settings,
    debtor: Debtor,
    *,
    actor: str,
    by: str,
    now: dt.datetime,
    language: str,
) -> Handoff:
    """Hand the case off; in one transaction with the package written (a failure leaves the
    debtor chased as before and no package). Raises AlreadyOutsourced."""
    await debtor.refresh_from_db()
    if debtor.outsourced_at is not None:
        raise AlreadyOutsourced(debtor)
    today = now.astimezone(settings.zone).date()
    async with in_transaction():
        debtor.outsourced_at, debtor.outsourced_by = now, by[:100]
        await debtor.save(update_fields=["outsourced_at", "outsourced_by", "updated_at"])
        cancelled = await _cancel_pending(debtor)
        invoices = await Invoice.filter(debtor_id=debtor.id).order_by("due_date", "id")
        payments = await Payment.filter(debtor_id=debtor.id).order_by("received_at", "id")
        figures = case_figures(invoices, payments, today)
        try:
            folder, archive = await write_package(
                settings.var_dir,
                debtor,
                case_folder(settings.var_dir, debtor.external_ref),
                figures,
                invoices=invoices,
                payments=payments,
                language=language,
                company=settings.company_name,
                handed_on=today,
            )
        except OSError:
            for leftover in (settings.var_dir / HANDOFF_DIR).glob(".*.part"):
                shutil.rmtree(leftover, ignore_errors=True)
            raise
        await AuditEvent.create(
            actor=actor,
            action="case.outsourced",
            subject=f"debtor:{debtor.id}",
            data={
                "by": by,
                "cancelled_messages": cancelled,
                "package": str(folder),
                "zip": str(archive),
                "open_cents": figures.open_cents,
            },
        )
    return Handoff(debtor, folder, archive, figures, cancelled)
