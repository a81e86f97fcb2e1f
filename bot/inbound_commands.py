"""The inbound messages that are commands, not conversation: a keyword and Telegram's /start.

A keyword (bot/flows/vocabulary.py: STOP, START, AIUTO... on every channel) records the opt-out
or opt-in on every contact point at the address (bot/optout.py) and confirms it; /start links the
chat to the debtor of its deep-link token (bot/linking.py) and says so. Either way the change, the
reply row and the message marked handled are written in one transaction, so a crash applies all
or nothing and the provider's retry (or the start-up pass) applies it exactly once.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from bot.config import SUPPORTED_LANGUAGES
from bot.conversations.exchange import OPTED_OUT_EVERYWHERE
from bot.conversations.replies import Reply, reply
from bot.conversations.store import open_invoices
from bot.flows.vocabulary import Keyword, KeywordMatch
from bot.inbound import InboundEvent, Received, record_answer
from bot.linking import LinkOutcome, redeem
from bot.models import AuditEvent, ContactPoint, Debtor, Message
from bot.optout import KEYWORD_OPT_IN_SOURCE, confirmation_template, record_opt_in, record_opt_out
from bot.outbox import queue_staff_alert
from bot.reply_sending import deliver, reply_fields
from bot.runtime import Runtime
from bot.texts import language_or_default, render


async def apply_keyword(
    runtime: Runtime,
    event: InboundEvent,
    message: Message,
    point: ContactPoint | None,
    found: KeywordMatch,
) -> Received:
    """Record the opt-out or opt-in, confirm from a template (help: just the text)."""
    now = runtime.now()
    settings = runtime.settings
    debtor = point.debtor if point is not None else None
    language = language_or_default(
        debtor.language if isinstance(debtor, Debtor) else found.language,
        settings.default_language,
    )
    async with in_transaction():
        if found.keyword is Keyword.OPT_OUT:
            await record_opt_out(event.channel, event.address, now)
            if point is not None:
                point.opted_out_at = now
                await tell_staff_if_unreachable(runtime, point, message)
        elif found.keyword is Keyword.OPT_IN:
            await record_opt_in(event.channel, event.address, now)
            if point is not None:
                point.opted_out_at = None
                point.opted_in_at = now
                point.opt_in_source = KEYWORD_OPT_IN_SOURCE
        confirmation = reply(
            confirmation_template(found.keyword),
            language,
            company=settings.company_name,
            reply_to=settings.smtp_reply_to,
            channel=event.channel.value,
        )
        fields = reply_fields(runtime, event.channel, event.address, point, confirmation)
        [row] = await record_answer(message, [fields])
    await deliver(runtime, [row], [confirmation], event, point)
    known = debtor if isinstance(debtor, Debtor) else None
    return Received(message=message, debtor=known, contact_point=point, replies=[confirmation])


async def tell_staff_if_unreachable(
    runtime: Runtime, point: ContactPoint, message: Message
) -> None:
    """Inside the opt-out's transaction: staff hear when it closed the debtor's last reachable
    channel (as the conversation's own opt-out does, bot/conversations/apply.py), and it is
    audited."""
    debtor = point.debtor
    if not isinstance(debtor, Debtor):
        return
    reachable = await ContactPoint.filter(
        debtor_id=debtor.id, opted_out_at__isnull=True, unreachable_at__isnull=True
    ).count()
    await AuditEvent.create(
        actor=f"debtor:{debtor.id}",
        action="keyword.opt_out",
        subject=f"contact_point:{point.id}",
        data={"reachable_left": reachable},
    )
    if reachable:
        return
    invoices = await open_invoices(debtor)
    context = {
        "debtor_id": debtor.id,
        "debtor_name": debtor.name,
        "debtor_ref": debtor.external_ref,
        "channel": point.channel.value,
        "total_cents": sum(invoice.balance_cents for invoice in invoices),
        "currency": invoices[0].currency if invoices else "EUR",
    }
    await queue_staff_alert(
        OPTED_OUT_EVERYWHERE,
        context,
        now=runtime.now(),
        debtor=debtor,
        idempotency_key=f"opted_out_everywhere:{message.id}",
    )


def _start_language(runtime: Runtime, event: InboundEvent) -> str:
    """For a chat we do not know yet: the user's Telegram language if we speak it."""
    code = event.language[:2]
    return code if code in SUPPORTED_LANGUAGES else runtime.settings.default_language


async def apply_start(runtime: Runtime, event: InboundEvent, message: Message) -> Received:
    """/start with a deep-link token links the chat to its debtor; without one, or with one that
    does not link, the chat is told how to get a link. An unlinked chat sees no debtor's data."""
    now = runtime.now()
    company = runtime.settings.company_name
    debtor: Debtor | None = None
    point: ContactPoint | None = None
    async with in_transaction():
        if not event.start_token:
            template = "linking/start_without_token.txt"
            text = render(template, _start_language(runtime, event), company=company)
        else:
            key = runtime.settings.signing_key()
            result = await redeem(event.start_token, event.address, key, now)
            if result.outcome is LinkOutcome.LINKED and result.debtor and result.contact_point:
                debtor, point = result.debtor, result.contact_point
                template = "linking/linked.txt"
                text = render(template, debtor.language, debtor_name=debtor.name, company=company)
            else:
                template = "linking/link_invalid.txt"
                language = _start_language(runtime, event)
                text = render(template, language, reason=result.outcome.value, company=company)
        answer = Reply(text=text, template=template)
        fields = reply_fields(runtime, event.channel, event.address, point, answer)
        [row] = await record_answer(message, [fields], point)
    await deliver(runtime, [row], [answer], event, point)
    return Received(message=message, debtor=debtor, contact_point=point, replies=[answer])


__all__ = ["apply_keyword", "apply_start"]
