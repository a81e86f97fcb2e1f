"""A debtor with a bit of everything the timeline shows, built at fixed times."""

from __future__ import annotations

import datetime as dt

from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    Direction,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PlanStatus,
    PromiseToPay,
    StaffMember,
)

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
CHAT = "424242"
PHONE = "+393331234567"


def ago(days: int, hours: int = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours)


async def debtor_with_history(ref: str = "C042") -> Debtor:
    debtor = await Debtor.create(
        external_ref=ref, name="Rossi Impianti S.r.l.", tax_code="RSSMRA80A01H501U",
        notes="chiamare il lunedì",
    )  # fmt: skip
    telegram = await ContactPoint.create(debtor=debtor, channel=Channel.TELEGRAM, address=CHAT)
    sms = await ContactPoint.create(debtor=debtor, channel=Channel.SMS, address=PHONE)
    f1 = await Invoice.create(
        number=f"F-{ref}-1", debtor=debtor, issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1), amount_cents=123_456, paid_cents=23_456,
        status=InvoiceStatus.PARTIALLY_PAID,
    )  # fmt: skip
    await Invoice.create(
        number=f"F-{ref}-2", debtor=debtor, issue_date=dt.date(2026, 11, 10),
        due_date=dt.date(2026, 12, 10), amount_cents=50_000,
    )  # fmt: skip
    await Message.create(
        debtor=debtor, contact_point=telegram, direction=Direction.OUTBOUND,
        channel=Channel.TELEGRAM, template="reminders/overdue_1.txt",
        body="Gentile Rossi Impianti S.r.l., ...", status=MessageStatus.DELIVERED,
        sent_at=ago(20), scheduled_at=ago(20),
    )  # fmt: skip
    await Message.create(
        debtor=debtor, contact_point=telegram, direction=Direction.INBOUND,
        channel=Channel.TELEGRAM, body="posso pagare a rate? Mario Rossi 333 1234567",
        status=MessageStatus.HANDLED, sent_at=ago(19, 22),
    )  # fmt: skip
    await Message.create(
        debtor=debtor, contact_point=sms, direction=Direction.OUTBOUND, channel=Channel.SMS,
        template="reminders/overdue_2.txt", status=MessageStatus.PENDING,
        scheduled_at=NOW + dt.timedelta(days=2), context={"address": PHONE},
    )  # fmt: skip
    anna = await StaffMember.create(telegram_user_id=501, name="Anna")
    plan = await PaymentPlan.create(
        debtor=debtor, status=PlanStatus.REJECTED, total_cents=100_000, instalment_count=4,
        first_due_date=dt.date(2026, 11, 10), decided_by=anna, decided_at=ago(19, 10),
    )  # fmt: skip
    await PaymentPlan.filter(id=plan.id).update(requested_at=ago(19, 21))
    await AuditEvent.create(actor=f"staff:{anna.id}", action="plan.rejected",
                            subject=f"plan:{plan.id}")  # fmt: skip
    await AuditEvent.filter(subject=f"plan:{plan.id}").update(created_at=ago(19, 10))
    promise = await PromiseToPay.create(debtor=debtor, promised_date=dt.date(2026, 11, 5))
    await PromiseToPay.filter(id=promise.id).update(created_at=ago(18))
    payment = await Payment.create(
        debtor=debtor, amount_cents=23_456, method=PaymentMethod.BANK_TRANSFER,
        received_at=ago(17), provider_ref=f"bank:{ref}:1", note="BONIFICO DA MARIO ROSSI",
    )  # fmt: skip
    await PaymentAllocation.create(payment=payment, invoice=f1, amount_cents=23_456)
    return debtor
