"""A debtor's timeline: every fact we hold, as entries in the order they happened. Pure.

bot/registry/loading.py reads the rows (plain dicts, as `Model.values()` gives them) of every
table that holds a fact about the debtor; here they become `Entry`s and are put in order. The
same entries feed the staff chat's /debtor, `python -m bot history REF` and its CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

Row = Mapping[str, Any]


class Kind(StrEnum):
    INVOICE = "invoice"
    MESSAGE_OUT = "message_out"
    MESSAGE_IN = "message_in"
    PROMISE = "promise"
    PLAN = "plan"
    DISPUTE = "dispute"
    CLAIM = "claim"
    DISCOUNT = "discount"
    PAYMENT = "payment"
    ALLOCATION = "allocation"
    AUDIT = "audit"
    WRITE_OFF = "write_off"  # bot/writeoffs.py: closed as not collectable, never a payment


# At the same moment: the invoice first, messages in the order they were stored (an answer
# after what it answers), the payment before its allocations, the audit of a decision after the
# fact it decides.
_RANK = {kind: rank for rank, kind in enumerate(Kind)} | {Kind.MESSAGE_IN: 1}
TEXT_SHOWN = 120  # characters of a message's body an entry keeps


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: Kind
    source: str  # "message:12", "audit:40": the row it comes from
    actor: str = ""  # "debtor", "system", "cli", or a staff member's name
    channel: str = ""
    template: str = ""
    status: str = ""
    amount_cents: int | None = None
    currency: str = ""
    reference: str = ""  # an invoice number, "plan:3", an audit subject
    text: str = ""  # a message's words, an audit action
    due: dt.date | None = None  # an invoice's due date, a promise's or plan's date
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # the row's id: the order rows of one table were written in

    @property
    def sort_key(self) -> tuple[dt.datetime, int, int, str]:
        return (self.at, _RANK[self.kind], self.seq, self.source)


@dataclass(frozen=True)
class Facts:
    """The rows loading.py read for one debtor."""

    invoices: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    promises: list[Row] = field(default_factory=list)
    plans: list[Row] = field(default_factory=list)
    disputes: list[Row] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)
    discounts: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    allocations: list[Row] = field(default_factory=list)
    audits: list[Row] = field(default_factory=list)
    write_offs: list[Row] = field(default_factory=list)  # with "numbers": the invoices it closed
    staff_names: dict[int, str] = field(default_factory=dict)


def at_noon(day: dt.date, zone: str) -> dt.datetime:
    """A day without an hour (an invoice's issue date) as a moment: noon, company time."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _value(raw: Any) -> str:
    return str(getattr(raw, "value", raw) or "")


def actor_name(actor: str, staff_names: Mapping[int, str]) -> str:
    """ "staff:12" -> the member's name; "debtor:7" -> "debtor"; anything else as it is."""
    kind, _, ident = actor.partition(":")
    if kind == "staff" and ident.isdigit():
        return staff_names.get(int(ident), actor)
    if kind == "debtor":
        return "debtor"
    return actor


def message_entry(row: Row) -> Entry:
    inbound = _value(row["direction"]) == "in"
    when = row.get("sent_at") or row.get("scheduled_at") or row["created_at"]
    text = row.get("body") or ""
    if inbound and not text and row.get("chosen_option"):
        text = f"[{row['chosen_option']}]"
    return Entry(
        at=_aware(when),
        kind=Kind.MESSAGE_IN if inbound else Kind.MESSAGE_OUT,
        source=f"message:{row['id']}",
        seq=row["id"],
        actor="debtor" if inbound else "system",
        channel=_value(row.get("channel")),
        template=row.get("template") or "",
        status=_value(row.get("status")),
        text=" ".join(text.split())[:TEXT_SHOWN],
        data={"error": row.get("last_error") or ""} if row.get("last_error") else {},
    )


def invoice_entry(row: Row, zone: str) -> Entry:
    return Entry(
        at=at_noon(row["issue_date"], zone),
        kind=Kind.INVOICE,
        source=f"invoice:{row['id']}",
        seq=row["id"],
        status=_value(row["status"]),
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        reference=row["number"],
        due=row["due_date"],
    )


def payment_entries(payment: Row, allocations: Iterable[Row]) -> list[Entry]:
    at = _aware(payment["received_at"])
    source = f"payment:{payment['id']}"
    entries = [
        Entry(
            at=at,
            kind=Kind.PAYMENT,
            source=source,
            seq=payment["id"],
            status=_value(payment["status"]),
            amount_cents=payment["amount_cents"],
            currency=payment["currency"],
            reference=_value(payment["method"]),
            data={"unallocated_cents": payment.get("unallocated_cents") or 0},
        )
    ]
    entries += [
        Entry(
            at=at,
            kind=Kind.ALLOCATION,
            source=f"{source}:{row['invoice__number']}",
            seq=payment["id"],
            amount_cents=row["amount_cents"],
            currency=payment["currency"],
            reference=row["invoice__number"],
        )
        for row in allocations
    ]
    return entries


def _arrangement(kind: Kind, row: Row, stamp: str, **fields: Any) -> Entry:
    return Entry(
        at=_aware(row[stamp]),
        kind=kind,
        source=f"{kind.value}:{row['id']}",
        seq=row["id"],
        actor="debtor",
        status=_value(row.get("status")),
        **fields,
    )


def arrangement_entries(facts: Facts) -> list[Entry]:
    """What the debtor asked for or agreed to: promises, plans, disputes, claims, discounts."""
    entries = [
        _arrangement(
            Kind.PROMISE, r, "created_at", amount_cents=r["amount_cents"], due=r["promised_date"]
        )
        for r in facts.promises
    ]
    entries += [
        _arrangement(
            Kind.PLAN,
            r,
            "requested_at",
            amount_cents=r["total_cents"],
            currency=r["currency"],
            due=r["first_due_date"],
            reference=f"plan:{r['id']}",
            data={"count": r["instalment_count"]},
        )
        for r in facts.plans
    ]
    entries += [
        _arrangement(
            Kind.DISPUTE,
            r,
            "created_at",
            reference=r.get("invoice__number") or "",
            text=_value(r["reason"]),
        )
        for r in facts.disputes
    ]
    entries += [_arrangement(Kind.CLAIM, r, "created_at", due=r["paid_on"]) for r in facts.claims]
    entries += [
        _arrangement(
            Kind.DISCOUNT,
            r,
            "created_at",
            amount_cents=r["amount_cents"],
            currency=r["currency"],
            data={"balance_cents": r["balance_cents"], "percent": r["percent"]},
        )
        for r in facts.discounts
    ]
    return entries


def audit_entry(row: Row, staff_names: Mapping[int, str]) -> Entry:
    data = row.get("data") if isinstance(row.get("data"), dict) else {}
    return Entry(
        at=_aware(row["created_at"]),
        kind=Kind.AUDIT,
        source=f"audit:{row['id']}",
        seq=row["id"],
        actor=actor_name(row["actor"], staff_names),
        reference=row["subject"],
        text=row["action"],
        data=dict(data or {}),
    )


def write_off_entry(row: Row, staff_names: Mapping[int, str]) -> Entry:
    """A write-off: its amount, the invoices it fell on, who and why; apart from payments."""
    return Entry(
        at=_aware(row["written_at"]),
        kind=Kind.WRITE_OFF,
        source=f"writeoff:{row['id']}",
        seq=row["id"],
        actor=actor_name(row["actor"], staff_names),
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        reference=", ".join(row.get("numbers") or ()),
        text=row["reason"],
    )


def build(facts: Facts, zone: str = "Europe/Rome") -> list[Entry]:
    """Every fact as an entry, oldest first (ties: the invoice, then messages, ..., the audit)."""
    entries = [invoice_entry(row, zone) for row in facts.invoices]
    entries += [message_entry(row) for row in facts.messages]
    entries += arrangement_entries(facts)
    by_payment: dict[int, list[Row]] = {}
    for row in facts.allocations:
        by_payment.setdefault(row["payment_id"], []).append(row)
    for payment in facts.payments:
        entries += payment_entries(payment, by_payment.get(payment["id"], []))
    entries += [audit_entry(row, facts.staff_names) for row in facts.audits]
    entries += [write_off_entry(row, facts.staff_names) for row in facts.write_offs]
    return sorted(entries, key=lambda entry: entry.sort_key)
