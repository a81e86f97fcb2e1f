"""Stripe: Checkout Sessions and webhook signatures. The only module that imports `stripe`.

The async `StripeClient` talks to STRIPE_API_BASE (the real API, or the local fake in tests)
through httpx. Network failures and 5xx answers are retried by the client itself with backoff;
every create carries our idempotency key, so a retry never opens a second session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from bot.config import Settings

# Stripe retries these itself (connection errors, 409/429/5xx), with exponential backoff.
MAX_NETWORK_RETRIES = 3
# How old a webhook's signed timestamp may be: Stripe's own default, against replays.
SIGNATURE_TOLERANCE_SECONDS = 300


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the request; the message says why."""


@dataclass(frozen=True)
class CheckoutRequest:
    """One Checkout Session in payment mode for one amount."""

    amount_cents: int
    currency: str
    product_name: str
    client_reference_id: str
    metadata: dict[str, str]
    locale: str
    success_url: str
    cancel_url: str
    idempotency_key: str
    payment_method_types: tuple[str, ...] = ("card",)
    customer_email: str | None = None
    # Further line items after the first (name, cents): the interest and the €40 when the
    # policy collects them (bot/escalation/showing.py); Stripe's total is the sum.
    extra_items: tuple[tuple[str, int], ...] = ()

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": self.currency.lower(),
                        "unit_amount": self.amount_cents,
                        "product_data": {"name": self.product_name},
                    },
                }
            ]
            + [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": self.currency.lower(),
                        "unit_amount": cents,
                        "product_data": {"name": name},
                    },
                }
                for name, cents in self.extra_items
                if cents > 0
            ],
            "payment_method_types": list(self.payment_method_types),
            "client_reference_id": self.client_reference_id,
            "metadata": dict(self.metadata),
            # The same ids on the PaymentIntent, so the Stripe dashboard shows them too.
            "payment_intent_data": {"metadata": dict(self.metadata)},
            "locale": self.locale,
            "success_url": self.success_url,
            "cancel_url": self.cancel_url,
        }
        if self.customer_email:
            params["customer_email"] = self.customer_email
        return params


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    amount_total: int
    status: str  # open | complete | expired
    payment_status: str = "unpaid"  # paid | unpaid (SEPA still settling) | no_payment_required


class StripeGateway:
    """Our side of the Stripe API: open, look up and expire Checkout Sessions."""

    def __init__(self, api_key: str, api_base: str) -> None:
        self._http = stripe.HTTPXClient()
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=self._http,
            max_network_retries=MAX_NETWORK_RETRIES,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        return cls(settings.stripe_api_key, settings.stripe_api_base)

    async def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                request.params(),  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise StripeUnavailable(_describe(exc)) from exc
        return _session(session)

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise StripeUnavailable(_describe(exc)) from exc
        return _session(session)

    async def expire_checkout_session(self, session_id: str) -> bool:
        """Close a session nobody should pay any more; False when it was no longer open."""
        try:
            await self._client.v1.checkout.sessions.expire_async(session_id)
        except stripe.InvalidRequestError:
            return False  # completed or expired already: nothing to close
        except stripe.StripeError as exc:
            raise StripeUnavailable(_describe(exc)) from exc
        return True

    async def list_refunds(self, charge_id: str) -> list[dict[str, Any]]:
        """Every refund of a charge (GET /v1/refunds?charge=...), each as Stripe's JSON object."""
        try:
            page = await self._client.v1.refunds.list_async({"charge": charge_id, "limit": 100})
        except stripe.StripeError as exc:
            raise StripeUnavailable(_describe(exc)) from exc
        return [refund.to_dict() for refund in page.data]

    async def close(self) -> None:
        await self._http.close_async()


def _session(session: Any) -> CheckoutSession:
    return CheckoutSession(
        id=session.id,
        url=session.url or "",
        amount_total=int(session.amount_total or 0),
        status=str(session.status or ""),
        payment_status=str(session.payment_status or "unpaid"),
    )


def _describe(exc: Exception) -> str:
    status = getattr(exc, "http_status", None)
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    return f"Stripe: {message}" + (f" (HTTP {status})" if status else "")


def signature_is_valid(payload: bytes, signature_header: str | None, secret: str) -> bool:
    """Whether Stripe-Signature proves `payload` came from Stripe (Stripe's own check).

    Never raises: a body that is not UTF-8, a header that is missing, not ASCII or not of the form
    t=...,v1=... is simply not valid.
    """
    if not secret or not signature_header or not signature_header.isascii():
        return False
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        stripe.WebhookSignature.verify_header(
            text, signature_header, secret, SIGNATURE_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, TypeError, ValueError):
        return False
    return True
