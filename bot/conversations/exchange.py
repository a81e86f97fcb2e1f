"""One inbound message being answered, and what applying its effects needs from it.

`Exchange` holds who wrote, the message, the context the step saw and the open invoices as rows;
`alert` and `audit` are how every effect tells staff and leaves its trace. Staff alerts are rows
in the outbox (bot/outbox.py): the dispatcher sends them to the staff chat with their buttons,
whose callback data is `<subject>:<action>:<id>` (bot/handlers/staff_buttons.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from bot.channels.base import Attachment, Option
from bot.flows.context import FlowContext, ReplySpec
from bot.models import AuditEvent, Debtor, Invoice, Message
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime
from bot.texts import render

# Staff chat templates (templates/<lang>/staff/...) and button labels (staff/buttons/...).
PLAN_REQUEST = "staff/plan_request.txt"
COUNTER_DECLINED = "staff/plan_counter_declined.txt"
DISCOUNT_REQUEST = "staff/discount_request.txt"
PAYMENT_CLAIM = "staff/payment_claim.txt"
DISPUTE_OPENED = "staff/dispute_opened.txt"
HANDOFF = "staff/handoff.txt"
RELAY = "staff/relay.txt"
WORDS = "staff/words.txt"
CONVERSATION_FAILED = "staff/conversation_failed.txt"
OPTED_OUT_EVERYWHERE = "staff/opted_out_everywhere.txt"
FIRST_INSTALMENT = "flows/plan/first_instalment.txt"


@dataclass
class Applied:
    """What the effects produced for the replies: fills (`pay_url`), added replies, and files
    to attach to the step's own reply of a template (the statement's PDF)."""

    filled: dict[str, Any] = field(default_factory=dict)
    replies: list[ReplySpec] = field(default_factory=list)
    attachments: dict[str, tuple[Attachment, ...]] = field(default_factory=dict)

    def attach(self, specs: list[ReplySpec]) -> list[ReplySpec]:
        """`specs` with the files an effect made for their template."""
        return [
            replace(spec, attachments=spec.attachments + self.attachments[spec.template])
            if spec.template in self.attachments
            else spec
            for spec in specs
        ]


@dataclass(frozen=True)
class Exchange:
    """The inbound message being answered and who sent it."""

    runtime: Runtime
    debtor: Debtor
    message: Message
    ctx: FlowContext
    invoices: tuple[Invoice, ...]  # the open invoices the context shows, as rows

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now

    @property
    def actor(self) -> str:
        return f"debtor:{self.debtor.id}"

    @property
    def invoice_ids(self) -> list[int]:
        return [invoice.id for invoice in self.invoices]

    def staff_buttons(self, subject: str, object_id: int, *actions: str) -> tuple[Option, ...]:
        language = self.runtime.settings.default_language
        return tuple(staff_button(language, subject, a, object_id) for a in actions)

    def debtor_context(self) -> dict[str, Any]:
        return {
            "debtor_id": self.debtor.id,
            "debtor_name": self.debtor.name,
            "debtor_ref": self.debtor.external_ref,
            "channel": self.message.channel.value if self.message.channel else "",
        }


def staff_button(language: str, subject: str, action: str, object_id: int) -> Option:
    """A staff chat button: callback data `<subject>:<action>:<id>`, label from a template."""
    label = render(f"staff/buttons/{subject}_{action}.txt", language).strip()
    return Option(key=f"{subject}:{action}:{object_id}", label=label)


async def audit(exchange: Exchange, action: str, subject: str, **data: Any) -> None:
    await AuditEvent.create(actor=exchange.actor, action=action, subject=subject, data=data)


async def alert(
    exchange: Exchange, template: str, options: tuple[Option, ...] = (), **ctx: Any
) -> None:
    await queue_staff_alert(
        template,
        {**exchange.debtor_context(), **ctx},
        now=exchange.now,
        debtor=exchange.debtor,
        options=options,
    )


def attachment_summary(attachments: tuple[dict[str, Any], ...]) -> list[dict[str, str]]:
    return [
        {
            "kind": str(item.get("kind", "")),
            "name": str(item.get("file_name") or item.get("url") or item.get("file_id") or ""),
        }
        for item in attachments
        if isinstance(item, dict)
    ]
