"""Credits read from bank statements: each credit line once, matched or waiting for staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.payments import Payment

UNMATCHED = "unmatched"
ASSIGNED = "assigned"
MATCHED = "matched"


class BankCredit(Model):
    """A credit line of an imported statement (CSV, camt, CBI). `provider_ref` is the line's
    idempotency key (account, entry reference, end-to-end id) and the payment's when it is
    recorded; the payer's IBAN and name let staff (and later imports) tell who paid."""

    id = fields.IntField(primary_key=True)
    provider_ref = fields.CharField(max_length=255, unique=True)
    status = fields.CharField(max_length=16, default=UNMATCHED)  # unmatched|matched|assigned
    file_name = fields.CharField(max_length=255, default="")
    line_no = fields.IntField(default=0)
    booked_on = fields.DateField()
    value_date = fields.DateField(null=True)
    amount_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    debtor_name = fields.CharField(max_length=140, default="")
    debtor_iban = fields.CharField(max_length=34, default="", db_index=True)
    end_to_end_id = fields.CharField(max_length=64, default="")
    description = fields.TextField(default="")
    debtor: fields.ForeignKeyNullableRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="bank_credits", null=True, on_delete=fields.SET_NULL
    )
    payment: fields.ForeignKeyNullableRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="bank_credits", null=True, on_delete=fields.SET_NULL
    )
    assigned_by_id = fields.IntField(null=True)  # the staff member who assigned it
    created_at = Stamp(on="create")

    class Meta:
        table = "bank_credit"
