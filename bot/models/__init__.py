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
    DebtorKind,
    Direction,
    DisputeReason,
    DisputeStatus,
    InstalmentStatus,
    InvoiceStatus,
    MessageStatus,
    NoticeChannel,
    NoticeStatus,
    PaymentMethod,
    PaymentStatus,
    PlanStatus,
    PromiseStatus,
    RequestStatus,
    ReversalKind,
    ReversalStatus,
    RibaOutcome,
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
from bot.models.credit_notes import CreditNote
from bot.models.debtor_addresses import DebtorAddress
from bot.models.debtors import ContactPoint, Debtor, LinkToken
from bot.models.events import ParkedEvent, ProcessedEvent
from bot.models.invoice_documents import InvoiceDocument
from bot.models.invoices import Invoice
from bot.models.messages import Conversation, Message
from bot.models.notices import FormalNotice
from bot.models.payments import PayLink, Payment, PaymentAllocation
from bot.models.pec import PecMailbox, PecReceipt
from bot.models.reversals import PaymentReversal, RibaItem
from bot.models.staff import AuditEvent, StaffMember
from bot.models.stamp import Stamp
from bot.models.writeoffs import WriteOff, WriteOffLine

__all__ = [
    "CHASEABLE_STATUSES",
    "CLOSED_STATUSES",
    "AuditEvent",
    "BankCredit",
    "Channel",
    "ClaimStatus",
    "ContactPoint",
    "Conversation",
    "CreditNote",
    "Debtor",
    "DebtorAddress",
    "DebtorKind",
    "Direction",
    "DiscountRequest",
    "Dispute",
    "DisputeReason",
    "DisputeStatus",
    "FormalNotice",
    "Instalment",
    "InstalmentStatus",
    "Invoice",
    "InvoiceDocument",
    "InvoiceStatus",
    "LinkToken",
    "Message",
    "MessageStatus",
    "NoticeChannel",
    "NoticeStatus",
    "ParkedEvent",
    "PayLink",
    "Payment",
    "PaymentAllocation",
    "PaymentClaim",
    "PaymentMethod",
    "PaymentPlan",
    "PaymentReversal",
    "PaymentStatus",
    "PecMailbox",
    "PecReceipt",
    "PlanStatus",
    "ProcessedEvent",
    "PromiseStatus",
    "PromiseToPay",
    "RequestStatus",
    "ReversalKind",
    "ReversalStatus",
    "RibaItem",
    "RibaOutcome",
    "StaffMember",
    "StaffRole",
    "Stamp",
    "WriteOff",
    "WriteOffLine",
]
