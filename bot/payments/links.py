"""Durable pay links: PUBLIC_BASE_URL/pay/<token>, and what such a link asks for right now.

A message never carries a Stripe Checkout URL (a session expires within 24 hours); it carries
our link. The token is 16 characters, fine for an SMS: a random id of 10 characters plus a
6-character MAC (HMAC-SHA256 with the signing key) over the id, the debtor and the purpose. The
alphabet leaves out look-alikes (0/O, 1/l/I) so a link typed by hand still works. A forged,
truncated or altered token, or a row re-pointed to another debtor, fails the MAC and is treated
exactly like an unknown one.

What a link asks for is decided at each visit (`due_now`), never stored: the open balance of
its invoices, a discounted amount until its date (afterwards the full balance, saying why), or
one instalment. A payment still settling (SEPA) is subtracted so nobody is asked twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.config import Settings
from bot.models import (
    CLOSED_STATUSES,
    Debtor,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceStatus,
    PayLink,
    Payment,
    PaymentPlan,
    PaymentStatus,
)

ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
NONCE_LENGTH = 10
MAC_LENGTH = 6
TOKEN_LENGTH = NONCE_LENGTH + MAC_LENGTH


class Purpose(StrEnum):
    BALANCE = "balance"  # the open balance of the link's invoices (all open ones if none listed)
    DISCOUNT = "discount"  # a discounted amount until valid_until, then the full balance
    INSTALMENT = "instalment"  # one instalment of a payment plan


class DueReason(StrEnum):
    BALANCE = "balance"
    DISCOUNT = "discount"
    DISCOUNT_EXPIRED = "discount_expired"
    INSTALMENT = "instalment"
    NOTHING_DUE = "nothing_due"


def base_url(settings: Settings) -> str:
    """Where debtors reach this service: PUBLIC_BASE_URL, or the local address without one."""
    return settings.public_base_url or f"http://{settings.http_host}:{settings.http_port}"


def pay_url(settings: Settings, token: str) -> str:
    return f"{base_url(settings)}/pay/{token}"


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def _mac(key: bytes, nonce: str, debtor_id: int, purpose: str) -> str:
    message = f"paylink|{nonce}|{debtor_id}|{purpose}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return _encode(int.from_bytes(digest[:8], "big"), MAC_LENGTH)


def new_token(key: bytes, debtor_id: int, purpose: str) -> str:
    nonce = "".join(secrets.choice(ALPHABET) for _ in range(NONCE_LENGTH))
    return nonce + _mac(key, nonce, debtor_id, purpose)


def token_matches(key: bytes, token: str, debtor_id: int, purpose: str) -> bool:
    if len(token) != TOKEN_LENGTH:
        return False
    nonce, mac = token[:NONCE_LENGTH], token[NONCE_LENGTH:]
    return hmac.compare_digest(mac, _mac(key, nonce, debtor_id, purpose))


def well_formed(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(char in ALPHABET for char in token)


async def make_pay_link(
    settings: Settings,
    debtor: Debtor,
    purpose: str,
    *,
    invoice_ids: Sequence[int],
    amount_cents: int | None = None,
    valid_until: dt.date | None = None,
    instalment: Instalment | None = None,
) -> str:
    """The URL of a durable pay link; the same request twice gives the same link.

    `invoice_ids` may be empty for a balance link: it then asks for every open invoice.
    A discount needs `amount_cents` and `valid_until`; an instalment needs `instalment`.
    Raises ValueError for a request that does not make sense.
    """
    kind = Purpose(purpose)
    ids = sorted({int(i) for i in invoice_ids})
    if kind is Purpose.DISCOUNT and (not amount_cents or amount_cents <= 0 or not valid_until):
        raise ValueError("a discount link needs a positive amount_cents and valid_until")
    if kind is Purpose.INSTALMENT and instalment is None:
        raise ValueError("an instalment link needs the instalment")
    if kind is not Purpose.DISCOUNT and (amount_cents is not None or valid_until is not None):
        raise ValueError("amount_cents and valid_until belong to discount links only")
    if ids and await Invoice.filter(id__in=ids, debtor_id=debtor.id).count() != len(ids):
        raise ValueError("every invoice of a pay link must belong to its debtor")
    if instalment is not None:
        plan = await PaymentPlan.get(id=instalment.plan_id)  # type: ignore[attr-defined]
        if plan.debtor_id != debtor.id:  # type: ignore[attr-defined]
            raise ValueError("the instalment belongs to another debtor")

    existing = await PayLink.filter(
        debtor_id=debtor.id,
        purpose=kind.value,
        amount_cents=amount_cents,
        valid_until=valid_until,
        instalment_id=instalment.id if instalment else None,
    )
    for link in existing:
        if sorted(link.invoice_ids) == ids:
            return pay_url(settings, link.token)

    token = new_token(settings.signing_key(), debtor.id, kind.value)
    await PayLink.create(
        token=token,
        debtor=debtor,
        purpose=kind.value,
        invoice_ids=ids,
        amount_cents=amount_cents,
        valid_until=valid_until,
        instalment=instalment,
    )
    return pay_url(settings, token)


async def resolve_token(settings: Settings, token: str) -> PayLink | None:
    """The pay link behind a token, or None for anything forged, altered or unknown."""
    if not well_formed(token):
        return None
    link = await PayLink.get_or_none(token=token).prefetch_related("debtor")
    if link is None:
        return None
    if not token_matches(settings.signing_key(), token, link.debtor_id, link.purpose):  # type: ignore[attr-defined]
        return None
    return link


@dataclass(frozen=True)
class Due:
    """What a pay link asks for at one moment."""

    reason: DueReason
    amount_cents: int  # to pay now (after any discount and any payment still settling)
    currency: str
    invoices: tuple[Invoice, ...]  # the invoices the payment is for, oldest first
    full_cents: int  # their open balance without any discount
    pending_cents: int = 0  # payments started but not settled yet (SEPA)
    discount_cents: int | None = None  # the discounted amount, while it holds
    valid_until: dt.date | None = None
    instalment: Instalment | None = None

    @property
    def payable(self) -> bool:
        return self.amount_cents > 0

    @property
    def invoice_numbers(self) -> list[str]:
        return [invoice.number for invoice in self.invoices]


def decide_due(
    purpose: Purpose,
    invoices: Sequence[Invoice],
    *,
    today: dt.date,
    pending_cents: int = 0,
    discount_cents: int | None = None,
    valid_until: dt.date | None = None,
    instalment: Instalment | None = None,
) -> Due:
    """The rule of what is owed now, from data already loaded (see the module docstring)."""
    open_invoices = tuple(i for i in invoices if i.status not in CLOSED_STATUSES)
    full = sum(invoice.balance_cents for invoice in open_invoices)
    currency = open_invoices[0].currency if open_invoices else "EUR"

    def due(reason: DueReason, amount: int, **extra: object) -> Due:
        to_pay = max(amount - pending_cents, 0)
        return Due(
            reason=reason if to_pay > 0 else DueReason.NOTHING_DUE,
            amount_cents=to_pay,
            currency=currency,
            invoices=open_invoices,
            full_cents=full,
            pending_cents=pending_cents,
            valid_until=valid_until,
            **extra,  # type: ignore[arg-type]
        )

    if purpose is Purpose.INSTALMENT:
        if instalment is None or instalment.status is InstalmentStatus.PAID:
            return due(DueReason.NOTHING_DUE, 0, instalment=instalment)
        # Never more than is still owed on the plan's invoices (a transfer may have paid them).
        left = max(instalment.amount_cents - instalment.paid_cents, 0)
        return due(DueReason.INSTALMENT, min(left, full), instalment=instalment)
    if full == 0:
        return due(DueReason.NOTHING_DUE, 0)
    if purpose is Purpose.DISCOUNT and discount_cents is not None and valid_until is not None:
        if today <= valid_until:
            offered = min(discount_cents, full)
            return due(DueReason.DISCOUNT, offered, discount_cents=offered)
        return due(DueReason.DISCOUNT_EXPIRED, full)
    return due(DueReason.BALANCE, full)


async def due_now(link: PayLink, today: dt.date) -> Due:
    """Load what the link covers and decide what it asks for today."""
    purpose = Purpose(link.purpose)
    debtor_id: int = link.debtor_id  # type: ignore[attr-defined]
    instalment = None
    invoice_ids = list(link.invoice_ids)
    if purpose is Purpose.INSTALMENT and link.instalment_id is not None:  # type: ignore[attr-defined]
        instalment = await Instalment.get_or_none(id=link.instalment_id).prefetch_related("plan")  # type: ignore[attr-defined]
        if instalment is not None and not invoice_ids:
            invoice_ids = list(instalment.plan.invoice_ids)
    query = Invoice.filter(debtor_id=debtor_id)
    if invoice_ids:
        query = query.filter(id__in=invoice_ids)
    else:
        query = query.exclude(status=InvoiceStatus.DISPUTED)
    invoices = await query.order_by("due_date", "id")
    pending = await Payment.filter(debtor_id=debtor_id, status=PaymentStatus.PENDING).values_list(
        "amount_cents", flat=True
    )
    return decide_due(
        purpose,
        invoices,
        today=today,
        pending_cents=sum(int(cents) for cents in pending),
        discount_cents=link.amount_cents,
        valid_until=link.valid_until,
        instalment=instalment,
    )
