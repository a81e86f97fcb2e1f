"""Credit notes: a document that reduces what a debtor owes on the invoice it refers to.

A credit note comes from a FatturaPA TD04 (bot/importers/fatturapa/) or from an invoices CSV row
with a `credit_note_for` cell. bot/payments/credit_notes.py allocates it: `applied_cents` of it
reduce the invoice (through the invoice's `discount_cents`, the part of it no longer owed that
was not paid: every report, the cadence and the pay page read the open amount from it); what is
left (`amount_cents - applied_cents`) is a credit in the debtor's favour, shown to staff, never
a negative reminder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.invoices import Invoice


class CreditNote(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=64, unique=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="credit_notes", on_delete=fields.RESTRICT
    )
    # The invoice number the document names (FatturaPA DatiFattureCollegate/IdDocumento, or
    # the CSV's credit_note_for); `invoice` once that invoice is known.
    invoice_number = fields.CharField(max_length=64, default="", db_index=True)
    invoice: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="credit_notes", null=True, on_delete=fields.SET_NULL
    )
    issue_date = fields.DateField()
    amount_cents = fields.BigIntField()
    applied_cents = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=3, default="EUR")
    source = fields.CharField(max_length=16, default="csv")  # "fatturapa" or "csv"
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "credit_note"

    @property
    def credit_cents(self) -> int:
        """What is left in the debtor's favour once the invoice's open amount is covered."""
        return max(self.amount_cents - self.applied_cents, 0)
