"""PEC receipts (ricevute) read back from the certified mailbox, and where the reading got to.

A receipt is kept whether or not it matches a notice we sent: an unmatched one has no message and
no debtor, and staff are told about it (bot/escalation/pec_receipts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.messages import Message


class PecReceipt(Model):
    """One receipt: its kind (X-Ricevuta), what it refers to and what its daticert.xml says."""

    id = fields.IntField(primary_key=True)
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="pec_receipts", null=True, on_delete=fields.SET_NULL
    )
    debtor: fields.ForeignKeyNullableRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="pec_receipts", null=True, on_delete=fields.SET_NULL
    )
    # accettazione, non-accettazione, presa-in-carico, avvenuta-consegna, errore-consegna,
    # preavviso-errore-consegna (DPR 68/2005, DM 2 novembre 2005)
    kind = fields.CharField(max_length=32)
    # The receipt's own Message-ID (or a digest of it whole): a receipt read twice is one row.
    receipt_key = fields.CharField(max_length=255, unique=True)
    referenced_msgid = fields.CharField(max_length=255, default="", db_index=True)
    identificativo = fields.CharField(max_length=255, default="")  # the provider's message id
    issued_at = fields.DatetimeField(null=True)  # daticert <data>: giorno, ora, zona
    recipient = fields.CharField(max_length=255, default="")  # consegna / destinatari
    provider = fields.CharField(max_length=255, default="")  # gestore-emittente
    error = fields.CharField(max_length=64, default="")  # daticert errore="..." ("nessuno")
    error_text = fields.TextField(default="")  # errore-esteso
    eml_path = fields.CharField(max_length=500, default="")
    xml_path = fields.CharField(max_length=500, default="")
    imap_uid = fields.BigIntField(null=True)
    created_at = Stamp(on="create")

    class Meta:
        table = "pec_receipt"


class PecMailbox(Model):
    """How far the mailbox has been read: the folder's UIDVALIDITY and the last UID taken."""

    id = fields.IntField(primary_key=True)
    mailbox = fields.CharField(max_length=255, unique=True)  # "user@host/folder"
    uidvalidity = fields.BigIntField(default=0)
    last_uid = fields.BigIntField(default=0)
    updated_at = Stamp(on="save")

    class Meta:
        table = "pec_mailbox"
