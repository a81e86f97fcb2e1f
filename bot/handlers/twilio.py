"""Twilio webhooks: delivery status callbacks and inbound SMS / WhatsApp messages.

Both endpoints read the body up to Twilio's limit (bot/webhooks.py, 413 past it), then verify
X-Twilio-Signature against PUBLIC_BASE_URL + path (what Twilio signed, even when a proxy rewrote
the host) and the form parsed from the raw bytes: a request that does not verify gets 403 and
nothing is read. Then the sender (inbound: a valid phone number in E.164, else 400 and nothing
stored), then the form's shape (pydantic, below): a signed form that does not fit is parked
(bot/parking.py) and answered 2xx, so Twilio does not deliver it again.

`POST /twilio/status` moves the outbound message's delivery status forward only (a late "sent"
never undoes "delivered"), so retried and out-of-order callbacks are harmless.

`POST /twilio/inbound` turns the form into an InboundEvent: "whatsapp:+39..." senders are WhatsApp,
media become attachments, a template button's payload or a bare "2" answering numbered choices
becomes the chosen option. Opt-out, opt-in and help keywords are answered here; everything else
goes to bot.inbound.receive_from. Replies go out through the REST API, so the answer is an empty
TwiML <Response/>. A retried delivery (same MessageSid) is stored once and handled once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, Field, StrictStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.numbered import option_for_number
from bot.channels.twilio_client import (
    INBOUND_PATH,
    STATUS_CALLBACK_PATH,
    record_address_facts,
    signature_is_valid,
)
from bot.channels.whatsapp import WHATSAPP_PREFIX, plain_phone
from bot.contacts import channel_address
from bot.conversations.replies import reply
from bot.inbound import InboundEvent, find_contact_points, receive_from, send_reply, store
from bot.models import Channel, ContactPoint, Direction, Message, MessageStatus
from bot.optout import (
    Keyword,
    KeywordMatch,
    confirmation_template,
    match_keyword,
    record_opt_in,
    record_opt_out,
)
from bot.parking import park
from bot.runtime import Runtime
from bot.shared_address import CHOSEN_KEYWORDS, receive_shared
from bot.web import WebPart
from bot.webhooks import Malformed, read_body, refuse, validate

log = logging.getLogger(__name__)

PROVIDER = "twilio"
STATUS_KIND = "status"
INBOUND_KIND = "inbound"
MAX_FIELDS = 200
MAX_MEDIA = 10  # Twilio's own limit per message
Sid = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9]{2,64}$")]
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

# Delivery progress: a callback may only move a message to a higher rank.
DELIVERY_RANK = {
    MessageStatus.SENT: 1,
    MessageStatus.UNDELIVERED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}
# Twilio's MessageStatus -> ours. accepted/scheduled/queued/sending: the row is already SENT.
# "failed" becomes UNDELIVERED: our FAILED means every channel failed and staff were alerted,
# which is the dispatcher's verdict, not one provider's; the word itself goes into last_error.
TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.UNDELIVERED,
}


def reported_status(twilio_status: str) -> MessageStatus | None:
    return TWILIO_STATUSES.get(twilio_status.lower())


def statuses_below(status: MessageStatus) -> list[MessageStatus]:
    """The statuses a message may leave for `status` (those of lower rank)."""
    rank = DELIVERY_RANK[status]
    return [known for known, other in DELIVERY_RANK.items() if other < rank]


def webhook_url(runtime: Runtime, request: Request) -> str:
    """The URL Twilio called and signed: the public one, whatever host the proxy forwarded to."""
    base = runtime.settings.public_base_url
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return base + request.url.path + query


def parse_form(raw: bytes) -> dict[str, str] | None:
    """The urlencoded form Twilio posts; None for a body that is not one (not UTF-8, too many
    fields)."""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        )
    except ValueError:  # UnicodeDecodeError included
        return None
    return dict(pairs)


async def verified_form(runtime: Runtime, request: Request) -> tuple[bytes, dict[str, str]] | None:
    """The raw body and form of a request Twilio signed, read within the size limit; None when
    it is not signed."""
    raw = await read_body(request, PROVIDER)
    form = parse_form(raw)
    if form is None:
        return None
    signature = request.headers.get("X-Twilio-Signature")
    token = runtime.settings.twilio_auth_token
    if not signature_is_valid(token, webhook_url(runtime, request), form, signature):
        return None
    return raw, form


class StatusForm(BaseModel):
    message_sid: Sid
    message_status: Annotated[StrictStr, Field(pattern=r"^[A-Za-z_-]{1,32}$")]
    error_code: Annotated[StrictStr, Field(pattern=r"^[0-9]{0,6}$")] = ""


class InboundForm(BaseModel):
    message_sid: Sid
    text: StrictStr = ""
    button_payload: Annotated[StrictStr, Field(max_length=256)] = ""
    num_media: Annotated[int, Field(ge=0, le=MAX_MEDIA)] = 0


def status_form(form: Mapping[str, str]) -> StatusForm:
    fields = {
        "message_sid": form.get("MessageSid") or form.get("SmsSid") or "",
        "message_status": form.get("MessageStatus") or form.get("SmsStatus") or "",
        "error_code": form.get("ErrorCode") or "",
    }
    return validate(StatusForm, fields, STATUS_KIND)


def sender(form: Mapping[str, str]) -> tuple[Channel, str]:
    """The sender's channel and E.164 number; 400 for an empty or invalid one."""
    given = form.get("From") or ""
    channel = Channel.WHATSAPP if given.startswith(WHATSAPP_PREFIX) else Channel.SMS
    try:
        return channel, channel_address(channel.value, plain_phone(given))
    except ValueError:
        raise refuse(400, "From is not a valid phone number") from None


async def apply_delivery_status(
    message_sid: str, twilio_status: str, error_code: str, now: dt.datetime
) -> bool:
    """Record a status callback on the outbound message it is about; False if we do not know it."""
    message = await Message.get_or_none(provider_id=message_sid, direction=Direction.OUTBOUND)
    if message is None:
        return False
    status = reported_status(twilio_status)
    if status is None:  # queued, sending...: the row already says SENT
        return True
    changes: dict[str, Any] = {"status": status, "updated_at": now}
    if error_code:
        changes["last_error"] = f"twilio {twilio_status}: error {error_code}"
    # One conditional UPDATE: a late or concurrent callback cannot move the status backwards,
    # and a retried one changes nothing.
    moved = await Message.filter(id=message.id, status__in=statuses_below(status)).update(**changes)
    if moved and error_code.isdigit():
        point = await ContactPoint.get_or_none(id=message.contact_point_id)  # type: ignore[attr-defined]
        if point is not None:
            await record_address_facts(point.channel, point.address, int(error_code), now)
    return True


async def last_offered_options(points: list[ContactPoint]) -> list[dict[str, str]]:
    """The options of the last message we sent to this address (a bare "2" answers them), on
    whichever of its contact points it went to (an address may serve several debtors)."""
    if not points:
        return []
    last = (
        await Message.filter(
            contact_point_id__in=[p.id for p in points], direction=Direction.OUTBOUND
        )
        .order_by("-id")
        .first()
    )
    return list(last.options) if last is not None and last.options else []


def inbound_event(form: Mapping[str, str], now: dt.datetime) -> InboundEvent:
    """The normalised event. 400 for an invalid sender; Malformed for a form that does not fit."""
    channel, address = sender(form)
    fields = {
        "message_sid": form.get("MessageSid") or form.get("SmsMessageSid") or "",
        "text": form.get("Body") or form.get("ButtonText") or "",
        "button_payload": form.get("ButtonPayload") or "",
        "num_media": form.get("NumMedia") or "0",
    }
    shape = validate(InboundForm, fields, INBOUND_KIND)
    attachments = [
        {
            "url": form.get(f"MediaUrl{index}", ""),
            "mime_type": form.get(f"MediaContentType{index}", ""),
        }
        for index in range(shape.num_media)
        if form.get(f"MediaUrl{index}")
    ]
    return InboundEvent(
        channel=channel,
        address=address,
        provider_event_id=shape.message_sid,
        text=shape.text,
        chosen_option=shape.button_payload,
        attachments=attachments,
        received_at=now,
    )


async def answer_keyword(
    runtime: Runtime, event: InboundEvent, point: ContactPoint | None, found: KeywordMatch
) -> None:
    """Store the message, record the opt-out or opt-in, confirm from a template."""
    now = runtime.now()
    message = await store(event, point, now)
    if message is None:
        log.info("duplicate %s delivery %s ignored", event.channel, event.provider_event_id)
        return
    if found.keyword is Keyword.OPT_OUT:
        await record_opt_out(event.channel, event.address, now)
    elif found.keyword is Keyword.OPT_IN:
        await record_opt_in(event.channel, event.address, now)
    if point is not None:
        await ContactPoint.filter(id=point.id).update(last_inbound_at=now)
        # The confirmation reads both: the session the debtor just opened, their consent.
        await point.refresh_from_db(fields=["last_inbound_at", "opted_in_at", "opted_out_at"])
    settings = runtime.settings
    language = (
        point.debtor.language if point is not None else found.language or settings.default_language
    )
    confirmation = reply(
        confirmation_template(found.keyword),
        language,
        company=settings.company_name,
        reply_to=settings.smtp_reply_to,
    )
    await send_reply(runtime, event.channel, event.address, point, confirmation)
    message.status = MessageStatus.HANDLED
    await message.save(update_fields=["status", "updated_at"])


class TwilioWebhooks:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def status(self, request: Request) -> Response:
        verified = await verified_form(self.runtime, request)
        if verified is None:
            return PlainTextResponse("invalid signature", status_code=403)
        raw, form = verified
        try:
            await handle_status(self.runtime, form)
        except Malformed as problem:
            await park(self.runtime, PROVIDER, problem, raw)
        return Response(status_code=204)

    async def inbound(self, request: Request) -> Response:
        verified = await verified_form(self.runtime, request)
        if verified is None:
            return PlainTextResponse("invalid signature", status_code=403)
        raw, form = verified
        try:
            await handle_inbound(self.runtime, form)
        except Malformed as problem:
            await park(self.runtime, PROVIDER, problem, raw)
        return Response(EMPTY_TWIML, media_type="text/xml")


async def handle_status(runtime: Runtime, form: Mapping[str, str]) -> str:
    shape = status_form(form)
    known = await apply_delivery_status(
        shape.message_sid, shape.message_status, shape.error_code, runtime.now()
    )
    if not known:
        log.info("status for unknown message %s ignored", shape.message_sid)
    return "applied" if known else "unknown_message"


async def handle_inbound(runtime: Runtime, form: Mapping[str, str]) -> str:
    event = inbound_event(form, runtime.now())
    points = await find_contact_points(event.channel, event.address)
    keyword = None
    if not event.chosen_option and not event.attachments:
        opted_out = bool(points) and all(p.opted_out_at is not None for p in points)
        keyword = match_keyword(event.text, opted_out=opted_out)
    shared = len(points) > 1
    if keyword is not None and not (shared and keyword.keyword in CHOSEN_KEYWORDS):
        await answer_keyword(runtime, event, points[0] if len(points) == 1 else None, keyword)
        return "keyword"
    if not event.chosen_option and keyword is None:
        offered = await last_offered_options(points)
        event = _with_numbered_choice(event, offered)
    if shared:
        # Which company is this about? Asked before anything is applied (bot.shared_address).
        received = await receive_shared(runtime, event, points, keyword)
    else:
        received = await receive_from(runtime, event, points[0] if points else None)
    return "received" if received is not None else "duplicate"


async def replay(runtime: Runtime, kind: str, raw: bytes) -> str:
    """A parked form, once more through its handler (python -m bot events replay)."""
    form = parse_form(raw)
    if form is None:
        raise Malformed(kind, "not a form")
    if kind == STATUS_KIND:
        return await handle_status(runtime, form)
    return await handle_inbound(runtime, form)


def _with_numbered_choice(event: InboundEvent, offered: list[dict[str, str]]) -> InboundEvent:
    chosen = option_for_number(event.text, offered)
    return replace(event, chosen_option=chosen) if chosen else event


def web_part(runtime: Runtime) -> WebPart:
    hooks = TwilioWebhooks(runtime)
    return WebPart(
        routes=[
            Route(STATUS_CALLBACK_PATH, hooks.status, methods=["POST"]),
            Route(INBOUND_PATH, hooks.inbound, methods=["POST"]),
        ]
    )
