"""The staff register: who may decide in the staff chat, and up to which amount."""

from __future__ import annotations

from bot.models import AuditEvent, StaffMember, StaffRole


async def register_staff(
    telegram_user_id: int, name: str, role: StaffRole, approval_limit_cents: int, *, actor: str
) -> tuple[StaffMember, bool]:
    """Add a staff member or update one already registered; returns (member, created)."""
    member, created = await StaffMember.update_or_create(
        telegram_user_id=telegram_user_id,
        defaults={
            "name": name,
            "role": role,
            "approval_limit_cents": approval_limit_cents,
            "active": True,
        },
    )
    await AuditEvent.create(
        actor=actor,
        action="staff.registered" if created else "staff.updated",
        subject=f"staff:{member.id}",
        data={
            "telegram_user_id": telegram_user_id,
            "role": role.value,
            "approval_limit_cents": approval_limit_cents,
        },
    )
    return member, created


async def deactivate_staff(telegram_user_id: int, *, actor: str) -> bool:
    updated = await StaffMember.filter(telegram_user_id=telegram_user_id).update(active=False)
    if updated:
        await AuditEvent.create(
            actor=actor, action="staff.deactivated", subject=f"telegram:{telegram_user_id}"
        )
    return bool(updated)


async def active_staff() -> list[StaffMember]:
    return await StaffMember.filter(active=True).order_by("name")


def may_approve(member: StaffMember | None, amount_cents: int) -> bool:
    """Only active staff whose limit covers the amount decide; viewers never do."""
    return (
        member is not None
        and member.active
        and member.role is not StaffRole.VIEWER
        and amount_cents <= member.approval_limit_cents
    )
