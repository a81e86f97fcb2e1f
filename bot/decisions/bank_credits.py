"""Staff assigning an unmatched bank credit to a debtor (the import's card, or /assign).

The credit becomes a payment of that debtor, allocated like any other (bot/payments/recording.py:
the oldest open invoices first, an excess kept as unallocated and flagged), with its receipt,
alerts and audit; the credit remembers who assigned it. Assigning needs the authority to approve
the amount (as confirming a payment claim does); a credit already assigned stays as it is and the
answer says by whom.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from bot.decisions.common import (
    Decision,
    Verdict,
    actor_of,
    already_decided,
    audit,
    check_authority,
    name_of,
)
from bot.models import BankCredit, Debtor, PaymentMethod, StaffMember
from bot.models.bank import ASSIGNED, UNMATCHED
from bot.payments.recording import record_payment
from bot.runtime import Runtime

ACTION = "bankcredit.assign"


async def assign_credit(
    runtime: Runtime, credit: BankCredit, debtor: Debtor, staff: StaffMember | None
) -> Decision:
    subject = f"bankcredit:{credit.id}"
    amount, currency = credit.amount_cents, credit.currency
    refused = await check_authority(staff, ACTION, subject, amount, currency)
    if refused is not None:
        return refused
    async with in_transaction():
        locked = await BankCredit.filter(id=credit.id).select_for_update().first()
        if locked is None:
            return Decision(Verdict.INVALID, subject, detail="missing")
        if locked.status != UNMATCHED:
            by = locked.assigned_by_id
            return await already_decided(staff, ACTION, subject, locked.status, by)
        settings = runtime.settings
        recorded = await record_payment(
            settings,
            runtime.now(),
            debtor_id=debtor.id,
            amount_cents=amount,
            currency=currency,
            method=PaymentMethod.BANK_TRANSFER,
            provider_ref=locked.provider_ref,
            received_at=dt.datetime.combine(locked.booked_on, dt.time(12), settings.zone),
            note=f"{locked.file_name} line {locked.line_no}: {locked.description}"[:2000],
            actor=actor_of(staff),
        )
        if recorded is None:  # recorded meanwhile by another way (a later import)
            return await already_decided(staff, ACTION, subject, "recorded", None)
        locked.status = ASSIGNED
        locked.debtor_id = debtor.id  # type: ignore[attr-defined]
        locked.payment_id = recorded.payment.id  # type: ignore[attr-defined]
        locked.assigned_by_id = staff.id if staff else None
        await locked.save(update_fields=["status", "debtor_id", "payment_id", "assigned_by_id"])
        await audit(
            staff,
            "bankcredit.assigned",
            subject,
            debtor=debtor.id,
            payment=recorded.payment.id,
            amount_cents=amount,
            invoices=[invoice.number for invoice, _ in recorded.shares],
        )
    return Decision(Verdict.CONFIRMED, subject, name_of(staff), amount, currency)
