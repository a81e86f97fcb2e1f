"""POST /stripe/webhook: Stripe's signed events about Checkout Sessions.

The signature is checked with Stripe's own verification against STRIPE_WEBHOOK_SECRET before
anything is read; a bad one gets 400 and changes nothing. A verified event is applied once
(bot/payments/checkout.py); an error while applying it answers 500 so Stripe delivers it again.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.payments.checkout import apply_checkout_event
from bot.payments.stripe import WebhookSignatureError, verify_webhook
from bot.runtime import Runtime
from bot.web import WebPart

log = logging.getLogger(__name__)


def web_part(runtime: Runtime) -> WebPart:
    settings = runtime.settings

    async def webhook(request: Request) -> JSONResponse:
        payload = await request.body()
        try:
            event = verify_webhook(
                payload, request.headers.get("stripe-signature"), settings.stripe_webhook_secret
            )
        except WebhookSignatureError as exc:
            log.warning("stripe webhook refused: %s", exc)
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        outcome = await apply_checkout_event(settings, runtime.now(), event)
        return JSONResponse({"received": True, "outcome": outcome})

    return WebPart(routes=[Route("/stripe/webhook", webhook, methods=["POST"])])
