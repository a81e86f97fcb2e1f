"""Parked events: authentic webhook deliveries that did not fit their schema.

A provider redelivers whatever it did not get a 2xx for (Stripe for three days, Telegram until its
queue is stuck), so an event that will never fit is answered 2xx and kept here instead: the raw
body, the provider, the event kind and the reason. Never lost, never retried forever. Staff hear of
it once per provider, kind and day (a staff alert through the outbox, keyed by the day); the same
body delivered again is parked once (its fingerprint is unique).

`python -m bot events parked` lists them; `python -m bot events replay ID` runs one through its
provider's handler again after a fix (each handler module has `replay(runtime, kind, raw)`), and
marks it replayed. The handlers apply an event once each (ProcessedEvent for Stripe, the inbound
message's idempotency key for Telegram and Twilio), and a replayed row is not replayed again: two
replays have one effect.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError

from bot.models import ParkedEvent
from bot.outbox import queue_staff_alert
from bot.runtime import Runtime
from bot.webhooks import Malformed, NotHandled

log = logging.getLogger(__name__)

ALERT_TEMPLATE = "staff/parked_event.txt"
# provider -> the handler module whose `replay(runtime, kind, raw) -> outcome` reads its events.
REPLAY_MODULES: dict[str, str] = {
    "telegram": "bot.providers.telegram.webhook",
    "twilio": "bot.providers.twilio.webhook",
    "stripe": "bot.providers.stripe.webhook",
}
Replay = Callable[[Runtime, str, bytes], Awaitable[str]]


def encode_payload(raw: bytes) -> tuple[str, str]:
    """The body as text a database keeps: UTF-8 as is, anything else (or with NUL) as base64."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if "\x00" not in text:
            return text, "utf-8"
    return base64.b64encode(raw).decode("ascii"), "base64"


def decode_payload(event: ParkedEvent) -> bytes:
    if event.payload_encoding == "base64":
        try:
            return base64.b64decode(event.payload, validate=True)
        except binascii.Error:
            return b""
    return event.payload.encode("utf-8")


def fingerprint(provider: str, raw: bytes) -> str:
    return hashlib.sha256(provider.encode() + b"\n" + raw).hexdigest()


async def park(runtime: Runtime, provider: str, problem: Malformed, raw: bytes) -> ParkedEvent:
    """Keep an authentic event that did not fit; tell staff once per provider, kind and day."""
    key = fingerprint(provider, raw)
    known = await ParkedEvent.get_or_none(fingerprint=key)
    if known is not None:
        return known
    payload, encoding = encode_payload(raw)
    try:
        event = await ParkedEvent.create(
            provider=provider,
            kind=problem.kind,
            reason=problem.reason,
            payload=payload,
            payload_encoding=encoding,
            fingerprint=key,
        )
    except IntegrityError:  # the same body parked by a concurrent delivery
        return await ParkedEvent.get(fingerprint=key)
    log.warning("%s %s event parked as #%s: %s", provider, event.kind, event.id, event.reason)
    day = runtime.today().isoformat()
    await queue_staff_alert(
        ALERT_TEMPLATE,
        {"provider": provider, "kind": event.kind, "reason": event.reason, "parked_id": event.id},
        now=runtime.now(),
        idempotency_key=f"parked:{provider}:{event.kind}:{day}",
    )
    return event


async def parked_events(*, include_replayed: bool = False) -> list[ParkedEvent]:
    query = ParkedEvent.all() if include_replayed else ParkedEvent.filter(replayed_at=None)
    return await query.order_by("id")


@dataclass(frozen=True)
class ReplayResult:
    ok: bool
    outcome: str  # what the handler did, or why it could not


def replayer(provider: str) -> Replay | None:
    module = REPLAY_MODULES.get(provider)
    if module is None:
        return None
    replay: Replay = importlib.import_module(module).replay
    return replay


async def replay(runtime: Runtime, event_id: int) -> ReplayResult:
    """Run a parked event through its handler again; a replayed event is not replayed twice."""
    event = await ParkedEvent.get_or_none(id=event_id)
    if event is None:
        return ReplayResult(False, f"no parked event #{event_id}")
    if event.replayed_at is not None:
        return ReplayResult(True, f"already replayed ({event.replay_outcome})")
    handler = replayer(event.provider)
    if handler is None:
        return ReplayResult(False, f"no handler replays {event.provider!r} events")
    try:
        outcome = await handler(runtime, event.kind, decode_payload(event))
    except Malformed as exc:
        return ReplayResult(False, f"still does not fit: {exc.reason}")
    except HTTPException as exc:
        return ReplayResult(False, f"refused: {exc.detail}")
    except NotHandled as exc:
        return ReplayResult(False, f"not handled, try again later: {exc}")
    marked = await ParkedEvent.filter(id=event.id, replayed_at=None).update(
        replayed_at=runtime.now(), replay_outcome=outcome[:64]
    )
    if not marked:
        return ReplayResult(True, "already replayed")
    log.info("parked %s event #%s replayed: %s", event.provider, event.id, outcome)
    return ReplayResult(True, outcome)
