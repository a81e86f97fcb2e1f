"""The morning digest: yesterday's figures and today's work, to the staff chat, once a business
day (run by scheduler/clock.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import (
    CHASEABLE_STATUSES,
    Direction,
    DiscountRequest,
    Instalment,
    InstalmentStatus,
    Invoice,
    Message,
    MessageStatus,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    RequestStatus,
)
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime
from scheduler import cadence


async def morning_digest(runtime: Runtime) -> bool:
    """Yesterday's figures and today's work, to the staff chat (once a day). True if queued."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    zone = runtime.settings.zone
    start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(), zone)
    end = dt.datetime.combine(today, dt.time(), zone)
    out = Message.filter(direction=Direction.OUTBOUND, audience="debtor")
    sent = await out.filter(sent_at__gte=start, sent_at__lt=end).count()
    failed = await out.filter(
        status=MessageStatus.FAILED, updated_at__gte=start, updated_at__lt=end
    ).count()
    replies = await Message.filter(
        direction=Direction.INBOUND, created_at__gte=start, created_at__lt=end
    ).count()
    pending = await out.filter(status=MessageStatus.PENDING).count()
    promises_due = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date=today
    ).count()
    instalments_due = await Instalment.filter(
        status=InstalmentStatus.DUE, plan__status=PlanStatus.ACTIVE, due_date=today
    ).count()
    overdue = await Invoice.filter(status__in=CHASEABLE_STATUSES, due_date__lt=today).values(
        "debtor_id", "amount_cents", "paid_cents", "written_off_cents", "due_date", "debtor__name"
    )
    per_debtor: dict[int, dict[str, Any]] = {}
    for row in overdue:
        entry = per_debtor.setdefault(
            row["debtor_id"], {"name": row["debtor__name"], "cents": 0, "days": 0}
        )
        owed = row["amount_cents"] - row["written_off_cents"]
        entry["cents"] += max(owed - row["paid_cents"], 0)
        entry["days"] = max(entry["days"], (today - row["due_date"]).days)
    top = sorted(per_debtor.values(), key=lambda e: -e["cents"])[:5]
    # Debtors were told "le risponderemo appena possibile": each morning staff see who waits.
    plans_waiting = await PaymentPlan.filter(status=PlanStatus.PENDING_APPROVAL).count()
    discounts_waiting = await DiscountRequest.filter(status=RequestStatus.PENDING).count()
    queued = await queue_staff_alert(
        "staff/digest.txt",
        {
            "digest_date": today.isoformat(),
            "sent": sent,
            "failed": failed,
            "replies": replies,
            "pending": pending,
            "promises_due": promises_due,
            "instalments_due": instalments_due,
            "overdue_debtors": len(per_debtor),
            "overdue_cents": sum(e["cents"] for e in per_debtor.values()),
            "currency": "EUR",
            "top": top,
            "plans_waiting": plans_waiting,
            "discounts_waiting": discounts_waiting,
        },
        now=now,
        idempotency_key=f"digest:{today.isoformat()}",
    )
    return queued is not None
