"""A fake Twilio that speaks the wire protocol, both ways, on 127.0.0.1.

- As the REST API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth
  (account SID + auth token), form-encoded fields; it records every accepted request and answers
  the JSON the real API answers (201, "SM..." sid, status "queued"). `fail_next(...)` makes the
  next call answer Twilio's error JSON: 21610, 21211, 21614, 63016, 429 or 5xx.
- As the webhook caller: `post_webhook` sends a form to our app the way Twilio does, signed with
  X-Twilio-Signature over the public URL (what Twilio signs when a proxy sits in front of us).
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web
from twilio.request_validator import RequestValidator

ERRORS: dict[int, tuple[int, str]] = {
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21614: (400, "'To' number is not a valid mobile number"),
    63016: (
        400,
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template.",
    ),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
}


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    requests: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    _failures: deque[int] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    base_url: str = ""
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, code: int) -> None:
        """The next Messages call answers Twilio's error `code` (see ERRORS)."""
        self._failures.append(code)

    async def start(self) -> FakeTwilio:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account_sid}/Messages.json", self._create)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["account_sid"] != self.account_sid:
            return _error(20003, 401, "Authenticate")
        form = await request.post()
        fields = {key: str(value) for key, value in form.items()}
        if not fields.get("To") or not (fields.get("Body") or fields.get("ContentSid")):
            return _error(
                21604, 400, "A 'To' phone number and a 'Body' or 'ContentSid' are required."
            )
        if self._failures:
            code = self._failures.popleft()
            self.refused.append({"code": code, **fields})
            status, message = ERRORS[code]
            return _error(code, status, message)
        self.requests.append(fields)
        sid = f"SM{next(self._counter):032x}"
        return web.json_response(
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": fields.get("Body", ""),
                "date_created": "Mon, 23 Nov 2026 09:00:00 +0000",
                "date_sent": None,
                "date_updated": "Mon, 23 Nov 2026 09:00:00 +0000",
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": fields.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
                },
                "to": fields["To"],
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
            status=201,
        )

    # --- Twilio calling us -----------------------------------------------------------------

    def signature(self, public_url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(public_url, params))

    async def post_webhook(
        self,
        app_url: str,
        public_base_url: str,
        path: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
    ) -> httpx.Response:
        """POST a webhook to our app at `app_url`, signed for `public_base_url` + `path`."""
        signed = (
            signature if signature is not None else self.signature(public_base_url + path, params)
        )
        async with httpx.AsyncClient() as client:
            return await client.post(
                app_url + path, data=params, headers={"X-Twilio-Signature": signed}
            )

    def inbound_params(
        self, sender: str, to: str, body: str, *, message_sid: str | None = None, **extra: str
    ) -> dict[str, str]:
        """The form Twilio posts for an incoming SMS or WhatsApp message."""
        sid = message_sid or f"SM{secrets.token_hex(16)}"
        params = {
            "ToCountry": "IT",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "To": to,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        params.update(extra)
        return params

    def status_params(self, message_sid: str, status: str, error_code: str = "") -> dict[str, str]:
        """The form Twilio posts to a StatusCallback."""
        params = {
            "SmsSid": message_sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "MessageSid": message_sid,
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        return params


def _error(code: int, status: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )
