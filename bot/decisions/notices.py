"""Staff deciding on a formal notice (bot/escalation/notice.py): Approve sends it (by PEC when the
debtor has a PEC address), Skip leaves it unsent, a new deadline renders the PDF again and
refreshes the card. Any active staff member who is not a viewer decides (a notice concedes
nothing, so no approval limit applies); every press is audited, and a second press says who
decided first."""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from bot.decisions.common import Decision, Verdict, already_decided, audit, check_authority
from bot.decisions.common import name_of as name_of_staff
from bot.escalation.notice import (
    OPEN_STATUSES,
    notice_address,
    notice_channel,
    queue_card,
    refresh_claim,
    refresh_document,
)
from bot.escalation.notice_sending import queue_notice
from bot.flows.promise import parse_date
from bot.models import Debtor, FormalNotice, NoticeStatus, StaffMember
from bot.runtime import Runtime

MAX_DEADLINE_DAYS = 90


def subject_of(notice: FormalNotice) -> str:
    return f"notice:{notice.id}"


async def _locked_open(
    notice: FormalNotice, staff: StaffMember | None, action: str
) -> FormalNotice | Decision:
    """Inside a transaction: the notice, locked, while it waits for staff; else the answer."""
    subject = subject_of(notice)
    locked = await FormalNotice.filter(id=notice.id).select_for_update().first()
    if locked is None:
        return Decision(Verdict.INVALID, subject, detail="missing")
    if locked.status not in OPEN_STATUSES:
        return await already_decided(
            staff,
            action,
            subject,
            locked.status.value,
            locked.decided_by_id,  # type: ignore[attr-defined]
        )
    return locked


async def approve_notice(
    runtime: Runtime, notice: FormalNotice, staff: StaffMember | None
) -> Decision:
    """Send the notice: into the outbox, to the debtor's PEC (else e-mail) address."""
    subject = subject_of(notice)
    refused = await check_authority(staff, "notice.approve", subject, 0, notice.currency)
    if refused is not None:
        return refused
    async with in_transaction():
        locked = await _locked_open(notice, staff, "notice.approve")
        if isinstance(locked, Decision):
            return locked
        debtor = await Debtor.get(id=locked.debtor_id)  # type: ignore[attr-defined]
        point = await notice_address(debtor.id)
        if point is None:
            locked.status = NoticeStatus.NO_ADDRESS
            await locked.save()
            await audit(staff, "notice.approve.no_address", subject, protocol=locked.protocol)
            return Decision(Verdict.INVALID, subject, name_of_staff(staff), detail="no_address")
        stands = await refresh_claim(runtime, locked, debtor)
        if stands:  # paid meanwhile: never claim what is no longer owed
            if stands == "settled":
                locked.status = NoticeStatus.SKIPPED
            await locked.save()
            await audit(staff, f"notice.approve.{stands}", subject, protocol=locked.protocol)
            return Decision(Verdict.INVALID, subject, name_of_staff(staff), detail=stands)
        channel = notice_channel(point, runtime.settings.pec_enabled)
        if point.address != locked.address or channel is not locked.channel:
            locked.address, locked.channel = point.address, channel
            await refresh_document(runtime, locked, debtor)  # the PDF names where it goes
        row = await queue_notice(runtime, locked, debtor, point)
        locked.status = NoticeStatus.APPROVED
        locked.decided_by = staff  # type: ignore[assignment]
        locked.decided_at = runtime.now()
        locked.message = row  # type: ignore[assignment]
        await locked.save()
        await audit(
            staff,
            "notice.approved",
            subject,
            protocol=locked.protocol,
            channel=channel.value if channel else "",
            address=point.address,
        )
    detail = channel.value if channel else ""
    return Decision(
        Verdict.APPROVED, subject, name_of_staff(staff), locked.total_cents, locked.currency, detail
    )


async def skip_notice(
    runtime: Runtime, notice: FormalNotice, staff: StaffMember | None
) -> Decision:
    """Do not send it (the cycle stays at this step: no later step of the cadence follows)."""
    subject = subject_of(notice)
    refused = await check_authority(staff, "notice.skip", subject, 0, notice.currency)
    if refused is not None:
        return refused
    async with in_transaction():
        locked = await _locked_open(notice, staff, "notice.skip")
        if isinstance(locked, Decision):
            return locked
        locked.status = NoticeStatus.SKIPPED
        locked.decided_by = staff  # type: ignore[assignment]
        locked.decided_at = runtime.now()
        await locked.save()
        await audit(staff, "notice.skipped", subject, protocol=locked.protocol)
    return Decision(Verdict.SKIPPED, subject, name_of_staff(staff))


def deadline_from(text: str, issued_on: dt.date, today: dt.date) -> dt.date | None:
    """A number of days from the notice's date ("20") or a date; None when neither."""
    words = text.strip().lower().removesuffix("giorni").removesuffix("days").strip()
    if words.isdigit():
        return issued_on + dt.timedelta(days=int(words))
    return parse_date(text, "it", today, prefer="future") or parse_date(
        text, "en", today, prefer="future"
    )


async def set_deadline(
    runtime: Runtime, notice: FormalNotice, staff: StaffMember | None, deadline: dt.date
) -> Decision:
    """A new deadline: the PDF rendered again and a fresh card queued."""
    subject = subject_of(notice)
    refused = await check_authority(staff, "notice.deadline", subject, 0, notice.currency)
    if refused is not None:
        return refused
    if not notice.issued_on < deadline <= notice.issued_on + dt.timedelta(MAX_DEADLINE_DAYS):
        await audit(staff, "notice.deadline.invalid", subject, deadline=deadline.isoformat())
        return Decision(Verdict.INVALID, subject, name_of_staff(staff), detail="deadline")
    async with in_transaction():
        locked = await _locked_open(notice, staff, "notice.deadline")
        if isinstance(locked, Decision):
            return locked
        debtor = await Debtor.get(id=locked.debtor_id)  # type: ignore[attr-defined]
        locked.deadline = deadline
        await refresh_document(runtime, locked, debtor)
        await queue_card(runtime, locked, debtor)
        await audit(staff, "notice.deadline", subject, deadline=deadline.isoformat())
    return Decision(
        Verdict.DEADLINE_SET, subject, name_of_staff(staff), detail=deadline.isoformat()
    )
