"""Staff members and the audit trail of what anyone did."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    StaffRole,
)
from bot.models.stamp import Stamp


class StaffMember(Model):
    id = fields.IntField(primary_key=True)
    telegram_user_id = fields.BigIntField(unique=True)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(StaffRole, max_length=16, default=StaffRole.CONTROLLER)
    approval_limit_cents = fields.BigIntField(default=0)
    # Up to how much this member may write off at once (/writeoff); 0: no write-offs.
    writeoff_limit_cents = fields.BigIntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = Stamp(on="create")

    class Meta:
        table = "staff_member"


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=100)  # "staff:12", "debtor:7", "system", "cli"
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=100)  # "plan:3", "invoice:F-2026-001"
    data = fields.JSONField(default=dict)
    created_at = Stamp(on="create", db_index=True)

    class Meta:
        table = "audit_event"
