"""A RiBa insoluto starts the debtor's cadence at the policy's RiBa step (`[riba] start_step`):
that step's reminder is queued at once, as the planner would queue it (the same row, context,
options and cadence key `cadence:<debtor>:<step>:<anchor>`), for the start of the debtor's next
contact window after the reopen grace (`[payments] reopen_grace_days`). Once it is sent the log
holds the step, and the planner goes on with the steps after it (scheduler/steps.py): the earlier,
gentler steps are not sent to a debtor whose RiBa just came back unpaid."""

from __future__ import annotations

import datetime as dt
import json

from bot.models import CHASEABLE_STATUSES, Debtor, Direction, Invoice, Message, MessageStatus
from bot.policy import Policy
from scheduler.calendar import next_allowed_moment
from scheduler.reminder_rows import Reminder, reminder_context_json, reminder_options_json


async def start_at_step(
    policy: Policy, debtor: Debtor, today: dt.date, now: dt.datetime
) -> Message | None:
    """The RiBa step's reminder queued for `debtor`; None without one (no step set, nothing
    overdue, or queued before for this cycle)."""
    step = policy.step_named(policy.riba.start_step) if policy.riba.start_step else None
    if step is None:
        return None
    invoices = (
        await Invoice.filter(debtor_id=debtor.id, status__in=CHASEABLE_STATUSES)
        .order_by("due_date", "id")
        .all()
    )
    overdue = [i for i in invoices if i.due_date < today and i.balance_cents > 0]
    if not overdue:
        return None
    anchor = overdue[0]
    totals: dict[str, int] = {}
    for invoice in overdue:
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.balance_cents
    listing = [
        {
            "id": i.id,
            "number": i.number,
            "due_date": i.due_date.isoformat(),
            "balance_cents": i.balance_cents,
            "currency": i.currency,
        }
        for i in overdue
    ]
    reminder = Reminder(
        debtor_id=debtor.id,
        debtor_name=debtor.name,
        language=debtor.language,
        timezone=debtor.timezone,
        step=step,
        days_overdue=(today - anchor.due_date).days,
        anchor_id=anchor.id,
        invoice_count=len(overdue),
        totals=totals,
        invoices_json=json.dumps(listing, separators=(",", ":")),
        route=(),
    )
    key = reminder.idempotency_key
    if await Message.exists(idempotency_key=key):
        return None
    debtor = await Debtor.get(id=debtor.id)  # a reversal may have paused it meanwhile
    grace = now + dt.timedelta(days=policy.payments.reopen_grace_days)
    start = max(grace, debtor.paused_until or grace)
    return await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        template=step.template,
        step=step.name,
        context=json.loads(reminder_context_json(reminder)),
        options=json.loads(reminder_options_json(step, debtor.language)),
        status=MessageStatus.PENDING,
        idempotency_key=key,
        scheduled_at=next_allowed_moment(start, debtor.timezone, policy),
    )
