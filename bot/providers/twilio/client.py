"""Twilio: the one module that imports the twilio library (SMS and WhatsApp share it).

It sends through twilio 9's async HTTP client, turns Twilio's errors into our `SendError`
outcomes (recording on the contact point what they say about the address), and verifies the
X-Twilio-Signature of the webhooks Twilio sends us.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import SendError, SendOutcome
from bot.config import Settings
from bot.models import Channel
from bot.optout import record_opt_out
from bot.reachability import mark_address_unreachable

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/twilio/status"
INBOUND_PATH = "/twilio/inbound"
REQUEST_TIMEOUT_SECONDS = 30.0

# Twilio error codes that say something about the address or the channel.
UNSUBSCRIBED = 21610  # the recipient replied STOP
INVALID_NUMBER = 21211
NOT_MOBILE = 21614
OUTSIDE_WHATSAPP_WINDOW = 63016  # free text outside the 24-hour session: a template is required
# Delivery errors reported in status callbacks that mean the number is dead, not busy.
UNKNOWN_DESTINATION = 30005
LANDLINE = 30006
DEAD_ADDRESS_CODES = frozenset({INVALID_NUMBER, NOT_MOBILE, UNKNOWN_DESTINATION, LANDLINE})


class _BaseUrlHttpClient(AsyncTwilioHttpClient):
    """twilio's async HTTP client, sending what is addressed to api.twilio.com to `base_url`.

    The Client has no base-URL option: its region/edge settings only choose another host inside
    twilio.com (api.<edge>.<region>.twilio.com). The HTTP client, though, is the library's own
    injection point and every request reaches it as a fully qualified URL, so rewriting the
    origin here points the real client at a local fake Twilio (tests) or a proxy, and leaves
    the URL untouched in production where TWILIO_API_BASE_URL is the default.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(pool_connections=True)
        self.base_url = base_url.rstrip("/")

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url.removeprefix(TWILIO_API)
        if auth is not None:
            # aiohttp 3.14 deprecates its `auth=` argument; the header is the same bytes.
            credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = {**(headers or {}), "Authorization": f"Basic {credentials}"}
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            # twilio passes no timeout of its own; aiohttp's default would wait five minutes.
            timeout=timeout or REQUEST_TIMEOUT_SECONDS,
            allow_redirects=allow_redirects,
        )


@dataclass  # not frozen: Python writes __traceback__, __notes__... on exceptions
class TwilioFailure(Exception):
    """Twilio refused (status and code from its error JSON) or could not be reached (status 0)."""

    status: int
    code: int | None
    detail: str

    def __str__(self) -> str:
        return f"twilio {self.status or 'network'} {self.code or ''}: {self.detail}".strip()


class TwilioMessaging:
    """Creates messages through the Messages API with a status callback to our app."""

    def __init__(
        self, account_sid: str, auth_token: str, api_base_url: str, public_base_url: str
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_base_url = api_base_url
        # Without a public URL Twilio has nowhere to call back; messages still go out.
        self.status_callback = public_base_url + STATUS_CALLBACK_PATH if public_base_url else None
        self._client: Client | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioMessaging:
        return cls(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            settings.public_base_url,
        )

    def _get_client(self) -> Client:
        # Made on first use: the aiohttp session inside must be born in the running event loop.
        if self._client is None:
            self._client = Client(
                self.account_sid,
                self.auth_token,
                http_client=_BaseUrlHttpClient(self.api_base_url),
            )
        return self._client

    async def create_message(
        self,
        *,
        to: str,
        from_: str,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: Mapping[str, str] | None = None,
    ) -> str:
        """Send one message; returns its MessageSid or raises TwilioFailure."""
        arguments: dict[str, Any] = {"to": to, "from_": from_}
        if self.status_callback:
            arguments["status_callback"] = self.status_callback
        if content_sid:
            arguments["content_sid"] = content_sid
            arguments["content_variables"] = json.dumps(dict(content_variables or {}))
        else:
            arguments["body"] = body or ""
        try:
            message = await self._get_client().messages.create_async(**arguments)
        except TwilioRestException as exc:
            raise TwilioFailure(exc.status, _int_or_none(exc.code), exc.msg) from None
        except TwilioServiceException as exc:  # the newer RFC 9457 error shape
            detail = exc.detail or exc.title
            raise TwilioFailure(exc.status, _int_or_none(exc.code), detail) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TwilioFailure(0, None, f"{type(exc).__name__}: {exc}") from None
        return str(message.sid)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()  # type: ignore[attr-defined]
            self._client = None


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def outcome_for(failure: TwilioFailure) -> SendOutcome:
    """What the dispatcher should do after a Twilio failure."""
    if failure.code == UNSUBSCRIBED or failure.code in DEAD_ADDRESS_CODES:
        return SendOutcome.UNREACHABLE
    if failure.status == 0 or failure.status == 429 or failure.status >= 500:
        return SendOutcome.RETRY
    # Any other refusal (a sender not allowed for the country, bad credentials, a template the
    # channel will not take now) will not change by retrying: another channel may work.
    return SendOutcome.FALLBACK


async def record_address_facts(
    channel: Channel, address: str, code: int | None, now: dt.datetime, detail: str = ""
) -> None:
    """Write on the contact point what a Twilio error code says about the address."""
    if code == UNSUBSCRIBED:
        await record_opt_out(channel, address, now)
    elif code in DEAD_ADDRESS_CODES:
        await mark_address_unreachable(channel, address, f"twilio {code}: {detail}", now)


async def send_error_for(
    failure: TwilioFailure, channel: Channel, address: str, now: dt.datetime
) -> SendError:
    """The SendError to raise for a failure, after recording what it says about the address."""
    await record_address_facts(channel, address, failure.code, now, failure.detail)
    return SendError(outcome_for(failure), str(failure))


def signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """Whether a webhook really comes from Twilio: HMAC of the public URL and the form fields.

    Never raises: a URL, field or signature the check cannot read (a port out of range in a
    forwarded Host, text that is not UTF-8) is simply not valid.
    """
    if not auth_token or not signature:
        return False
    try:
        return bool(RequestValidator(auth_token).validate(url, params, signature))
    except (ValueError, TypeError, UnicodeError):
        return False


def sign(auth_token: str, url: str, params: Mapping[str, Any]) -> str:
    """The X-Twilio-Signature Twilio would send for this request (tests and local tools)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))
