"""Every kind and status the tables hold, as plain StrEnums: the channels, the invoice, payment,
message, plan, instalment, promise, dispute, request and claim statuses, the staff roles.

Plain data, importable without the ORM: the pure flows (bot/flows/), the policy and the channel
interface use them; bot/models.py gives them to its columns.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    DISPUTED = "disputed"
    IN_PLAN = "in_plan"
    CANCELLED = "cancelled"
    WRITTEN_OFF = "written_off"


# Invoices with these statuses still carry an outstanding balance the cadence may chase.
CHASEABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


# Invoices with these statuses are settled or out of scope: nothing is owed on them any more.
CLOSED_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF)


class PaymentStatus(StrEnum):
    PENDING = "pending"  # started but not settled yet (SEPA Direct Debit takes days)
    SUCCEEDED = "succeeded"  # money received and allocated
    FAILED = "failed"  # the debit failed: nothing was paid


class PaymentMethod(StrEnum):
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"
    MANUAL = "manual"
    # Recorded by staff (/paid, `payments add`): what arrived by other ways.
    CASH = "cash"
    CHEQUE = "cheque"
    OFFSET = "offset"  # compensazione: settled against what we owe the debtor
    TRANSFER = "transfer"  # a bank transfer staff saw and recorded by hand
    OTHER = "other"
    RIBA = "riba"  # a ricevuta bancaria collected by the bank (bot/payments/riba_apply.py)


class Direction(StrEnum):
    OUTBOUND = "out"
    INBOUND = "in"


class MessageStatus(StrEnum):
    PENDING = "pending"  # in the outbox, waiting for its scheduled time
    SENDING = "sending"  # claimed by a worker; lease_until says until when
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # every channel failed; staff were alerted
    CANCELLED = "cancelled"  # no longer due (paid meanwhile, opted out, paused)
    RECEIVED = "received"  # an inbound message, stored before it is handled
    HANDLED = "handled"  # an inbound message the flow engine has answered


class PlanStatus(StrEnum):
    PROPOSED = "proposed"  # shown to the debtor, not yet confirmed
    PENDING_APPROVAL = "pending_approval"  # waiting for staff
    COUNTERED = "countered"  # staff proposed other terms; waiting for the debtor
    ACTIVE = "active"
    COMPLETED = "completed"
    REJECTED = "rejected"
    DECLINED = "declined"  # the debtor declined a counter-offer
    BROKEN = "broken"  # an instalment was missed past the grace days
    WRITTEN_OFF = "written_off"  # every invoice it covered was written off (bot/writeoffs.py)


class InstalmentStatus(StrEnum):
    DUE = "due"
    PAID = "paid"
    MISSED = "missed"


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class DisputeReason(StrEnum):
    WRONG_AMOUNT = "wrong_amount"
    GOODS_OR_SERVICE = "goods_or_service"
    NOT_MINE = "not_mine"
    OTHER = "other"


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # settled in the debtor's favour or explained; chasing resumes
    INVOICE_CANCELLED = "invoice_cancelled"
    CHASING_RESUMED = "chasing_resumed"


class StaffRole(StrEnum):
    ADMIN = "admin"
    CONTROLLER = "controller"
    VIEWER = "viewer"


class RequestStatus(StrEnum):
    PENDING = "pending"  # waiting for staff
    APPROVED = "approved"
    REJECTED = "rejected"


class ClaimStatus(StrEnum):
    PENDING = "pending"  # the debtor says it is paid; staff check the bank
    CONFIRMED = "confirmed"
    NOT_FOUND = "not_found"


class DebtorKind(StrEnum):
    """Who the debtor is in law: a business (D.Lgs. 231/2002 interest and the €40 apply) or a
    consumer (neither; the legal rate from the day put in default, when the policy says so)."""

    BUSINESS = "business"
    CONSUMER = "consumer"


class ReversalKind(StrEnum):
    """Why money we had counted as received went back (bot/payments/reversal.py)."""

    REFUND = "refund"  # we (or Stripe on our behalf) gave it back
    DISPUTE = "dispute"  # the card holder disputed it: the funds were withdrawn
    DEBIT_FAILED = "debit_failed"  # a SEPA debit counted as paid failed afterwards
    RIBA_UNPAID = "riba_unpaid"  # a RiBa counted paid "salvo buon fine" came back unpaid


class ReversalStatus(StrEnum):
    WAITING = "waiting"  # the provider told us before the payment itself was recorded
    APPLIED = "applied"  # the allocations are undone, the invoices open again
    RESTORED = "restored"  # undone again: a dispute won, a refund that failed
    VOID = "void"  # never applied and never will be (a refund that failed, a dispute won first)


class RibaOutcome(StrEnum):
    PAID = "paid"  # pagata: the debtor's bank paid it
    UNPAID = "unpaid"  # insoluta: it came back unpaid
    RECALLED = "recalled"  # richiamata: withdrawn before its due date


class NoticeStatus(StrEnum):
    """A formal notice (bot/models/notices.py): waiting for staff, then sent or not."""

    PENDING = "pending"  # rendered, on the staff card, waiting for Approve / Skip
    NO_ADDRESS = "no_address"  # the debtor has no e-mail or PEC address: staff told, waiting
    APPROVED = "approved"  # approved: in the outbox
    SENT = "sent"  # the outbox row went out (by PEC or ordinary e-mail)
    SKIPPED = "skipped"  # staff chose not to send it


class NoticeChannel(StrEnum):
    PEC = "pec"  # certified e-mail: legal proof of delivery (the PEC receipts)
    EMAIL = "email"  # ordinary e-mail: no legal proof of delivery
