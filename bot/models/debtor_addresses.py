"""A debtor's registered address (sede), as its electronic invoices give it: formal notices and
claims need it. One row a debtor; the latest imported invoice's address wins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor


class DebtorAddress(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.OneToOneRelation[Debtor] = fields.OneToOneField(
        "models.Debtor", related_name="address", on_delete=fields.CASCADE
    )
    street = fields.CharField(max_length=200, default="")  # Indirizzo and NumeroCivico
    postcode = fields.CharField(max_length=10, default="")
    city = fields.CharField(max_length=100, default="")
    province = fields.CharField(max_length=2, default="")
    country = fields.CharField(max_length=2, default="IT")
    updated_at = Stamp(on="save")

    class Meta:
        table = "debtor_address"
