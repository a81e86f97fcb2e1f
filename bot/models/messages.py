"""The message log (outbox, sent and inbound messages alike) and each conversation's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    Channel,
    Direction,
    MessageStatus,
)
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import ContactPoint, Debtor


class Message(Model):
    """One table for the outbox and the log, outbound and inbound alike."""

    id = fields.BigIntField(primary_key=True)
    debtor: fields.ForeignKeyNullableRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    contact_point: fields.ForeignKeyNullableRelation[ContactPoint] = fields.ForeignKeyField(
        "models.ContactPoint", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    direction = fields.CharEnumField(Direction, max_length=3)
    # "debtor": goes to a contact point of the debtor; "staff": goes to the staff chat.
    audience = fields.CharField(max_length=8, default="debtor")
    channel = fields.CharEnumField(Channel, max_length=16, null=True)  # chosen at dispatch
    template = fields.CharField(max_length=64, default="")
    step = fields.CharField(max_length=64, default="")  # the policy step that planned it
    context = fields.JSONField(default=dict)  # what the template needs (invoice ids, totals)
    body = fields.TextField(default="")  # rendered text as sent, or the text received
    options = fields.JSONField(default=list)  # reply options offered (outbound)
    chosen_option = fields.CharField(max_length=64, default="")  # button pressed (inbound)
    attachments = fields.JSONField(default=list)
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.PENDING)
    provider_id = fields.CharField(max_length=128, null=True, db_index=True)
    # Outbound: (debtor, step, cycle) and the like; inbound: provider + delivery id.
    idempotency_key = fields.CharField(max_length=200, unique=True, null=True)
    scheduled_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    last_error = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "message"
        indexes = (("status", "scheduled_at"), ("debtor_id", "direction", "sent_at"))


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.OneToOneRelation[Debtor] = fields.OneToOneField(
        "models.Debtor", related_name="conversation", on_delete=fields.CASCADE
    )
    flow = fields.CharField(max_length=64, default="idle")
    state = fields.JSONField(default=dict)
    channel = fields.CharEnumField(Channel, max_length=16, null=True)  # where the debtor last spoke
    updated_at = Stamp(on="save")

    class Meta:
        table = "conversation"
