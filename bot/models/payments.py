"""Payments received, how they were allocated to invoices, and the pay links that ask for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    PaymentMethod,
    PaymentStatus,
)
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.arrangements import Instalment
    from bot.models.debtors import Debtor
    from bot.models.invoices import Invoice


class Payment(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="payments", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    method = fields.CharEnumField(PaymentMethod, max_length=16)
    status = fields.CharEnumField(PaymentStatus, max_length=16, default=PaymentStatus.SUCCEEDED)
    # Stripe PaymentIntent id, bank transaction reference...; unique so a payment lands once.
    provider_ref = fields.CharField(max_length=255, unique=True, null=True)
    received_at = fields.DatetimeField()
    # What could not be allocated to any invoice: flagged to staff, never lost.
    unallocated_cents = fields.BigIntField(default=0)
    note = fields.TextField(default="")
    created_at = Stamp(on="create")

    allocations: fields.ReverseRelation[PaymentAllocation]

    class Meta:
        table = "payment"


class PaymentAllocation(Model):
    id = fields.IntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.CASCADE
    )
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="allocations", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()

    class Meta:
        table = "payment_allocation"
        unique_together = (("payment", "invoice"),)


class PayLink(Model):
    """A durable pay link: /pay/<token>. Each click opens a fresh checkout for what is owed then."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=32, unique=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="pay_links", on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=16)  # balance | discount | instalment
    invoice_ids = fields.JSONField(default=list)
    # For a discount: the discounted amount and the last day it holds.
    amount_cents = fields.BigIntField(null=True)
    valid_until = fields.DateField(null=True)
    instalment: fields.ForeignKeyNullableRelation[Instalment] = fields.ForeignKeyField(
        "models.Instalment", related_name="pay_links", null=True, on_delete=fields.SET_NULL
    )
    # The Checkout Session the last click opened: expired when the next click opens another,
    # so two open sessions cannot both be paid.
    checkout_session_id = fields.CharField(max_length=255, default="")
    created_at = Stamp(on="create")

    class Meta:
        table = "pay_link"
