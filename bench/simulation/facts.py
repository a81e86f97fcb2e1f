"""What the audit reads: each message as the provider got it, with the debtor's facts as of the
moment it was sent, and the simulation's journal of what the people did. Plain data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InvoiceFact:
    id: int
    number: str
    due_date: dt.date
    balance_cents: int
    currency: str
    status: str  # the product's InvoiceStatus value


@dataclass(frozen=True)
class DebtorFacts:
    """One debtor as the database held it when a message to it left."""

    debtor_id: int
    timezone: str
    invoices: tuple[InvoiceFact, ...] = ()
    plan_pending_approval: bool = False
    active_plan_invoice_ids: frozenset[int] = frozenset()
    promised_invoice_ids: frozenset[int] = frozenset()  # pending promises
    disputed_invoice_ids: frozenset[int] = frozenset()  # open disputes
    whatsapp_opted_in: bool = False  # the recipient contact point's opted_in_at was set

    def invoice(self, number: str) -> InvoiceFact | None:
        return next((inv for inv in self.invoices if inv.number == number), None)


@dataclass(frozen=True)
class Sent:
    """One message handed to a (sandbox) provider."""

    id: int  # the message row id
    at: dt.datetime  # UTC, the simulation's clock
    channel: str
    address: str
    text: str  # as the provider would send it (SMS: with its numbered options)
    template: str
    step: str  # the policy step that planned it ("" for replies and notices)
    debtor_id: int | None  # None: a staff message
    facts: DebtorFacts | None = None
    whatsapp_free_text: bool = False  # handed over as free text (session assumed open)
    option_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogEntry:
    """An outbound debtor row of the product's message log, read at the end of the run."""

    id: int
    debtor_id: int
    step: str
    status: str
    sent_at: dt.datetime | None


@dataclass
class Journal:
    """What the people in the simulation did, on the simulation's clock."""

    # (when, channel, address) of every message a debtor wrote
    inbound: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    # (when, channel, address) of every STOP, and of every START that undid it
    stops: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    starts: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    # (when, debtor id) of every payment a debtor made
    payments: list[tuple[dt.datetime, int]] = field(default_factory=list)


@dataclass(frozen=True)
class AuditPolicy:
    """The policy's rules the audit checks against, read from policy.toml."""

    quiet_start: dt.time
    quiet_end: dt.time
    weekdays: frozenset[int]  # Monday 0
    country: str
    cap_per_7_days: int
    sms_segment_budget: int
    step_days: dict[str, int]  # cadence step name -> days after the due date
    company_timezone: str = "Europe/Rome"

    @property
    def cadence_steps(self) -> frozenset[str]:
        return frozenset(self.step_days)

    @property
    def overdue_steps(self) -> frozenset[str]:
        """Steps that call something due or overdue (due today and after)."""
        return frozenset(name for name, days in self.step_days.items() if days >= 0)

    @property
    def dunning_steps(self) -> frozenset[str]:
        """Steps that are a "sollecito": after the due date."""
        return frozenset(name for name, days in self.step_days.items() if days > 0)
