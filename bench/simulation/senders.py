"""Sandbox senders that record what each provider would have been handed, when, and the debtor's
facts at that moment (read from the database as the message leaves).

The WhatsApp one behaves as the real sender does with its session flag: inside the session it
sends free text, outside it an approved template when one is configured, otherwise it asks for
another channel (FALLBACK). The SMS one records the body the real sender composes (numbered
options included), since that is what the network counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import OutgoingMessage, SendError, SendOutcome
from bot.channels.numbered import with_numbered_options
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Dispute,
    DisputeStatus,
    Invoice,
    Message,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.providers.twilio.sms import sms_body
from simulation.facts import DebtorFacts, InvoiceFact, Sent

# Templates with an approved WhatsApp Content SID in the simulated deployment: the reminders.
APPROVED_WHATSAPP = frozenset(
    {
        "courtesy",
        "due_today",
        "overdue_1",
        "overdue_2",
        "overdue_3",
        "final_notice",
        "instalment_due",
        "promise_reminder",
        "thank_you",
    }
)

_ids = itertools.count(1)


def _template_stem(template: str) -> str:
    return template.rsplit("/", 1)[-1].split(".", 1)[0]


async def debtor_facts(debtor_id: int, channel: Channel, address: str) -> DebtorFacts:
    """The debtor as the database holds it now: invoices, plans, promises, disputes, consent."""
    debtor = await Debtor.get(id=debtor_id)
    invoices = tuple(
        InvoiceFact(
            inv.id, inv.number, inv.due_date, inv.balance_cents, inv.currency, inv.status.value
        )
        for inv in await Invoice.filter(debtor_id=debtor_id)
    )
    plans = await PaymentPlan.filter(
        debtor_id=debtor_id, status__in=(PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE)
    ).values_list("status", "invoice_ids")
    promises = await PromiseToPay.filter(
        debtor_id=debtor_id, status=PromiseStatus.PENDING
    ).values_list("invoice_ids", flat=True)
    disputed = await Dispute.filter(debtor_id=debtor_id, status=DisputeStatus.OPEN).values_list(
        "invoice_id", flat=True
    )
    opted_in = await ContactPoint.filter(
        debtor_id=debtor_id, channel=channel, address=address, opted_in_at__isnull=False
    ).exists()
    return DebtorFacts(
        debtor_id=debtor_id,
        timezone=debtor.timezone,
        invoices=invoices,
        plan_pending_approval=any(s == PlanStatus.PENDING_APPROVAL for s, _ in plans),
        active_plan_invoice_ids=frozenset(
            int(i) for s, ids in plans if s == PlanStatus.ACTIVE for i in ids or ()
        ),
        promised_invoice_ids=frozenset(
            int(i) for ids in promises for i in (ids or [inv.id for inv in invoices])
        ),
        disputed_invoice_ids=frozenset(int(i) for i in disputed if i is not None),
        whatsapp_opted_in=opted_in,
    )


@dataclass
class Recorder:
    """Where every sender writes: the sent messages, in order, and who reads them next."""

    clock: Callable[[], Any]
    staff_chat: str
    sent: list[Sent] = field(default_factory=list)
    listeners: list[Callable[[Sent, OutgoingMessage], None]] = field(default_factory=list)

    async def record(self, message: OutgoingMessage, text: str, free_text: bool = False) -> Sent:
        row = await Message.get_or_none(id=message.message_id) if message.message_id else None
        debtor_id = row.debtor_id if row is not None else None  # type: ignore[attr-defined]
        if message.address == self.staff_chat:
            debtor_id = None
        facts = None
        if debtor_id is not None:
            facts = await debtor_facts(debtor_id, message.channel, message.address)
        entry = Sent(
            id=message.message_id or 0,
            at=self.clock(),
            channel=message.channel.value,
            address=message.address,
            text=text,
            template=message.template or (row.template if row else ""),
            step=row.step if row is not None else "",
            debtor_id=debtor_id,
            facts=facts,
            whatsapp_free_text=free_text,
            option_keys=tuple(option.key for option in message.options),
        )
        self.sent.append(entry)
        for listener in self.listeners:
            listener(entry, message)
        return entry


@dataclass
class RecordingSender:
    channel: Channel
    recorder: Recorder

    async def send(self, message: OutgoingMessage) -> str:
        if self.channel is Channel.SMS:
            if message.attachments:
                raise SendError(SendOutcome.FALLBACK, "SMS cannot carry attachments")
            await self.recorder.record(message, sms_body(message))
        elif self.channel is Channel.WHATSAPP:
            await self._whatsapp(message)
        elif self.channel is Channel.TELEGRAM:
            await self.recorder.record(message, message.text)
        else:
            subject = f"{message.subject}\n\n" if message.subject else ""
            await self.recorder.record(message, subject + message.text)
        return f"sim-{self.channel.value}-{next(_ids)}"

    async def _whatsapp(self, message: OutgoingMessage) -> None:
        if message.attachments:
            raise SendError(SendOutcome.FALLBACK, "WhatsApp through Twilio needs files at a URL")
        if message.session_open:
            text = with_numbered_options(
                message.text, message.options, Channel.WHATSAPP, message.language or "it"
            )
            await self.recorder.record(message, text, free_text=True)
            return
        if _template_stem(message.template) not in APPROVED_WHATSAPP:
            raise SendError(SendOutcome.FALLBACK, "outside the 24-hour window, no template")
        await self.recorder.record(message, message.text)

    async def close(self) -> None:
        return None


def recording_senders(recorder: Recorder) -> dict[Channel, RecordingSender]:
    return {channel: RecordingSender(channel, recorder) for channel in Channel}
