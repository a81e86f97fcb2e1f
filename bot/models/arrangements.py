"""What a debtor asks for or agrees to: payment plans and their instalments, promises to pay,
disputes, discount requests, payment claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from bot.enums import (
    ClaimStatus,
    DisputeReason,
    DisputeStatus,
    InstalmentStatus,
    PlanStatus,
    PromiseStatus,
    RequestStatus,
)
from bot.models.stamp import Stamp

if TYPE_CHECKING:
    from bot.models.debtors import Debtor
    from bot.models.invoices import Invoice
    from bot.models.staff import StaffMember


class PaymentPlan(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="plans", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(PlanStatus, max_length=20, default=PlanStatus.PROPOSED)
    total_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    instalment_count = fields.SmallIntField()
    first_due_date = fields.DateField()
    invoice_ids = fields.JSONField(default=list)
    requested_at = Stamp(on="create")
    decided_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="decided_plans", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="")

    instalments: fields.ReverseRelation[Instalment]

    class Meta:
        table = "payment_plan"


class Instalment(Model):
    id = fields.IntField(primary_key=True)
    plan: fields.ForeignKeyRelation[PaymentPlan] = fields.ForeignKeyField(
        "models.PaymentPlan", related_name="instalments", on_delete=fields.CASCADE
    )
    seq = fields.SmallIntField()
    due_date = fields.DateField()
    amount_cents = fields.BigIntField()
    paid_cents = fields.BigIntField(default=0)
    status = fields.CharEnumField(InstalmentStatus, max_length=8, default=InstalmentStatus.DUE)

    class Meta:
        table = "instalment"
        unique_together = (("plan", "seq"),)


class PromiseToPay(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="promises", on_delete=fields.CASCADE
    )
    promised_date = fields.DateField()
    amount_cents = fields.BigIntField(null=True)  # None: the whole open balance
    status = fields.CharEnumField(PromiseStatus, max_length=10, default=PromiseStatus.PENDING)
    invoice_ids = fields.JSONField(default=list)
    created_at = Stamp(on="create")

    class Meta:
        table = "promise_to_pay"


class Dispute(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="disputes", on_delete=fields.CASCADE
    )
    invoice: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="disputes", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.CharEnumField(DisputeReason, max_length=20)
    text = fields.TextField(default="")
    attachments = fields.JSONField(default=list)
    status = fields.CharEnumField(DisputeStatus, max_length=20, default=DisputeStatus.OPEN)
    created_at = Stamp(on="create")
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="resolved_disputes", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "dispute"


class DiscountRequest(Model):
    """A discount above the policy's threshold, waiting for staff before the debtor gets a link."""

    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="discount_requests", on_delete=fields.CASCADE
    )
    balance_cents = fields.BigIntField()
    amount_cents = fields.BigIntField()  # what the debtor would pay with the discount
    percent = fields.CharField(max_length=8)  # Decimal as text, e.g. "2.0"
    valid_until = fields.DateField()
    currency = fields.CharField(max_length=3, default="EUR")
    invoice_ids = fields.JSONField(default=list)
    status = fields.CharEnumField(RequestStatus, max_length=10, default=RequestStatus.PENDING)
    created_at = Stamp(on="create")
    decided_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="decided_discounts", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "discount_request"


class PaymentClaim(Model):
    """'I already paid': the date, an optional receipt, and staff's verdict."""

    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="payment_claims", on_delete=fields.CASCADE
    )
    paid_on = fields.DateField(null=True)
    attachments = fields.JSONField(default=list)
    invoice_ids = fields.JSONField(default=list)
    status = fields.CharEnumField(ClaimStatus, max_length=10, default=ClaimStatus.PENDING)
    created_at = Stamp(on="create")
    decided_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="decided_claims", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_claim"
