"""What every staff decision shares: the authority check, the audit, the lock on the row decided
and the `Decision` the staff chat answers with.

Each decision checks the authority (only registered active staff whose approval limit covers the
amount decide, `bot.staff.may_approve`), is idempotent (deciding something already decided changes
nothing and says who decided it), writes an AuditEvent for every press, refused ones included,
and tells the debtor on the debtor's channel (`bot.conversations.notify.tell_debtor`) after the
change is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from bot.models import AuditEvent, DiscountRequest, Dispute, PaymentClaim, PaymentPlan, StaffMember
from bot.staff import may_approve

# What staff decide on, locked while they do.
Row = TypeVar("Row", DiscountRequest, PaymentClaim, Dispute, PaymentPlan)


class Verdict(StrEnum):
    """What a press did; the staff chat answers with templates/<lang>/staff/decision/<verdict>."""

    APPROVED = "approved"
    REJECTED = "rejected"
    COUNTERED = "countered"
    CONFIRMED = "confirmed"
    NOT_FOUND = "not_found"
    RESOLVED = "resolved"
    INVOICE_CANCELLED = "invoice_cancelled"
    CHASING_RESUMED = "chasing_resumed"
    SKIPPED = "skipped"  # a formal notice staff chose not to send
    DEADLINE_SET = "deadline_set"  # a formal notice's deadline changed, its PDF rendered again
    ALREADY_DECIDED = "already_decided"
    NOT_ALLOWED = "not_allowed"  # not registered, inactive, viewer, or limit too low
    INVALID = "invalid"  # counter terms the policy does not allow, or nothing left to decide


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    subject: str  # "plan:3"
    by: str = ""  # who decided: the presser, or for ALREADY_DECIDED the earlier decider
    amount_cents: int = 0
    currency: str = "EUR"
    detail: str = ""  # for INVALID: which rule; for NOT_ALLOWED: why

    @property
    def changed(self) -> bool:
        return self.verdict not in (Verdict.ALREADY_DECIDED, Verdict.NOT_ALLOWED, Verdict.INVALID)


def actor_of(staff: StaffMember | None) -> str:
    return f"staff:{staff.id}" if staff is not None else "system"


def name_of(staff: StaffMember | None) -> str:
    return staff.name if staff is not None else ""


def refusal(staff: StaffMember | None, amount_cents: int) -> str:
    """Why `staff` may not decide on `amount_cents`; "" when they may."""
    if may_approve(staff, amount_cents):
        return ""
    if staff is None:
        return "not_registered"
    if not staff.active:
        return "inactive"
    if amount_cents > staff.approval_limit_cents:
        return "limit"
    return "role"


async def audit(staff: StaffMember | None, action: str, subject: str, **data: Any) -> None:
    await AuditEvent.create(actor=actor_of(staff), action=action, subject=subject, data=data)


async def decider_name(staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    member = await StaffMember.get_or_none(id=staff_id)
    return member.name if member else ""


async def refused_by(
    staff: StaffMember | None, action: str, subject: str, amount: int, currency: str, why: str
) -> Decision:
    await audit(staff, f"{action}.refused", subject, reason=why, amount_cents=amount)
    return Decision(Verdict.NOT_ALLOWED, subject, name_of(staff), amount, currency, why)


async def check_authority(
    staff: StaffMember | None, action: str, subject: str, amount: int, currency: str
) -> Decision | None:
    """None when `staff` may decide on `amount`; otherwise the refusal, audited."""
    why = refusal(staff, amount)
    return await refused_by(staff, action, subject, amount, currency, why) if why else None


async def already_decided(
    staff: StaffMember | None, action: str, subject: str, status: str, decided_by_id: int | None
) -> Decision:
    name = await decider_name(decided_by_id)
    await audit(staff, f"{action}.already_decided", subject, status=status, decided_by=name)
    return Decision(Verdict.ALREADY_DECIDED, subject, name, detail=status)


async def lock_undecided(
    model: type[Row],
    row_id: int,
    subject: str,
    staff: StaffMember | None,
    action: str,
    undecided: tuple[StrEnum, ...],
    decider_field: str = "decided_by_id",
) -> Row | Decision:
    """Inside a transaction: the row, locked, while it still waits for a decision; otherwise the
    Decision to answer (missing, or already decided by whom), audited."""
    locked = await model.filter(id=row_id).select_for_update().first()
    if locked is None:
        return Decision(Verdict.INVALID, subject, detail="missing")
    if locked.status not in undecided:
        decider = getattr(locked, decider_field)
        return await already_decided(staff, action, subject, locked.status.value, decider)
    return locked
