"""Debtors, the addresses we reach them at, and the tokens that link a Telegram chat to one."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    Channel,
    DebtorKind,
)
from bot.models.stamp import Stamp


class Debtor(Model):
    id = fields.IntField(primary_key=True)
    external_ref = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    vat_number = fields.CharField(max_length=32, default="")
    tax_code = fields.CharField(max_length=32, default="")  # codice fiscale
    language = fields.CharField(max_length=2, default="it")
    timezone = fields.CharField(max_length=64, default="Europe/Rome")
    credit_limit_cents = fields.BigIntField(null=True)
    notes = fields.TextField(default="")
    paused_until = fields.DatetimeField(null=True)
    # The risk band the last scoring gave (policy [credit] bands; "" before the first), and when:
    # a move into a worse band alerts staff (bot/credit/).
    risk_band = fields.CharField(max_length=8, default="")
    risk_scored_at = fields.DatetimeField(null=True)
    # Set when the person's data was anonymised (python -m bot privacy erase); the invoices and
    # payments stay for the accounting retention period.
    erased_at = fields.DatetimeField(null=True)
    # A business or a consumer (import column `kind`, or a VAT number): what interest and
    # compensation may be claimed (bot/escalation/interest.py).
    kind = fields.CharEnumField(DebtorKind, max_length=8, default=DebtorKind.BUSINESS)
    # The day the debtor was put in default (costituzione in mora), the earliest if several:
    # a consumer's legal interest runs from the day after (bot/escalation/default.py).
    in_default_since = fields.DateField(null=True)
    # Set when the case was handed to a collection agency or a lawyer (/handoff, `case handoff`):
    # the cadence stops for good; payments are still allocated (bot/escalation/outsourcing.py).
    outsourced_at = fields.DatetimeField(null=True)
    outsourced_by = fields.CharField(max_length=100, default="")
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    contact_points: fields.ReverseRelation[ContactPoint]
    # `debtor.invoices` (Invoice.debtor's related_name) is not annotated here: the annotation
    # would make this module and bot/models/invoices.py import each other.

    class Meta:
        table = "debtor"

    def __str__(self) -> str:
        return f"{self.name} ({self.external_ref})"


class ContactPoint(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="contact_points", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    # Phones in E.164, e-mails lower-cased, Telegram chats as the numeric chat id.
    address = fields.CharField(max_length=255)
    is_pec = fields.BooleanField(default=False)  # Italian certified e-mail: for formal notices
    priority = fields.SmallIntField(default=0)  # lower is preferred
    verified_at = fields.DatetimeField(null=True)
    opted_in_at = fields.DatetimeField(null=True)
    # How the opt-in was given: an import's source column ("modulo web"), "keyword" (START).
    opt_in_source = fields.CharField(max_length=100, default="")
    opted_out_at = fields.DatetimeField(null=True)
    last_inbound_at = fields.DatetimeField(null=True)
    # Set when the provider says the address cannot be reached (bot blocked, invalid number).
    unreachable_at = fields.DatetimeField(null=True)
    unreachable_reason = fields.CharField(max_length=200, default="")
    created_at = Stamp(on="create")

    class Meta:
        table = "contact_point"
        unique_together = (("debtor", "channel", "address"),)
        indexes = (("channel", "address"),)

    @property
    def reachable(self) -> bool:
        return self.opted_out_at is None and self.unreachable_at is None


class LinkToken(Model):
    """A single-use token that ties a Telegram chat to a debtor (deep link /start <token>)."""

    id = fields.IntField(primary_key=True)
    nonce = fields.CharField(max_length=32, unique=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="link_tokens", on_delete=fields.CASCADE
    )
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = Stamp(on="create")

    class Meta:
        table = "link_token"
