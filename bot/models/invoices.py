"""Invoices. Money is integer cents plus an ISO currency code; never a float."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    InvoiceStatus,
)
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor


class Invoice(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=64, unique=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="invoices", on_delete=fields.RESTRICT
    )
    issue_date = fields.DateField()
    due_date = fields.DateField(db_index=True)
    amount_cents = fields.BigIntField()
    paid_cents = fields.BigIntField(default=0)
    # An early-payment discount granted when the discounted amount was paid: no longer owed.
    discount_cents = fields.BigIntField(default=0)
    # Closed by staff as not collectable (bot/writeoffs.py): no longer owed, never money received.
    written_off_cents = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=3, default="EUR")
    status = fields.CharEnumField(InvoiceStatus, max_length=16, default=InvoiceStatus.OPEN)
    description = fields.CharField(max_length=500, default="")
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "invoice"
        indexes = (("debtor_id", "status"), ("status", "due_date"))

    @property
    def balance_cents(self) -> int:
        return max(
            self.amount_cents - self.paid_cents - self.discount_cents - self.written_off_cents, 0
        )
