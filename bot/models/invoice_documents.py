"""What an electronic invoice (FatturaPA) says about an invoice row beyond its amount and dates.

One FatturaPA document with several DettaglioPagamento becomes several invoice rows, one per
instalment (number "<document number> (i/n)"; a single instalment keeps the document's number),
so the cadence, the pay page and the reports chase each due date on its own. This row, one per
invoice row, keeps what ties them back to the document: its number, type, total, the payment
method and the IBAN, and the file it came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.invoices import Invoice


class InvoiceDocument(Model):
    id = fields.IntField(primary_key=True)
    invoice: fields.OneToOneRelation[Invoice] = fields.OneToOneField(
        "models.Invoice", related_name="document", on_delete=fields.CASCADE
    )
    document_number = fields.CharField(max_length=64, db_index=True)  # FatturaPA Numero
    document_type = fields.CharField(max_length=4)  # TD01, TD05, TD06, TD24, ...
    document_total_cents = fields.BigIntField(null=True)  # ImportoTotaleDocumento
    instalment = fields.SmallIntField(default=1)
    instalments = fields.SmallIntField(default=1)
    payment_method = fields.CharField(max_length=4, default="")  # MP05, MP12, MP19, ...
    iban = fields.CharField(max_length=34, default="")
    split_payment = fields.BooleanField(default=False)  # EsigibilitaIVA "S"
    withholding_cents = fields.BigIntField(default=0)  # DatiRitenuta ImportoRitenuta
    file_name = fields.CharField(max_length=255, default="")
    created_at = Stamp(on="create")

    class Meta:
        table = "invoice_document"
