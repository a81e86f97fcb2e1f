"""Twilio webhooks: delivery status callbacks and inbound SMS / WhatsApp messages.

Both endpoints read the body up to Twilio's limit (bot/webhooks.py, 413 past it), then verify
X-Twilio-Signature against PUBLIC_BASE_URL + path (what Twilio signed, even when a proxy rewrote
the host) and the form parsed from the raw bytes: a request that does not verify gets 403 and
nothing is read. Then the sender (inbound: a valid phone number in E.164, else 400 and nothing
stored), then the form's shape (pydantic, below): a signed form that does not fit is parked
(bot/parking.py) and answered 2xx, so Twilio does not deliver it again.

`POST /twilio/status` moves the outbound message's delivery status forward only (a late "sent"
never undoes "delivered"), so retried and out-of-order callbacks are harmless.

`POST /twilio/inbound` turns the form into an InboundEvent ("whatsapp:+39..." senders are WhatsApp,
media become attachments, a template button's payload the chosen option) for the one inbound path,
bot.receive.receive, which reads keywords and bare numbers (bot/flows/vocabulary.py) as on every
channel. Replies go out through the REST API, so the answer is an empty TwiML <Response/>. A
retried delivery (same MessageSid) is stored once and applied once; one whose first attempt failed
before the message was handled (a 500, which Twilio may deliver again) is applied then.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, Field, StrictStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.contacts import channel_address
from bot.inbound import InboundEvent
from bot.models import Channel, ContactPoint, Direction, Message, MessageStatus
from bot.parking import park
from bot.providers.twilio.client import (
    INBOUND_PATH,
    STATUS_CALLBACK_PATH,
    record_address_facts,
    signature_is_valid,
)
from bot.providers.twilio.whatsapp import WHATSAPP_PREFIX, plain_phone
from bot.receive import receive
from bot.runtime import Runtime
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


class TwilioWebhooks:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def status(self, request: Request) -> Response:
        return await self._handle(request, handle_status, Response(status_code=204))

    async def inbound(self, request: Request) -> Response:
        return await self._handle(
            request, handle_inbound, Response(EMPTY_TWIML, media_type="text/xml")
        )

    async def _handle(
        self,
        request: Request,
        handler: Callable[[Runtime, Mapping[str, str]], Awaitable[str]],
        answer: Response,
    ) -> Response:
        """A signed form to its handler; one that does not fit is parked and answered as well."""
        verified = await verified_form(self.runtime, request)
        if verified is None:
            return PlainTextResponse("invalid signature", status_code=403)
        raw, form = verified
        try:
            await handler(self.runtime, form)
        except Malformed as problem:
            await park(self.runtime, PROVIDER, problem, raw)
        return answer


async def handle_status(runtime: Runtime, form: Mapping[str, str]) -> str:
    shape = status_form(form)
    known = await apply_delivery_status(
        shape.message_sid, shape.message_status, shape.error_code, runtime.now()
    )
    if not known:
        log.info("status for unknown message %s ignored", shape.message_sid)
    return "applied" if known else "unknown_message"


async def handle_inbound(runtime: Runtime, form: Mapping[str, str]) -> str:
    """The form as an event, into the one inbound path (bot.receive)."""
    received = await receive(runtime, inbound_event(form, runtime.now()))
    return "received" if received is not None else "duplicate"


async def replay(runtime: Runtime, kind: str, raw: bytes) -> str:
    """A parked form, once more through its handler (python -m bot events replay)."""
    form = parse_form(raw)
    if form is None:
        raise Malformed(kind, "not a form")
    if kind == STATUS_KIND:
        return await handle_status(runtime, form)
    return await handle_inbound(runtime, form)


def web_part(runtime: Runtime) -> WebPart:
    hooks = TwilioWebhooks(runtime)
    return WebPart(
        routes=[
            Route(STATUS_CALLBACK_PATH, hooks.status, methods=["POST"]),
            Route(INBOUND_PATH, hooks.inbound, methods=["POST"]),
        ]
    )
