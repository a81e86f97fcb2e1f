"""Who may decide: only active staff, not viewers, within their limit."""

from __future__ import annotations

from bot.models import AuditEvent, StaffMember, StaffRole
from bot.staff import may_approve, register_staff


async def test_register_then_update_is_audited(db: str) -> None:
    member, created = await register_staff(7, "Anna", StaffRole.CONTROLLER, 100_000, actor="cli")
    assert created
    again, created = await register_staff(7, "Anna B.", StaffRole.ADMIN, 500_000, actor="cli")
    assert not created and again.id == member.id
    stored = await StaffMember.get(telegram_user_id=7)
    assert (stored.name, stored.role, stored.approval_limit_cents) == ("Anna B.", "admin", 500_000)
    actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
    assert actions == ["staff.registered", "staff.updated"]


def test_may_approve_respects_role_limit_and_activity() -> None:
    controller = StaffMember(
        telegram_user_id=1,
        name="A",
        role=StaffRole.CONTROLLER,
        approval_limit_cents=300_000,
        active=True,
    )
    assert may_approve(controller, 300_000)
    assert not may_approve(controller, 300_001)
    assert not may_approve(None, 1)
    viewer = StaffMember(
        telegram_user_id=2, name="V", role=StaffRole.VIEWER, approval_limit_cents=10**9, active=True
    )
    assert not may_approve(viewer, 1)
    gone = StaffMember(
        telegram_user_id=3, name="G", role=StaffRole.ADMIN, approval_limit_cents=10**9, active=False
    )
    assert not may_approve(gone, 1)
