"""An address several debtors share: ask which company a message is about before acting on it.

Contact points are unique per (debtor, channel, address): one bookkeeper's phone or Telegram chat
may stand for two client companies. A message from such an address ("STOP", "ho già pagato",
"vorrei rateizzare") is applied to no debtor until the person has said which one: the bot asks,
with one option per company (buttons on Telegram, a numbered list on SMS and WhatsApp), and the
original message is then applied to the company chosen, and to no other.

The question is an ordinary reply row; its context holds what is pending
(`{"who": {"message_id": ..., "debtors": [...], "keyword": ...}}`), so no table changes. Once
the person has chosen, the conversation that follows (our replies to that company's contact point)
carries on with that company until it goes quiet for the conversation timeout or another message
(a reminder, another question) is written to the address; then the next message asks again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from tortoise.transactions import in_transaction

from bot.channels.base import Option
from bot.conversations.replies import reply
from bot.flows.vocabulary import Keyword, KeywordMatch, normalise
from bot.inbound import InboundEvent, Received, mark_handled, note_inbound, record_answer, store
from bot.inbound_apply import answer, receive_from
from bot.models import ContactPoint, Debtor, Direction, Message
from bot.reply_sending import deliver, reply_fields
from bot.runtime import Runtime
from bot.texts import language_or_default

log = logging.getLogger(__name__)

WHO_PREFIX = "who:"
WHO_ALL = "who:all"  # offered for an opt-out or opt-in keyword: every company on the address
QUESTION_TEMPLATE = "replies/which_debtor.txt"
KEYWORD_TEMPLATE = "optout/shared_{keyword}.txt"
# Keywords that change what a debtor receives: never applied before the person has chosen.
CHOSEN_KEYWORDS = (Keyword.OPT_OUT, Keyword.OPT_IN)


async def latest_outbound(points: list[ContactPoint]) -> Message | None:
    """The last message written to this address, on any of its debtors' contact points."""
    return (
        await Message.filter(
            direction=Direction.OUTBOUND, contact_point_id__in=[p.id for p in points]
        )
        .order_by("-id")
        .first()
    )


def pending_question(latest: Message | None) -> dict[str, Any] | None:
    """What the last message asked, when it asked which company."""
    context = latest.context if latest is not None else None
    who = context.get("who") if isinstance(context, dict) else None
    return who if isinstance(who, dict) else None


def settled_point(
    latest: Message | None, points: list[ContactPoint], runtime: Runtime
) -> ContactPoint | None:
    """The company the person is talking about: our last message to the address answered them,
    about one company they chose, within the conversation timeout."""
    if latest is None or not isinstance(latest.context, dict):
        return None
    if not latest.context.get("reply") or "who" in latest.context:
        return None
    if (latest.template or "").startswith("optout/"):  # a keyword's confirmation settles nothing
        return None
    written = latest.scheduled_at or latest.created_at
    timeout = dt.timedelta(hours=runtime.settings.conversation_timeout_hours)
    if written is None or runtime.now() - written > timeout:
        return None
    return next((p for p in points if p.id == latest.contact_point_id), None)  # type: ignore[attr-defined]


def chosen_points(
    event: InboundEvent, pending: dict[str, Any], points: list[ContactPoint]
) -> list[ContactPoint]:
    """The contact points the person picked in answer to the question; [] when not an answer.

    A button's key or the number of the list (read into `chosen_option` by the Twilio handler),
    or the company's name typed out."""
    offered = [p for p in points if p.debtor_id in pending.get("debtors", ())]  # type: ignore[attr-defined]
    key = event.chosen_option
    if key == WHO_ALL and pending.get("keyword"):
        return offered
    if key.startswith(WHO_PREFIX):
        return [p for p in offered if f"{WHO_PREFIX}{p.debtor_id}" == key]  # type: ignore[attr-defined]
    typed = normalise(event.text)
    named = [p for p in offered if typed and normalise(_debtor(p).name) == typed]
    return named[:1]


def _debtor(point: ContactPoint) -> Debtor:
    debtor = point.debtor
    assert isinstance(debtor, Debtor)  # find_contact_points loads it with the point
    return debtor


def question_options(points: list[ContactPoint], language: str, keyword: str) -> tuple[Option, ...]:
    options = [Option(f"{WHO_PREFIX}{_debtor(p).id}", _debtor(p).name) for p in points]
    if keyword:
        label = reply("replies/which_debtor_all.txt", language).text.strip()
        options.append(Option(WHO_ALL, label))
    return tuple(options)


async def receive_shared(
    runtime: Runtime,
    event: InboundEvent,
    points: list[ContactPoint],
    keyword: KeywordMatch | None = None,
) -> Received | None:
    """A message from an address several debtors share. None when it is a retried delivery.

    `keyword`: bot.receive read the whole text as a keyword. Help needs no company: answered
    at once; an opt-out or opt-in waits for the person to say which."""
    if keyword is not None and keyword.keyword not in CHOSEN_KEYWORDS:
        return await receive_from(runtime, event, None, keyword)
    latest = await latest_outbound(points)
    pending = pending_question(latest)
    if pending is not None:
        chosen = chosen_points(event, pending, points)
        if chosen:
            return await _apply_choice(runtime, event, pending, chosen)
    # An opt-out or opt-in always asks: a "STOP" in the middle of one company's conversation may
    # well be about the other one.
    settled = settled_point(latest, points, runtime) if keyword is None else None
    if settled is not None:
        return await receive_from(runtime, event, settled)
    return await _ask(runtime, event, points, keyword)


async def _ask(
    runtime: Runtime,
    event: InboundEvent,
    points: list[ContactPoint],
    keyword: KeywordMatch | None,
) -> Received | None:
    """Store the message for no debtor yet, and ask which company it is about."""
    now = runtime.now()
    message = await store(event, None, now)
    if message is None:
        return None
    for point in points:
        await note_inbound(point, now)
    # The question is filed under a contact point that can still be written to, should the
    # dispatcher have to send it again.
    first = next((p for p in points if p.opted_out_at is None and p.unreachable_at is None), None)
    first = first or points[0]
    settings = runtime.settings
    language = language_or_default(
        (keyword.language if keyword else "") or _debtor(first).language,
        settings.default_language,
    )
    kind = keyword.keyword.value if keyword and keyword.keyword in CHOSEN_KEYWORDS else ""
    question = reply(
        QUESTION_TEMPLATE,
        language,
        question_options(points, language, kind),
        company=settings.company_name,
    )
    fields = reply_fields(runtime, event.channel, event.address, first, question)
    fields["context"]["who"] = {
        "message_id": message.id,
        "debtors": [p.debtor_id for p in points],  # type: ignore[attr-defined]
        "keyword": kind,
        "language": language,
    }
    async with in_transaction():
        [row] = await record_answer(message, [fields])
    await deliver(runtime, [row], [question], event, first)
    return Received(message=message, debtor=None, contact_point=None, replies=[question])


async def _apply_choice(
    runtime: Runtime,
    event: InboundEvent,
    pending: dict[str, Any],
    chosen: list[ContactPoint],
) -> Received | None:
    """The person chose: the answer is stored for that company, and the message the question
    was about is applied to it (and to no other)."""
    now = runtime.now()
    target = chosen[0]
    answer_row = await store(event, target, now)  # noting that the debtor wrote
    if answer_row is None:
        return None
    keyword = str(pending.get("keyword") or "")
    if keyword:
        language = str(pending.get("language") or "")
        await apply_keyword(runtime, event, answer_row, chosen, Keyword(keyword), language)
        return Received(answer_row, _debtor(target), target, [])
    await mark_handled(answer_row)
    original = await Message.get_or_none(id=int(pending["message_id"]))
    if original is None:  # deleted meanwhile: the answer alone goes to the chosen company
        return await answer(runtime, event, answer_row, target)
    original.debtor_id = target.debtor_id  # type: ignore[attr-defined]
    original.contact_point_id = target.id  # type: ignore[attr-defined]
    await Message.filter(id=original.id).update(
        debtor_id=target.debtor_id,  # type: ignore[attr-defined]
        contact_point_id=target.id,
    )
    return await answer(runtime, event, original, target)


async def apply_keyword(
    runtime: Runtime,
    event: InboundEvent,
    answer_row: Message,
    points: list[ContactPoint],
    keyword: Keyword,
    language: str,
) -> None:
    """Opt the chosen contact points out (or back in), and confirm naming the companies: the
    change, the confirmation row and the answer marked handled in one transaction."""
    now = runtime.now()
    ids = [p.id for p in points]
    settings = runtime.settings
    first = points[0]
    confirmation = reply(
        KEYWORD_TEMPLATE.format(keyword=keyword.value),
        language_or_default(language or _debtor(first).language, settings.default_language),
        company=settings.company_name,
        names=[_debtor(p).name for p in points],
        channel=event.channel.value,
    )
    async with in_transaction():
        if keyword is Keyword.OPT_OUT:
            await ContactPoint.filter(id__in=ids).update(opted_out_at=now)
        else:
            await ContactPoint.filter(id__in=ids).update(opted_out_at=None, opted_in_at=now)
        fields = reply_fields(runtime, event.channel, event.address, first, confirmation)
        [row] = await record_answer(answer_row, [fields])
    await deliver(runtime, [row], [confirmation], event, first)


__all__ = ["WHO_ALL", "WHO_PREFIX", "apply_keyword", "receive_shared"]
