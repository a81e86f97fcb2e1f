"""A message from a debtor whose case was handed off (/handoff, bot/escalation/outsourcing.py).

The conversation does not step: no pay link, plan or discount is offered on the company's behalf
any more. The debtor is told, in one courteous reply, that the case is with an external agent and
that the message was forwarded; staff get the text. Keywords (STOP, HELP) and /start are applied
before this (bot/inbound_apply.py), so an opt-out is never lost. The reply row, the staff alert
and the message marked handled are written in one transaction, like every other answer.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bot.conversations.replies import reply
from bot.formats import language_or_default
from bot.inbound import InboundEvent, Received, record_answer
from bot.models import ContactPoint, Debtor, Message
from bot.outbox import queue_staff_alert
from bot.reply_sending import deliver, reply_fields
from bot.runtime import Runtime

REPLY_TEMPLATE = "replies/outsourced.txt"
STAFF_TEMPLATE = "staff/outsourced_wrote.txt"


async def answer_outsourced(
    runtime: Runtime,
    event: InboundEvent,
    message: Message,
    contact_point: ContactPoint,
    debtor: Debtor,
) -> Received:
    settings = runtime.settings
    language = language_or_default(debtor.language, settings.default_language)
    answer = reply(REPLY_TEMPLATE, language, debtor_name=debtor.name, company=settings.company_name)
    fields = reply_fields(runtime, event.channel, event.address, contact_point, answer)
    async with in_transaction():
        rows = await record_answer(message, [fields])
        await queue_staff_alert(
            STAFF_TEMPLATE,
            {
                "debtor_name": debtor.name,
                "debtor_ref": debtor.external_ref,
                "channel": event.channel.value,
                "text": message.body,
            },
            now=runtime.now(),
            debtor=debtor,
            idempotency_key=f"outsourced-wrote:{message.id}",
        )
    await deliver(runtime, rows, [answer], event, contact_point)
    return Received(message=message, debtor=debtor, contact_point=contact_point, replies=[answer])
