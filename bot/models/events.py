"""Provider events: those processed (for idempotency) and those parked because they did not fit."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp


class ProcessedEvent(Model):
    """Provider event ids already handled: a retried webhook delivery is recognised here."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=255)
    processed_at = Stamp(on="create")

    class Meta:
        table = "processed_event"
        unique_together = (("provider", "event_id"),)


class ParkedEvent(Model):
    """An authentic webhook event that did not fit its schema: answered 2xx so the provider stops
    redelivering, kept here with the reason, shown to staff, replayable after a fix."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=16)  # telegram | twilio | stripe
    kind = fields.CharField(max_length=48)  # the provider's event kind, or "unknown"
    reason = fields.CharField(max_length=300)
    payload = fields.TextField()  # the raw body as received
    payload_encoding = fields.CharField(max_length=8, default="utf-8")  # utf-8 | base64
    # sha256 of provider and body: a redelivery of the same body is parked once.
    fingerprint = fields.CharField(max_length=64, unique=True)
    received_at = Stamp(on="create")
    replayed_at = fields.DatetimeField(null=True)
    replay_outcome = fields.CharField(max_length=64, default="")

    class Meta:
        table = "parked_event"
