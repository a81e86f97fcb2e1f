"""What every webhook does before its handler: size, then authenticity, then shape.

1. **Size.** `read_body` reads the request stream in chunks and stops at the provider's limit
   (`BODY_LIMITS`, the one place they are set) with 413; a declared Content-Length over the limit
   is refused before anything is read, but the count of bytes actually read is what decides.
2. **Authenticity** is each provider's check on the raw bytes (a shared secret, an HMAC); it never
   raises: a body or header it cannot read is simply not authentic (400 or 403).
3. **Shape.** An authentic body is validated by pydantic models of the few fields its event kind
   needs (`validate`) before any business code runs. An authentic event that does not fit raises
   `Malformed`; the handler parks it (bot/parking.py) and answers 2xx, so the provider stops
   redelivering something that will never fit. A sender address that is empty or invalid is
   refused with 400 (`refuse`) and nothing is stored.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

# Bytes a request body may have, per provider. Generous for what each one really sends (a
# Telegram update with a 4,096-character text and its entities, a Stripe Checkout Session event,
# a Twilio form with a WhatsApp message and ten media URLs); a pay page takes no body at all.
BODY_LIMITS: dict[str, int] = {
    "telegram": 1024 * 1024,
    "stripe": 512 * 1024,
    "twilio": 128 * 1024,
    "pay": 8 * 1024,
}
# An event kind as we store it: the provider's own word when it looks like one.
_KIND = re.compile(r"[a-z][a-z0-9_.]{0,47}")
UNKNOWN_KIND = "unknown"
REASON_LENGTH = 300

M = TypeVar("M", bound=BaseModel)


class Malformed(Exception):
    """An authentic event we cannot read: parked with `kind` and `reason`, answered 2xx."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = event_kind(kind)
        self.reason = reason[:REASON_LENGTH]


class NotHandled(Exception):
    """A handler failed on an event that fits (a database or provider error): try again later."""


def event_kind(word: object) -> str:
    """The provider's name for an event kind, or "unknown" for anything that is not a plain word."""
    if isinstance(word, str) and _KIND.fullmatch(word):
        return word
    return UNKNOWN_KIND


def refuse(status: int, reason: str) -> HTTPException:
    """A 4xx the provider sees with a one-line reason; nothing has been stored."""
    return HTTPException(status_code=status, detail=reason)


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise refuse(400, "Content-Length is not a number")
    return int(value)


async def read_body(request: Request, provider: str) -> bytes:
    """The raw body, read in chunks up to the provider's limit; 413 past it."""
    limit = BODY_LIMITS[provider]
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise refuse(413, f"request body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise refuse(413, f"request body over {limit} bytes")
    return bytes(body)


def load_json(raw: bytes, kind: str = UNKNOWN_KIND) -> Any:
    """JSON from an authentic body; Malformed for anything else (bad UTF-8, too deep, not JSON)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise Malformed(kind, "the JSON is nested too deeply") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise Malformed(kind, f"not JSON ({type(exc).__name__})") from None


def validate(model: type[M], data: object, kind: str) -> M:
    """`data` as `model`, or Malformed naming the first field that does not fit (not its value)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Malformed(kind, describe(exc)) from None
    except RecursionError:
        raise Malformed(kind, "the payload is nested too deeply") from None


def describe(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
