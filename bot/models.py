"""The tables. Money is integer cents plus an ISO currency code; never a float.

Migrations live in bot/migrations and are made with `python -m bot makemigrations` after a change
here; `python -m bot migrate` applies them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from tortoise import fields
from tortoise.models import Model

from bot import clock
from bot.enums import (
    Channel,
    ClaimStatus,
    Direction,
    DisputeReason,
    DisputeStatus,
    InstalmentStatus,
    InvoiceStatus,
    MessageStatus,
    PaymentMethod,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
    RequestStatus,
    StaffRole,
)


class Stamp(fields.DatetimeField):
    """A `created_at` (`on="create"`) or `updated_at` (`on="save"`) column, stamped from the
    product's clock (bot/clock.py).

    Tortoise's own auto-now stamps read the wall clock while the rules read `runtime.now()`; with
    this field a stamp and a rule time are the same clock, in production and in a test that moves
    time.
    """

    def __init__(self, on: Literal["create", "save"], **kwargs: Any) -> None:
        super().__init__(**{_AUTO[on]: True}, **kwargs)
        self.on = on

    def to_db_value(self, value: Any, instance: Any) -> Any:
        unset = getattr(instance, self.model_field_name, None) is None
        if hasattr(instance, "_saved_in_db") and (self.on == "save" or unset):
            stamp: dt.datetime = clock.now()
            setattr(instance, self.model_field_name, stamp)
            return stamp
        return super().to_db_value(value, instance)

    # The column is a DatetimeField's, and migrations must see it as one: an AlterField would make
    # Tortoise rebuild SQLite tables for nothing (and drop their unique constraints on the way).
    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        _, args, kwargs = super().deconstruct()
        kwargs.pop("on")
        kwargs |= {"auto_now": self.auto_now, "auto_now_add": self.auto_now_add}
        return "tortoise.fields.data.DatetimeField", args, kwargs

    def describe(self, serializable: bool) -> dict[str, Any]:
        description = super().describe(serializable)
        if serializable:
            description["field_type"] = "DatetimeField"
        return description


_AUTO = {"create": "auto_now_add", "save": "auto_now"}


# Invoices with these statuses still carry an outstanding balance the cadence may chase.
CHASEABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
# Invoices with these statuses are settled or out of scope: nothing is owed on them any more.
CLOSED_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF)


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
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    contact_points: fields.ReverseRelation[ContactPoint]
    invoices: fields.ReverseRelation[Invoice]

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
        return max(self.amount_cents - self.paid_cents - self.discount_cents, 0)


class Payment(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="payments", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="EUR")
    method = fields.CharEnumField(PaymentMethod, max_length=16)
    status = fields.CharEnumField(PaymentStatus, max_length=16, default=PaymentStatus.SUCCEEDED)
    # Stripe PaymentIntent id, bank transaction reference...; unique so a payment lands once.
    provider_ref = fields.CharField(max_length=255, unique=True, null=True)
    received_at = fields.DatetimeField()
    # What could not be allocated to any invoice: flagged to staff, never lost.
    unallocated_cents = fields.BigIntField(default=0)
    note = fields.TextField(default="")
    created_at = Stamp(on="create")

    allocations: fields.ReverseRelation[PaymentAllocation]

    class Meta:
        table = "payment"


class PaymentAllocation(Model):
    id = fields.IntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.CASCADE
    )
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="allocations", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()

    class Meta:
        table = "payment_allocation"
        unique_together = (("payment", "invoice"),)


class Message(Model):
    """One table for the outbox and the log, outbound and inbound alike."""

    id = fields.BigIntField(primary_key=True)
    debtor: fields.ForeignKeyNullableRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    contact_point: fields.ForeignKeyNullableRelation[ContactPoint] = fields.ForeignKeyField(
        "models.ContactPoint", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    direction = fields.CharEnumField(Direction, max_length=3)
    # "debtor": goes to a contact point of the debtor; "staff": goes to the staff chat.
    audience = fields.CharField(max_length=8, default="debtor")
    channel = fields.CharEnumField(Channel, max_length=16, null=True)  # chosen at dispatch
    template = fields.CharField(max_length=64, default="")
    step = fields.CharField(max_length=64, default="")  # the policy step that planned it
    context = fields.JSONField(default=dict)  # what the template needs (invoice ids, totals)
    body = fields.TextField(default="")  # rendered text as sent, or the text received
    options = fields.JSONField(default=list)  # reply options offered (outbound)
    chosen_option = fields.CharField(max_length=64, default="")  # button pressed (inbound)
    attachments = fields.JSONField(default=list)
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.PENDING)
    provider_id = fields.CharField(max_length=128, null=True, db_index=True)
    # Outbound: (debtor, step, cycle) and the like; inbound: provider + delivery id.
    idempotency_key = fields.CharField(max_length=200, unique=True, null=True)
    scheduled_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    last_error = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)
    created_at = Stamp(on="create")
    updated_at = Stamp(on="save")

    class Meta:
        table = "message"
        indexes = (("status", "scheduled_at"), ("debtor_id", "direction", "sent_at"))


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    debtor: fields.OneToOneRelation[Debtor] = fields.OneToOneField(
        "models.Debtor", related_name="conversation", on_delete=fields.CASCADE
    )
    flow = fields.CharField(max_length=64, default="idle")
    state = fields.JSONField(default=dict)
    channel = fields.CharEnumField(Channel, max_length=16, null=True)  # where the debtor last spoke
    updated_at = Stamp(on="save")

    class Meta:
        table = "conversation"


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


class StaffMember(Model):
    id = fields.IntField(primary_key=True)
    telegram_user_id = fields.BigIntField(unique=True)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(StaffRole, max_length=16, default=StaffRole.CONTROLLER)
    approval_limit_cents = fields.BigIntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = Stamp(on="create")

    class Meta:
        table = "staff_member"


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=100)  # "staff:12", "debtor:7", "system", "cli"
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=100)  # "plan:3", "invoice:F-2026-001"
    data = fields.JSONField(default=dict)
    created_at = Stamp(on="create", db_index=True)

    class Meta:
        table = "audit_event"


class ProcessedEvent(Model):
    """Provider event ids already handled: a retried webhook delivery is recognised here."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=255)
    processed_at = Stamp(on="create")

    class Meta:
        table = "processed_event"
        unique_together = (("provider", "event_id"),)


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


class PayLink(Model):
    """A durable pay link: /pay/<token>. Each click opens a fresh checkout for what is owed then."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=32, unique=True)
    debtor: fields.ForeignKeyRelation[Debtor] = fields.ForeignKeyField(
        "models.Debtor", related_name="pay_links", on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=16)  # balance | discount | instalment
    invoice_ids = fields.JSONField(default=list)
    # For a discount: the discounted amount and the last day it holds.
    amount_cents = fields.BigIntField(null=True)
    valid_until = fields.DateField(null=True)
    instalment: fields.ForeignKeyNullableRelation[Instalment] = fields.ForeignKeyField(
        "models.Instalment", related_name="pay_links", null=True, on_delete=fields.SET_NULL
    )
    # The Checkout Session the last click opened: expired when the next click opens another,
    # so two open sessions cannot both be paid.
    checkout_session_id = fields.CharField(max_length=255, default="")
    created_at = Stamp(on="create")

    class Meta:
        table = "pay_link"


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


class ParkedEvent(Model):
    """An authentic webhook event that did not fit its schema: answered 2xx so the provider stops
    redelivering, kept here with the reason, shown to staff, replayable after a fix."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=16)  # telegram | twilio | stripe
    kind = fields.CharField(max_length=48)  # the provider's event kind, or "unknown"
    reason = fields.CharField(max_length=300)
    payload = fields.TextField()  # the raw body as received
    payload_encoding = fields.CharField(max_length=8, default="utf-8")  # utf-8 | base64
    # sha256 of provider and body: a redelivery of the same body is parked once.
    fingerprint = fields.CharField(max_length=64, unique=True)
    received_at = Stamp(on="create")
    replayed_at = fields.DatetimeField(null=True)
    replay_outcome = fields.CharField(max_length=64, default="")

    class Meta:
        table = "parked_event"
