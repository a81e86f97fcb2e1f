"""Payments undone (refunds, disputes, failed debits, RiBa insoluti) and the RiBa outcomes read
from the bank's esiti flow. bot/payments/reversal.py writes the first, bot/payments/riba_apply.py
the second."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import ReversalKind, ReversalStatus, RibaOutcome
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.invoices import Invoice
    from bot.models.payments import Payment


class PaymentReversal(Model):
    """Part or all of a payment going back. `key` is the provider's id for it (Stripe refund or
    dispute id, our RiBa item key): the same news twice lands once."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    # Null while WAITING: the provider spoke of a payment we have not recorded yet.
    payment: fields.ForeignKeyNullableRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="reversals", null=True, on_delete=fields.RESTRICT
    )
    payment_ref = fields.CharField(max_length=255, db_index=True)  # the payment's provider_ref
    kind = fields.CharEnumField(ReversalKind, max_length=16)
    status = fields.CharEnumField(ReversalStatus, max_length=16)
    amount_cents = fields.BigIntField()  # what the provider says went back
    # What was undone, to put back if it is restored: [[invoice_id, cents], ...] and the part
    # taken from the payment's unallocated money.
    undone = fields.JSONField(default=list)
    unallocated_cents = fields.BigIntField(default=0)
    reason = fields.CharField(max_length=255, default="")
    # Final: nothing the provider says later changes it (a dispute closed, a refund failed).
    final = fields.BooleanField(default=False)
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "payment_reversal"


class RibaItem(Model):
    """One RiBa outcome from an esiti flow, applied once (its key is built from the record)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="riba_items", on_delete=fields.RESTRICT
    )
    outcome = fields.CharEnumField(RibaOutcome, max_length=16)
    amount_cents = fields.BigIntField()
    fees_cents = fields.BigIntField(default=0)  # the bank's charges added to what is owed
    due_date = fields.DateField()
    source = fields.CharField(max_length=255, default="")  # file name and line
    created_at = Stamp(on="create")

    class Meta:
        table = "riba_item"
