"""A formal step of the cadence becomes a formal notice waiting for staff, never a message.

When the cadence reaches a step with `formal = true` (scheduler/cadence.py), `open_notice` takes
the claim of the day (bot/escalation/interest.py `load_claim`), gives the notice the year's next
protocol number ("2026/0001"), renders its PDF into the case folder and queues the staff card
with the PDF and the Approve / Edit deadline / Skip buttons (bot/handlers/staff_buttons.py). One
notice a cycle: the cycle's cadence key is unique on the notice, so planning again is a no-op.
A debtor with no e-mail or PEC address gets a notice too (status `no_address`): the card says so,
the notice is not skipped in silence. Only an approved notice is sent (bot/decisions/notices.py,
bot/escalation/notice_sending.py). See docs/notice.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.channels.base import Option
from bot.escalation.claims import load_claim
from bot.escalation.notice_document import claim_snapshot, render_pdf, write_pdf
from bot.models import (
    ContactPoint,
    Debtor,
    FormalNotice,
    Message,
    NoticeChannel,
    NoticeStatus,
)
from bot.outbox import attachments_payload, queue_staff_alert
from bot.providers.email.sender import choose_email_contact
from bot.runtime import Runtime
from bot.texts import render

CARD_TEMPLATE = "staff/notice_card.txt"
OPEN_STATUSES = (NoticeStatus.PENDING, NoticeStatus.NO_ADDRESS)
_PROTOCOL_ATTEMPTS = 5


def protocol_of(year: int, sequence: int) -> str:
    return f"{year}/{sequence:04d}"


def notice_channel(point: ContactPoint | None, pec_mailbox: bool) -> NoticeChannel | None:
    """How a notice to this address goes: by PEC only from a PEC mailbox to a PEC address."""
    if point is None:
        return None
    return NoticeChannel.PEC if point.is_pec and pec_mailbox else NoticeChannel.EMAIL


async def notice_address(debtor_id: int) -> ContactPoint | None:
    """Where a formal notice goes: a PEC address first, else an ordinary e-mail; None if none."""
    return choose_email_contact(await ContactPoint.filter(debtor_id=debtor_id), formal=True)


async def _next_sequence(year: int) -> int:
    last = await FormalNotice.filter(year=year).order_by("-sequence").first()
    return (last.sequence if last else 0) + 1


async def open_notice(
    runtime: Runtime, debtor_id: int, step: str, cycle_key: str
) -> FormalNotice | None:
    """The notice for this cycle, rendered and on the staff card; None when it exists already
    or nothing is overdue any more."""
    if await FormalNotice.exists(cycle_key=cycle_key):
        return None
    today = runtime.today()
    claim = await load_claim(debtor_id, today, runtime.policy)
    if not claim.lines:
        return None
    debtor = await Debtor.get(id=debtor_id)
    point = await notice_address(debtor_id)
    deadline = today + dt.timedelta(days=runtime.policy.notice.deadline_days)
    for _ in range(_PROTOCOL_ATTEMPTS):
        try:
            async with in_transaction():
                if await FormalNotice.exists(cycle_key=cycle_key):
                    return None
                sequence = await _next_sequence(today.year)
                notice = await FormalNotice.create(
                    debtor_id=debtor_id,
                    protocol=protocol_of(today.year, sequence),
                    year=today.year,
                    sequence=sequence,
                    cycle_key=cycle_key,
                    step=step,
                    status=NoticeStatus.PENDING if point else NoticeStatus.NO_ADDRESS,
                    language=debtor.language if debtor.language in ("it", "en") else "it",
                    issued_on=today,
                    deadline=deadline,
                    claim=claim_snapshot(claim),
                    principal_cents=claim.principal_cents,
                    interest_cents=claim.interest_cents,
                    compensation_cents=claim.compensation_cents,
                    total_cents=claim.total_cents,
                    currency=claim.lines[0].currency,
                    address=point.address if point else "",
                    channel=notice_channel(point, runtime.settings.pec_enabled),
                )
                await refresh_document(runtime, notice, debtor)
                await queue_card(runtime, notice, debtor)
                return notice
        except IntegrityError:
            continue  # another planner took the number (or the cycle): read again
    raise RuntimeError(f"no protocol number for {cycle_key} after {_PROTOCOL_ATTEMPTS} tries")


async def refresh_document(runtime: Runtime, notice: FormalNotice, debtor: Debtor) -> bytes:
    """Render the notice's PDF as it stands (deadline, address) into the case folder."""
    pdf, _ = render_pdf(notice, debtor, runtime.settings, pec=notice.channel is NoticeChannel.PEC)
    notice.pdf_path = str(write_pdf(notice, debtor, runtime.settings, pdf))
    await notice.save()
    return pdf


def card_options(notice: FormalNotice, language: str) -> list[Option]:
    return [
        Option(
            key=f"notice:{action}:{notice.id}",
            label=render(f"staff/buttons/notice_{action}.txt", language).strip(),
        )
        for action in ("approve", "deadline", "skip")
    ]


def card_text(runtime: Runtime, notice: FormalNotice, debtor: Debtor) -> str:
    return render(
        CARD_TEMPLATE,
        runtime.settings.default_language,
        protocol=notice.protocol,
        debtor_name=debtor.name,
        debtor_ref=debtor.external_ref,
        total_cents=notice.total_cents,
        principal_cents=notice.principal_cents,
        interest_cents=notice.interest_cents,
        compensation_cents=notice.compensation_cents,
        currency=notice.currency,
        invoice_count=len(notice.claim.get("lines", ())),
        deadline=notice.deadline,
        channel=notice.channel.value if notice.channel else "",
        address=notice.address,
        pec_mailbox=runtime.settings.pec_enabled,
    )


async def queue_card(runtime: Runtime, notice: FormalNotice, debtor: Debtor) -> Message | None:
    """The staff card: the PDF (sent as a document) with the card's text and buttons."""
    from bot.escalation.notice_document import pdf_attachment

    language = runtime.settings.default_language
    # A fresh card whenever what it shows changes (the deadline, the address, the amounts).
    shown = f"{notice.deadline.isoformat()}:{notice.total_cents}:{notice.address}"
    key = f"notice-card:{notice.id}:{shown}"
    row = await queue_staff_alert(
        CARD_TEMPLATE,
        {"notice_id": notice.id},
        now=runtime.now(),
        debtor=debtor,
        options=card_options(notice, language),
        idempotency_key=key,
    )
    if row is not None:
        row.body = card_text(runtime, notice, debtor)
        row.attachments = attachments_payload([pdf_attachment(notice)])
        await row.save(update_fields=["body", "attachments"])
    return row


async def open_notices(runtime: Runtime, cycles: Iterable[tuple[int, str, str]]) -> set[str]:
    """Notices for the cadence's formal steps, (debtor id, step, cadence key) each; the keys of
    those opened now."""
    opened: set[str] = set()
    for debtor_id, step, key in cycles:
        if await open_notice(runtime, debtor_id, step, key) is not None:
            opened.add(key)
    return opened


async def refresh_claim(runtime: Runtime, notice: FormalNotice, debtor: Debtor) -> str:
    """Before a notice goes: "" when what it claims is still owed; "settled" when nothing it
    lists is owed any more; "changed" when a payment (or a new overdue invoice) changed the
    principal: the notice then takes today's claim and date (the same number of days to pay),
    its PDF is rendered again and a fresh card queued, for staff to look at before approving."""
    from bot.escalation.notice_document import claim_of

    today = runtime.today()
    claim = await load_claim(debtor.id, today, runtime.policy)
    if not claim.lines:
        return "settled"
    then = {line.invoice_id: line.principal_cents for line in claim_of(notice).lines}
    if {line.invoice_id: line.principal_cents for line in claim.lines} == then:
        return ""
    notice.deadline = today + (notice.deadline - notice.issued_on)
    notice.issued_on = today
    notice.claim = claim_snapshot(claim)
    notice.principal_cents = claim.principal_cents
    notice.interest_cents = claim.interest_cents
    notice.compensation_cents = claim.compensation_cents
    notice.total_cents = claim.total_cents
    await refresh_document(runtime, notice, debtor)
    await queue_card(runtime, notice, debtor)
    return "changed"
