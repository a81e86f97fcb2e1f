"""The tables, one module a noun; this package is their one face: `from bot.models import X`.
Tortoise's app lists this package (bot/db.py) and finds the models among its names.

Migrations live in bot/migrations and are made with `python -m bot makemigrations` after a change
here; `python -m bot migrate` applies them. Money is integer cents plus an ISO currency code.
"""

from bot.enums import (
    CHASEABLE_STATUSES,
    CLOSED_STATUSES,
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
from bot.models.arrangements import (
    DiscountRequest,
    Dispute,
    Instalment,
    PaymentClaim,
    PaymentPlan,
    PromiseToPay,
)
from bot.models.bank import BankCredit
from bot.models.debtors import ContactPoint, Debtor, LinkToken
from bot.models.events import ParkedEvent, ProcessedEvent
from bot.models.invoices import Invoice
from bot.models.messages import Conversation, Message
from bot.models.payments import PayLink, Payment, PaymentAllocation
from bot.models.staff import AuditEvent, StaffMember
from bot.models.stamp import Stamp

__all__ = [
    "CHASEABLE_STATUSES",
    "CLOSED_STATUSES",
    "AuditEvent",
    "BankCredit",
    "Channel",
    "ClaimStatus",
    "ContactPoint",
    "Conversation",
    "Debtor",
    "Direction",
    "DiscountRequest",
    "Dispute",
    "DisputeReason",
    "DisputeStatus",
    "Instalment",
    "InstalmentStatus",
    "Invoice",
    "InvoiceStatus",
    "LinkToken",
    "Message",
    "MessageStatus",
    "ParkedEvent",
    "PayLink",
    "Payment",
    "PaymentAllocation",
    "PaymentClaim",
    "PaymentMethod",
    "PaymentPlan",
    "PaymentStatus",
    "PlanStatus",
    "ProcessedEvent",
    "PromiseStatus",
    "PromiseToPay",
    "RequestStatus",
    "StaffMember",
    "StaffRole",
    "Stamp",
]
