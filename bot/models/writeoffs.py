"""Write-offs: what staff closed as not collectable, kept apart from payments.

A write-off is never money received: it lowers what an invoice still asks
(`Invoice.written_off_cents`) and, once nothing is left, closes it as written off.
`WriteOffLine` says how much of it fell on each invoice, as `PaymentAllocation` does for a
payment (docs/payments.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.invoices import Invoice
    from bot.models.staff import StaffMember


class WriteOff(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="write_offs", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    reason = fields.TextField()
    # "staff:3" or "cli:<os user>": who decided it (the audit trail says the same).
    actor = fields.CharField(max_length=100)
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="write_offs", null=True, on_delete=fields.SET_NULL
    )
    written_at = fields.DatetimeField()
    created_at = Stamp(on="create")

    lines: fields.ReverseRelation[WriteOffLine]

    class Meta:
        table = "write_off"


class WriteOffLine(Model):
    id = fields.IntField(primary_key=True)
    write_off: fields.ForeignKeyRelation[WriteOff] = fields.ForeignKeyField(
        "models.WriteOff", related_name="lines", on_delete=fields.CASCADE
    )
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="write_off_lines", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()

    class Meta:
        table = "write_off_line"
        unique_together = (("write_off", "invoice"),)
