"""A local Stripe API for tests: the Checkout Session endpoints we use, spoken like Stripe.

The real `stripe` client reaches it through STRIPE_API_BASE over HTTP on 127.0.0.1. Requests are
form-encoded with Stripe's bracket notation (`line_items[0][price_data][currency]=eur`) and
authenticated with `Authorization: Bearer <secret key>`; errors come back in Stripe's JSON error
shape; an `Idempotency-Key` seen before returns the first response.

The test side plays the customer and Stripe's event sender: `complete`, `settle`, `expire` change a
session as paying would, `event` wraps it in an Event, and `deliver_webhook` posts it with a real
`Stripe-Signature: t=...,v1=HMAC-SHA256(secret, "t.payload")` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import socket
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_test_fake_secret"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


class FakeStripe:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self._idempotent: dict[str, dict[str, Any]] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.base_url = ""
        self.fail_next = 0  # answer this many requests with a 500, to exercise retries
        self.refunds: dict[str, dict[str, Any]] = {}  # by refund id

    # --- the HTTP side ------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", self._create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._retrieve, methods=["GET"]),
                Route("/v1/checkout/sessions/{id}/expire", self._expire, methods=["POST"]),
                Route("/v1/refunds", self._list_refunds, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _guard(self, request: Request) -> tuple[dict[str, Any], JSONResponse | None]:
        form = parse_form((await request.body()).decode())
        self.requests.append((request.method, request.url.path, form, dict(request.headers)))
        if not self._authorised(request):
            return form, _error(401, "Invalid API Key provided", "invalid_request_error")
        if self.fail_next:
            self.fail_next -= 1
            return form, _error(500, "Something went wrong on Stripe's end.", "api_error")
        return form, None

    async def _create(self, request: Request) -> JSONResponse:
        form, refused = await self._guard(request)
        if refused:
            return refused
        key = request.headers.get("idempotency-key")
        if key and key in self._idempotent:
            return JSONResponse(self._idempotent[key])
        if form.get("mode") != "payment":
            return _error(400, "mode must be payment")
        items = form.get("line_items") or []
        if not items or "price_data" not in items[0]:
            return _error(400, "line_items[0][price_data] is required")
        amount = sum(
            int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items
        )
        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "amount_total": amount,
            "currency": items[0]["price_data"]["currency"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata", {}),
            "locale": form.get("locale"),
            "payment_method_types": form.get("payment_method_types", ["card"]),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "customer_email": form.get("customer_email"),
            "created": int(time.time()),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "url": f"{self.base_url}/c/pay/{session_id}",
            "line_items_sent": items,
        }
        self.sessions[session_id] = session
        if key:
            self._idempotent[key] = session
        return JSONResponse(session)

    async def _retrieve(self, request: Request) -> JSONResponse:
        _, refused = await self._guard(request)
        if refused:
            return refused
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return _error(404, f"No such checkout.session: '{request.path_params['id']}'")
        return JSONResponse(session)

    async def _expire(self, request: Request) -> JSONResponse:
        _, refused = await self._guard(request)
        if refused:
            return refused
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return _error(404, f"No such checkout.session: '{request.path_params['id']}'")
        if session["status"] != "open":
            return _error(400, "Only Checkout Sessions with a status in [open] can be expired.")
        session["status"] = "expired"
        return JSONResponse(session)

    async def _list_refunds(self, request: Request) -> JSONResponse:
        _, refused = await self._guard(request)
        if refused:
            return refused
        charge = request.query_params.get("charge")
        data = [r for r in self.refunds.values() if charge is None or r["charge"] == charge]
        return JSONResponse(
            {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        )

    async def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    # --- the customer and Stripe's event side ------------------------------------------------

    def complete(
        self, session_id: str, *, payment_status: str = "paid", method: str = "card"
    ) -> dict[str, Any]:
        """The customer finishes checkout: paid at once (card) or 'unpaid' until SEPA settles."""
        session = self.sessions[session_id]
        session["status"] = "complete"
        session["payment_status"] = payment_status
        session["payment_intent"] = session["payment_intent"] or "pi_" + secrets.token_hex(12)
        session["payment_method_types"] = [method]
        return dict(session)

    def settle(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        """A SEPA debit settles days later, or bounces."""
        session = self.sessions[session_id]
        session["payment_status"] = "paid" if succeeded else "unpaid"
        return dict(session)

    def expire(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session["status"] = "expired"
        return dict(session)

    @staticmethod
    def charge_id(session: dict[str, Any]) -> str:
        return "ch_" + session["payment_intent"].removeprefix("pi_")

    def charge(self, session_id: str, *, method: str = "card", **fields: Any) -> dict[str, Any]:
        """The charge behind a completed session, as Stripe shows it now (refunds listed)."""
        session = self.sessions[session_id]
        charge_id = self.charge_id(session)
        refunds = [r for r in self.refunds.values() if r["charge"] == charge_id]
        refunded = sum(r["amount"] for r in refunds if r["status"] in ("succeeded", "pending"))
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": refunded,
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "payment_method_details": {"type": method},
            "refunded": refunded >= session["amount_total"],
            "refunds": {"object": "list", "data": refunds, "has_more": False},
        }
        charge.update(fields)
        return charge

    def refund(
        self, session_id: str, amount: int, *, status: str = "succeeded", refund_id: str = ""
    ) -> dict[str, Any]:
        """Staff refund (part of) a paid session in the dashboard; `status` moves it on."""
        session = self.sessions[session_id]
        refund_id = refund_id or "re_" + secrets.token_hex(12)
        refund = self.refunds.setdefault(
            refund_id,
            {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": session["currency"],
                "charge": self.charge_id(session),
                "payment_intent": session["payment_intent"],
                "reason": "requested_by_customer",
                "created": int(time.time()),
            },
        )
        refund["status"] = status
        return dict(refund)

    def dispute(
        self,
        session_id: str,
        *,
        status: str = "needs_response",
        amount: int = 0,
        dispute_id: str = "",
    ) -> dict[str, Any]:
        """The card holder disputes the charge; `status` as Stripe reports it at that moment."""
        session = self.sessions[session_id]
        return {
            "id": dispute_id or "dp_" + secrets.token_hex(12),
            "object": "dispute",
            "amount": amount or session["amount_total"],
            "currency": session["currency"],
            "charge": self.charge_id(session),
            "payment_intent": session["payment_intent"],
            "reason": "fraudulent",
            "status": status,
        }

    @staticmethod
    def event(kind: str, session: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "id": event_id or "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": kind,
            "data": {"object": session},
        }


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe's header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>") in hex."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


async def deliver_webhook(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    secret: str = WEBHOOK_SECRET,
    path: str = "/stripe/webhook",
    signature: str | None = None,
) -> httpx.Response:
    """POST an event to our webhook as Stripe does, signed with `secret`."""
    payload = json.dumps(event, separators=(",", ":"))
    header = signature if signature is not None else signature_header(payload, secret)
    return await client.post(
        path,
        content=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
