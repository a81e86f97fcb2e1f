"""The early warning: once a business day, debtors whose behaviour is turning worse, in one
staff-chat message (run by scheduler/clock.py; the signals are bot/credit/warning.py's).

Each debtor and signal flagged is recorded as an audit event (`credit.early_warning`, subject
`debtor:<id>`, data: the signal and the day), in the same transaction as the message: the same
debtor is not flagged again for the same signal within `REFLAG_DAYS` days. Nobody new flagged,
nothing sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from tortoise.transactions import in_transaction

from bot.credit.warning import REFLAG_DAYS, SignalKind, Warning, assess, fresh
from bot.credit.warning_data import DebtorName, load_warning_facts
from bot.models import AuditEvent, Message
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime
from scheduler import cadence
from scheduler.calendar import is_business_day

log = logging.getLogger(__name__)

AUDIT_ACTION = "credit.early_warning"
TEMPLATE = "staff/early_warning.txt"


async def load_flagged(now: dt.datetime) -> dict[tuple[int, SignalKind], dt.date]:
    """The last day each debtor and signal was flagged, over the last `REFLAG_DAYS` days and one."""
    rows = await AuditEvent.filter(
        action=AUDIT_ACTION, created_at__gte=now - dt.timedelta(days=REFLAG_DAYS + 1)
    ).values("subject", "data")
    flagged: dict[tuple[int, SignalKind], dt.date] = {}
    for row in rows:
        data = row["data"] if isinstance(row["data"], dict) else {}
        key = (int(row["subject"].removeprefix("debtor:")), SignalKind(data["signal"]))
        day = dt.date.fromisoformat(data["day"])
        flagged[key] = max(day, flagged.get(key, day))
    return flagged


def digest_context(
    today: dt.date, warnings: list[Warning], names: dict[int, DebtorName]
) -> dict[str, Any]:
    """What staff/early_warning.txt shows: each debtor, the signals and the suggested action
    (debtors who call for stopping credit first, then by name)."""
    order = {"stop_credit": 0, "offer_plan": 1, "call": 2}
    flagged = [
        {
            "debtor_id": w.debtor_id,
            "name": names[w.debtor_id].name,
            "ref": names[w.debtor_id].external_ref,
            "action": w.action.value,
            "signals": [{"kind": s.kind.value, **s.figures} for s in w.signals],
        }
        for w in warnings
    ]
    flagged.sort(key=lambda item: (order[item["action"]], item["name"]))
    return {"digest_date": today.isoformat(), "currency": "EUR", "flagged": flagged}


async def early_warning(runtime: Runtime) -> list[Warning] | None:
    """Flag the debtors turning worse, in one staff message. None on a day that is not a
    business day or when today's message has already been queued; else those flagged now."""
    now = runtime.now()
    today = cadence.company_today(now, runtime)
    if not is_business_day(today, runtime.policy):
        log.info("early warning skipped: not a business day")
        return None
    key = f"early_warning:{today.isoformat()}"
    if await Message.exists(idempotency_key=key):
        return None
    facts, names = await load_warning_facts(runtime.settings.zone, today)
    grace = runtime.policy.instalments.grace_days
    warnings = [w for f in facts if (w := assess(f, today, grace)) is not None]
    flagged = fresh(warnings, await load_flagged(now), today)
    if not flagged:
        log.info("early warning: nobody new to flag")
        return []
    async with in_transaction():
        queued = await queue_staff_alert(
            TEMPLATE, digest_context(today, flagged, names), now=now, idempotency_key=key
        )
        if queued is None:
            return None
        for warning in flagged:
            for signal in warning.signals:
                await AuditEvent.create(
                    actor="system",
                    action=AUDIT_ACTION,
                    subject=f"debtor:{warning.debtor_id}",
                    data={
                        "signal": signal.kind.value,
                        "day": today.isoformat(),
                        "action": warning.action.value,
                        **signal.figures,
                    },
                )
    log.info("early warning: %d debtor(s) flagged", len(flagged))
    return flagged
