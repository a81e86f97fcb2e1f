"""Privacy: everything held about a person, exported; and their personal data erased.

`export_debtor` gathers every row that belongs to a debtor (the debtor, contact points,
invoices, payments and allocations, messages both ways and staff alerts about them, the
conversation, promises, plans and instalments, disputes, claims, discount requests, pay links and
the audit trail), machine-readable (JSON: times in ISO 8601, amounts in cents). Secrets that
grant access (a pay link's or a deep link's token) are named, not given.

`erase_debtor` anonymises, in one transaction: the name, VAT number, tax code and notes; every
address (phones, e-mails, Telegram chat ids: each contact point becomes "erased:<id>", opted out
and unreachable); the words of every message (bodies, contexts, attachments, errors); dispute
texts and the files of disputes and claims; payment notes; the conversation and deep-link tokens
are deleted, and what was still waiting in the outbox is cancelled. What the law requires kept
for the accounting retention period stays: the invoices, the payments and their allocations
(numbers, dates, amounts), the reference that ties them to the books, and the audit trail (which
holds no words of the person's). An erased debtor is never chased (scheduler/selection.py) and
no inbound message is matched to them again (bot/inbound.py). Both are in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.transactions import in_transaction

from bot.models import (
    AuditEvent,
    ContactPoint,
    Conversation,
    Debtor,
    DiscountRequest,
    Dispute,
    Instalment,
    Invoice,
    LinkToken,
    Message,
    MessageStatus,
    PayLink,
    Payment,
    PaymentAllocation,
    PaymentClaim,
    PaymentPlan,
    PromiseToPay,
)
from bot.registry.loading import load_facts

FORMAT = "sollecito.privacy.export/1"
ERASED_REASON = "personal data erased"
_WAITING = (MessageStatus.PENDING, MessageStatus.SENDING)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=_jsonable, ensure_ascii=False, indent=2, sort_keys=True)


async def _rows(model: Any, exclude: tuple[str, ...] = (), **filters: Any) -> list[dict[str, Any]]:
    rows = await model.filter(**filters).order_by("id").values()
    for row in rows:
        for name in exclude:
            row.pop(name, None)
    return rows


async def export_debtor(debtor: Debtor, actor: str = "cli") -> dict[str, Any]:
    """Everything held about `debtor`, as plain data; the export itself is audited."""
    own = {"debtor_id": debtor.id}
    plans = await _rows(PaymentPlan, **own)
    facts = await load_facts(debtor)
    data = {
        "format": FORMAT,
        "debtor": (await _rows(Debtor, id=debtor.id))[0],
        "contact_points": await _rows(ContactPoint, **own),
        "invoices": await _rows(Invoice, **own),
        "payments": await _rows(Payment, **own),
        "allocations": await _rows(PaymentAllocation, payment__debtor_id=debtor.id),
        "messages": await _rows(Message, **own),
        "conversation": await _rows(Conversation, **own),
        "promises": await _rows(PromiseToPay, **own),
        "plans": plans,
        "instalments": await _rows(Instalment, plan_id__in=[p["id"] for p in plans]),
        "disputes": await _rows(Dispute, **own),
        "payment_claims": await _rows(PaymentClaim, **own),
        "discount_requests": await _rows(DiscountRequest, **own),
        # A pay link's and a deep link's token give access: named, never given.
        "pay_links": await _rows(PayLink, ("token", "checkout_session_id"), **own),
        "link_tokens": await _rows(LinkToken, ("nonce",), **own),
        "audit_events": sorted(facts.audits, key=lambda row: row["id"]),
    }
    counts = {name: len(rows) for name, rows in data.items() if isinstance(rows, list)}
    await AuditEvent.create(
        actor=actor, action="privacy.exported", subject=f"debtor:{debtor.id}", data=counts
    )
    return data


async def erase_debtor(debtor: Debtor, now: dt.datetime, actor: str = "cli") -> dict[str, int]:
    """Anonymise `debtor`'s personal data (see the module's docstring); returns what changed."""
    own = {"debtor_id": debtor.id}
    async with in_transaction():
        points = await ContactPoint.filter(**own).values_list("id", flat=True)
        for point_id in points:
            await ContactPoint.filter(id=point_id).update(
                address=f"erased:{point_id}",
                opt_in_source="",
                last_inbound_at=None,
                unreachable_at=now,
                unreachable_reason=ERASED_REASON,
            )
        await ContactPoint.filter(**own, opted_out_at__isnull=True).update(opted_out_at=now)
        cancelled = await Message.filter(**own, status__in=_WAITING).update(
            status=MessageStatus.CANCELLED, lease_until=None
        )
        messages = await Message.filter(**own).update(
            body="", context={}, attachments=[], options=[], last_error=""
        )
        await Message.filter(**own, status=MessageStatus.CANCELLED).update(last_error=ERASED_REASON)
        changed = {
            "contact_points": len(points),
            "messages": messages,
            "cancelled": cancelled,
            "disputes": await Dispute.filter(**own).update(text="", attachments=[]),
            "payment_claims": await PaymentClaim.filter(**own).update(attachments=[]),
            "payments": await Payment.filter(**own).update(note=""),
            "conversations": await Conversation.filter(**own).delete(),
            "link_tokens": await LinkToken.filter(**own).delete(),
        }
        await Debtor.filter(id=debtor.id).update(
            name=f"[erased #{debtor.id}]",
            vat_number="",
            tax_code="",
            notes="",
            paused_until=None,
            erased_at=now,
            updated_at=now,
        )
        await AuditEvent.create(
            actor=actor, action="privacy.erased", subject=f"debtor:{debtor.id}", data=changed
        )
    await debtor.refresh_from_db()
    return changed
