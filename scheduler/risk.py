"""The nightly risk scoring: every debtor's score and band stored, staff alerted for a worse band
(bot/credit/alerts.py). Runs before the day's first cadence planning, so a band's effects on
the reminders (bot/policy_credit.py) hold from the same morning."""

from __future__ import annotations

import logging

from bot.credit.alerts import CreditCheck, credit_scope, rescore_all
from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def rescore_risk(runtime: Runtime) -> CreditCheck:
    scope = credit_scope(runtime.settings, runtime.policy, runtime.now())
    result = await rescore_all(scope)
    log.info(
        "risk scored: %d debtors, %d in a worse band, %d alerts",
        result.scored,
        len(result.worse),
        result.alerts,
    )
    return result
