"""Tying a Telegram chat to a debtor: signed, expiring, single-use deep-link tokens.

A token is a random nonce (stored in LinkToken with its debtor and expiry) followed by an HMAC of
the nonce under the signing key, 46 characters of [A-Za-z0-9_-], so it fits Telegram's 64-character
`start` parameter. A forged token is rejected before the database is asked; a genuine one links
exactly once, before it expires. The deep link https://t.me/<bot>?start=<token> reaches the debtor
by SMS, WhatsApp, e-mail or printed on the invoice.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import segno
from tortoise.transactions import in_transaction

from bot.config import Settings
from bot.models import Channel, ContactPoint, Debtor, LinkToken

NONCE_BYTES = 16  # 22 base64url characters
SIGNATURE_BYTES = 18  # 24 base64url characters
NONCE_CHARS = 22
TOKEN_CHARS = 46
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
PLACEHOLDER_BOT_USERNAME = "YOUR_BOT_USERNAME"


class LinkOutcome(StrEnum):
    LINKED = "linked"
    INVALID = "invalid"  # malformed or forged
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    debtor: Debtor | None = None
    contact_point: ContactPoint | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(nonce: str, key: bytes) -> str:
    digest = hmac.new(key, b"telegram-link:" + nonce.encode(), hashlib.sha256).digest()
    return _b64(digest[:SIGNATURE_BYTES])


def sign(nonce: str, key: bytes) -> str:
    return nonce + _signature(nonce, key)


def verified_nonce(token: str, key: bytes) -> str | None:
    """The nonce inside a token whose signature holds; None for anything malformed or forged."""
    if len(token) != TOKEN_CHARS or not TOKEN_PATTERN.fullmatch(token):
        return None
    nonce, signature = token[:NONCE_CHARS], token[NONCE_CHARS:]
    if not hmac.compare_digest(signature, _signature(nonce, key)):
        return None
    return nonce


async def issue_token(debtor: Debtor, key: bytes, now: dt.datetime, ttl: dt.timedelta) -> str:
    nonce = _b64(secrets.token_bytes(NONCE_BYTES))
    await LinkToken.create(nonce=nonce, debtor=debtor, expires_at=now + ttl)
    return sign(nonce, key)


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


def write_qr(url: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(url, error="m").save(path, kind="png", scale=8, border=4)
    return path


async def redeem(token: str, chat_id: str, key: bytes, now: dt.datetime) -> LinkResult:
    """Use a token once: link the chat to the token's debtor, or say why not."""
    nonce = verified_nonce(token, key)
    if nonce is None:
        return LinkResult(LinkOutcome.INVALID)
    async with in_transaction():
        # The conditional update is what makes the token single-use under concurrent /starts.
        claimed = await LinkToken.filter(nonce=nonce, used_at=None, expires_at__gt=now).update(
            used_at=now
        )
        row = await LinkToken.get_or_none(nonce=nonce).prefetch_related("debtor")
        if row is None:
            return LinkResult(LinkOutcome.INVALID)
        if not claimed:
            outcome = LinkOutcome.USED if row.used_at is not None else LinkOutcome.EXPIRED
            return LinkResult(outcome)
        point = await link_chat(row.debtor, chat_id, now)
    return LinkResult(LinkOutcome.LINKED, debtor=row.debtor, contact_point=point)


async def link_chat(debtor: Debtor, chat_id: str, now: dt.datetime) -> ContactPoint:
    """The debtor's Telegram contact point for this chat, verified now and reachable again.

    The chat has just written to us (/start), so that is its last inbound moment too.
    """
    point, _ = await ContactPoint.get_or_create(
        debtor=debtor, channel=Channel.TELEGRAM, address=chat_id
    )
    point.verified_at = now
    point.last_inbound_at = now
    point.unreachable_at = None
    point.unreachable_reason = ""
    await point.save(
        update_fields=["verified_at", "last_inbound_at", "unreachable_at", "unreachable_reason"]
    )
    return point


class UnknownDebtor(LookupError):
    """No debtor has the given external reference."""


@dataclass(frozen=True)
class IssuedLink:
    debtor: Debtor
    url: str
    qr_path: Path
    expires_at: dt.datetime
    placeholder_username: bool  # the bot's username was unknown: the link must be fixed by hand


async def issue_link(
    debtor_ref: str, settings: Settings, bot_username: str, now: dt.datetime
) -> IssuedLink:
    """A fresh deep link for a debtor plus its QR code under var/links/<ref>.png."""
    debtor = await Debtor.get_or_none(external_ref=debtor_ref)
    if debtor is None:
        raise UnknownDebtor(f"no debtor with reference {debtor_ref!r}")
    ttl = dt.timedelta(days=settings.telegram_link_ttl_days)
    token = await issue_token(debtor, settings.signing_key(), now, ttl)
    url = deep_link(bot_username or PLACEHOLDER_BOT_USERNAME, token)
    safe_ref = re.sub(r"[^A-Za-z0-9_.-]", "_", debtor_ref)
    qr_path = write_qr(url, settings.var_dir / "links" / f"{safe_ref}.png")
    return IssuedLink(
        debtor=debtor,
        url=url,
        qr_path=qr_path,
        expires_at=now + ttl,
        placeholder_username=not bot_username,
    )
