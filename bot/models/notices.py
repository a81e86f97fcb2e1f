"""The formal notice (diffida ad adempiere / costituzione in mora): one document per debtor and
cycle, with its protocol number, the claim as it stood, who approved or skipped it, and the
outbox row it went out as (bot/escalation/notice.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import NoticeChannel, NoticeStatus
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.messages import Message
    from bot.models.staff import StaffMember


class FormalNotice(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="formal_notices", on_delete=fields.CASCADE
    )
    # "2026/0001": the year's sequence (`year` and `sequence` hold it as numbers).
    protocol = fields.CharField(max_length=16, unique=True)
    year = fields.SmallIntField()
    sequence = fields.IntField()
    # The cadence cycle it belongs to (`cadence:<debtor>:<step>:<anchor invoice>`): one a cycle.
    cycle_key = fields.CharField(max_length=200, unique=True)
    step = fields.CharField(max_length=64, default="")
    status = fields.CharEnumField(NoticeStatus, max_length=16, default=NoticeStatus.PENDING)
    language = fields.CharField(max_length=2, default="it")
    issued_on = fields.DateField()  # the notice's date (the claim's day)
    deadline = fields.DateField()  # pay by this day
    # The claim as it stood on `issued_on` (bot/escalation/claim.py), as the PDF shows it.
    claim = fields.JSONField(default=dict)
    principal_cents = fields.BigIntField(default=0)
    interest_cents = fields.BigIntField(default=0)
    compensation_cents = fields.BigIntField(default=0)
    total_cents = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=3, default="EUR")
    pdf_path = fields.CharField(max_length=500, default="")
    channel = fields.CharEnumField(NoticeChannel, max_length=8, null=True)
    address = fields.CharField(max_length=255, default="")  # where it went
    decided_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="notices_decided", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="formal_notices", null=True, on_delete=fields.SET_NULL
    )
    sent_at = fields.DatetimeField(null=True)
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "formal_notice"
        unique_together = (("year", "sequence"),)
