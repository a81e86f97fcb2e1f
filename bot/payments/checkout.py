"""Online payment through Stripe Checkout: opening a session for a pay link, and what each
Checkout event means for our books.

Events are applied once each (ProcessedEvent, in the same transaction as their effects) and in
any order with the same end result, because every effect is keyed by the PaymentIntent id:
`completed` (paid) and `async_payment_succeeded` both record the payment, the second one finds it
recorded; `completed` (unpaid: SEPA started) records a pending payment only if nothing is known
of that PaymentIntent yet; `async_payment_failed` marks it failed and tells staff.

Without STRIPE_API_KEY the pay page offers a sandbox checkout instead: `complete_sandbox_checkout`
builds the very event Stripe would send for a completed card payment and applies it through the
same `apply_checkout_event`, so the demo exercises the real path without any money moving.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from bot.config import Settings
from bot.escalation.claim import Claim
from bot.models import (
    AuditEvent,
    Channel,
    ContactPoint,
    Debtor,
    DebtorKind,
    PayLink,
    PaymentMethod,
)
from bot.payments.allocation import PaymentTarget
from bot.payments.links import Due, DueReason, due_now, pay_url, resolve_token
from bot.payments.recording import record_failure, record_payment, record_pending
from bot.payments.stripe_once import apply_once
from bot.providers.stripe.client import (
    CheckoutRequest,
    CheckoutSession,
    StripeGateway,
    StripeUnavailable,
)
from bot.providers.stripe.shapes import (
    ASYNC_FAILED,
    ASYNC_SUCCEEDED,
    COMPLETED,
    EXPIRED,
    CheckoutEvent,
    CheckoutMetadata,
    StripeEnvelope,
    checkout_event,
    db_id,
)
from bot.texts import language_or_default, render

log = logging.getLogger(__name__)

SEPA_DEBIT = "sepa_debit"


class SandboxOnly(Exception):
    """The sandbox checkout was asked for while Stripe is configured."""


def sandbox_checkout_offered(settings: Settings) -> bool:
    """Whether the pay page offers the sandbox button: only without Stripe, and only while no
    PUBLIC_BASE_URL is set, so a deployment that takes bank transfers only never shows debtors
    a button that marks invoices paid."""
    return not settings.stripe_enabled and not settings.public_base_url


def checkout_metadata(link: PayLink, due: Due, claim: Claim | None = None) -> dict[str, str]:
    """Our ids on the session: enough to allocate the payment without any other lookup; with a
    claim collected, its interest and €40 (kept out of the invoices' allocation)."""
    extra = {}
    if claim is not None:
        extra = {
            "interest_cents": str(claim.interest_cents),
            "compensation_cents": str(claim.compensation_cents),
        }
    return {
        "pay_link": str(link.id),
        "debtor": str(link.debtor_id),  # type: ignore[attr-defined]
        "purpose": link.purpose,
        "invoice_ids": ",".join(str(invoice.id) for invoice in due.invoices),
        "instalment": str(due.instalment.id) if due.instalment else "",
        "discount_cents": str(due.amount_cents) if due.reason is DueReason.DISCOUNT else "",
        **extra,
    }


def claim_items(claim: Claim | None, language: str, company: str) -> tuple[tuple[str, int], ...]:
    """The Checkout line items for the interest and the €40 the session collects."""
    if claim is None:
        return ()
    items = (("interest", claim.interest_cents), ("compensation", claim.compensation_cents))
    return tuple(
        (render("pay/claim_item.txt", language, item=item, claim=claim, company=company), cents)
        for item, cents in items
        if cents > 0
    )


def checkout_request(
    settings: Settings,
    link: PayLink,
    debtor: Debtor,
    due: Due,
    click_id: str,
    email: str | None = None,
    claim: Claim | None = None,
    sepa_debit: bool = False,
) -> CheckoutRequest:
    language = language_or_default(debtor.language, settings.default_language)
    pages = pay_url(settings, link.token)
    return CheckoutRequest(
        amount_cents=due.amount_cents,
        currency=due.currency,
        product_name=render(
            "pay/checkout_item.txt",
            language,
            numbers=due.invoice_numbers,
            reason=due.reason.value,
            instalment_seq=due.instalment.seq if due.instalment else None,
            company=settings.company_name,
        ),
        client_reference_id=f"paylink-{link.id}",
        metadata=checkout_metadata(link, due, claim),
        locale=language,
        success_url=f"{pages}/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{pages}/cancel",
        # One key per click: a retry of this request is the same session, a new click a new one.
        idempotency_key=f"paylink-{link.id}-click-{click_id}",
        payment_method_types=payment_methods(settings, debtor, due, sepa_debit),
        # Prefilled for the debtor (SEPA Direct Debit asks for one); they may change it.
        customer_email=email,
        extra_items=claim_items(claim, language, settings.company_name),
    )


def payment_methods(
    settings: Settings, debtor: Debtor, due: Due, sepa_debit: bool
) -> tuple[str, ...]:
    """Checkout's methods: STRIPE_PAYMENT_METHOD_TYPES, and SEPA Direct Debit where the policy
    allows it (`[payments] sepa_debit = true`) for a business debtor (Debtor.kind) and
    an amount in euros. The mandate is collected by Checkout; the debit settles days later
    (pending, then `async_payment_succeeded` or `_failed`)."""
    methods = tuple(settings.stripe_payment_method_types)
    business = debtor.kind == DebtorKind.BUSINESS
    if sepa_debit and business and due.currency.upper() == "EUR" and SEPA_DEBIT not in methods:
        methods = (*methods, SEPA_DEBIT)
    return methods


async def _billing_email(debtor_id: int) -> str | None:
    """The debtor's preferred ordinary e-mail (not PEC: Stripe's receipts are not formal)."""
    point = (
        await ContactPoint.filter(
            debtor_id=debtor_id, channel=Channel.EMAIL, is_pec=False, opted_out_at=None
        )
        .order_by("priority", "id")
        .first()
    )
    return point.address if point else None


async def open_checkout(
    settings: Settings,
    gateway: StripeGateway,
    link: PayLink,
    due: Due,
    claim: Claim | None = None,
    sepa_debit: bool = False,
) -> CheckoutSession:
    """A fresh Checkout Session for what the link asks for now (raises StripeUnavailable)."""
    debtor: Debtor = link.debtor
    click_id = secrets.token_hex(8)
    email = await _billing_email(debtor.id)
    session = await gateway.create_checkout_session(
        checkout_request(
            settings, link, debtor, due, click_id, email, claim=claim, sepa_debit=sepa_debit
        )
    )
    previous = link.checkout_session_id
    link.checkout_session_id = session.id
    await link.save(update_fields=["checkout_session_id"])
    if previous and previous != session.id:
        # The session of an earlier click must not be paid on top of this one.
        try:
            await gateway.expire_checkout_session(previous)
        except StripeUnavailable as exc:
            log.warning("could not expire checkout session %s: %s", previous, exc)
    await AuditEvent.create(
        actor=f"debtor:{debtor.id}",
        action="checkout_opened",
        subject=f"paylink:{link.id}",
        data={"session": session.id, "amount_cents": due.amount_cents, "reason": due.reason},
    )
    return session


def _target(metadata: CheckoutMetadata) -> PaymentTarget:
    return PaymentTarget(
        invoice_ids=metadata.invoice_id_list(),
        instalment_id=db_id(metadata.instalment),
        discount_cents=int(metadata.discount_cents) if metadata.discount_cents else None,
        pay_link_id=db_id(metadata.pay_link),
        purpose=metadata.purpose,
        extra_cents=metadata.extra_cents,
    )


def _received_at(event: CheckoutEvent, now: dt.datetime) -> dt.datetime:
    created = event.created
    return dt.datetime.fromtimestamp(created, dt.UTC) if created else now


async def apply_checkout_event(
    settings: Settings, now: dt.datetime, event: CheckoutEvent | StripeEnvelope
) -> str:
    """Apply one verified, validated Stripe event (bot/providers/stripe/shapes.py); returns what it
    did, in a word (for logs and tests)."""
    return await apply_once(event.id, event.type, lambda: _apply(settings, now, event))


async def _apply(
    settings: Settings, now: dt.datetime, event: CheckoutEvent | StripeEnvelope
) -> str:
    if not isinstance(event, CheckoutEvent):
        return "ignored"
    kind = event.type
    session = event.session
    metadata = session.metadata
    debtor_id = metadata.debtor_id
    if debtor_id is None or not await Debtor.exists(id=debtor_id):
        # Another integration on the same Stripe account, or a debtor deleted since.
        return "not_ours"
    if kind == EXPIRED:
        await AuditEvent.create(
            actor="stripe",
            action="checkout_expired",
            subject=f"paylink:{metadata.pay_link}",
            data={"session": session.id},
        )
        return "expired"
    payment: dict[str, Any] = {
        "debtor_id": debtor_id,
        "amount_cents": session.amount_total or 0,
        "currency": session.currency.upper(),
        "method": PaymentMethod.STRIPE,
        "provider_ref": session.payment_intent or session.id,
    }
    if kind == ASYNC_FAILED:
        failed = await record_failure(now, **payment, reason=kind)
        return "failed" if failed else "already_settled"
    paid = kind == ASYNC_SUCCEEDED or session.payment_status in ("paid", "no_payment_required")
    if not paid:
        pending = await record_pending(now, **payment, note=f"checkout {session.id}")
        return "pending" if pending else "already_known"
    recorded = await record_payment(
        settings,
        now,
        **payment,
        received_at=_received_at(event, now),
        target=_target(metadata),
        note=f"checkout {session.id}",
        actor="stripe",
    )
    return "paid" if recorded else "already_recorded"


async def complete_sandbox_checkout(
    settings: Settings, now: dt.datetime, link: PayLink, due: Due, claim: Claim | None = None
) -> str:
    """Pay a link in the sandbox: the event a real completed card checkout would bring."""
    if settings.stripe_enabled:
        raise SandboxOnly("the sandbox checkout exists only while STRIPE_API_KEY is unset")
    suffix = secrets.token_hex(8)
    extra = claim.interest_cents + claim.compensation_cents if claim else 0
    event = {
        "id": f"evt_sandbox_{suffix}",
        "object": "event",
        "type": COMPLETED,
        "created": int(now.timestamp()),
        "livemode": False,
        "data": {
            "object": {
                "id": f"cs_sandbox_{suffix}",
                "object": "checkout.session",
                "mode": "payment",
                "status": "complete",
                "payment_status": "paid",
                "payment_intent": f"pi_sandbox_{suffix}",
                "amount_total": due.amount_cents + extra,
                "currency": due.currency.lower(),
                "client_reference_id": f"paylink-{link.id}",
                "metadata": checkout_metadata(link, due, claim),
            }
        },
    }
    return await apply_checkout_event(settings, now, checkout_event(event))


async def pay_link_in_sandbox(settings: Settings, now: dt.datetime, url_or_token: str) -> str:
    """The demo's "the debtor taps Pay": what POST /pay/<token>/checkout does in the sandbox.

    Returns the outcome ("paid", or "nothing_due" when the link asks for nothing now).
    """
    link = await resolve_token(settings, url_or_token.rstrip("/").rsplit("/", 1)[-1])
    if link is None:
        raise ValueError("not a pay link of ours")
    due = await due_now(link, now.astimezone(settings.zone).date())
    if not due.payable:
        return "nothing_due"
    return await complete_sandbox_checkout(settings, now, link, due)
