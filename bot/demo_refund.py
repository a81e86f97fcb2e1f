"""The demo's refund stage: the invoice the debtor paid by Stripe in stage 4 (the sandbox
checkout) is refunded. Stripe's `charge.refunded` event, signed as Stripe signs it, is posted to
our own /stripe/webhook (the real route, signature check and handler); the payment is reversed,
the invoice reopens and staff get the alert. A second delivery of the same event changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette

from bot import clock
from bot.formats import money
from bot.models import Debtor, Invoice, Payment, PaymentAllocation, PaymentMethod
from bot.runtime import Runtime

DEMO_SECRET = "whsec_demo_" + "0" * 24  # the demo's own signing secret (no Stripe account)


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, str]:
    """The body and its Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "t.body")."""
    body = json.dumps(event, separators=(",", ":"))
    stamp = int(clock.wall().timestamp())  # Stripe checks it against the wall clock
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), f"t={stamp},v1={mac}"


def refund_event(payment: Payment, amount_cents: int, created: int) -> dict[str, Any]:
    intent = payment.provider_ref or ""
    charge = "ch_" + intent.removeprefix("pi_")
    refund = {
        "id": "re_sandbox_" + secrets.token_hex(8),
        "object": "refund",
        "amount": amount_cents,
        "currency": payment.currency.lower(),
        "status": "succeeded",
        "charge": charge,
        "payment_intent": intent,
        "reason": "requested_by_customer",
    }
    return {
        "id": "evt_sandbox_" + secrets.token_hex(8),
        "object": "event",
        "type": "charge.refunded",
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "id": charge,
                "object": "charge",
                "amount": payment.amount_cents,
                "amount_refunded": amount_cents,
                "payment_intent": intent,
                "refunds": {"object": "list", "data": [refund], "has_more": False},
            }
        },
    }


async def _post(runtime: Runtime, event: dict[str, Any]) -> str:
    from bot.providers.stripe import webhook

    settings = runtime.settings.model_copy(update={"stripe_webhook_secret": DEMO_SECRET})
    signing = Runtime(
        settings=settings, policy=runtime.policy, senders=runtime.senders, now=runtime.now
    )
    app = Starlette(routes=webhook.web_part(signing).routes)
    body, header = signed(event, DEMO_SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://demo.invalid") as http:
        response = await http.post(
            webhook.WEBHOOK_PATH,
            content=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
    return f"{response.status_code} {response.json().get('outcome')}"


async def show_refund(
    runtime: Runtime, show_sent: Callable[[], Any], out: Callable[[str], None]
) -> bool:
    from scheduler.dispatch import Dispatcher

    out("")
    out("== 20. The card payment is refunded in Stripe; the invoice reopens, staff are told")
    payment = await Payment.filter(method=PaymentMethod.STRIPE).order_by("-id").first()
    if payment is None:
        out("   no Stripe payment to refund")
        return False
    debtor = await Debtor.get(id=payment.debtor_id)  # type: ignore[attr-defined]
    ids = await PaymentAllocation.filter(payment=payment).values_list("invoice_id", flat=True)
    invoices = await Invoice.filter(id__in=list(ids)).order_by("due_date")
    out(
        f"   {debtor.name} paid {money(payment.amount_cents, payment.currency, 'en')} by card "
        f"({payment.provider_ref}): " + ", ".join(f"{i.number} {i.status.value}" for i in invoices)
    )
    event = refund_event(payment, payment.amount_cents, int(runtime.now().timestamp()))
    out(f"   POST /stripe/webhook charge.refunded (signed) -> {await _post(runtime, event)}")
    out(f"   the same event again                       -> {await _post(runtime, event)}")
    for invoice in await Invoice.filter(id__in=list(ids)).order_by("due_date"):
        owed = money(invoice.balance_cents, invoice.currency, "en")
        out(f"   {invoice.number}: {invoice.status.value}, {owed} to collect again")
    debtor = await Debtor.get(id=debtor.id)
    if debtor.paused_until is not None:
        out(f"   reminders resume on {debtor.paused_until:%d %B %Y} (reopen grace)")
    await Dispatcher(runtime).drain()
    show_sent()
    return all(i.balance_cents > 0 for i in await Invoice.filter(id__in=list(ids)))
