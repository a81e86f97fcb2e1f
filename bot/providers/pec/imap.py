"""Reading the PEC mailbox over IMAP: the messages not read yet, by UID.

imaplib (the standard library) in a worker thread (`asyncio.to_thread`): the mailbox is polled
every few minutes by one clock job, a handful of receipts each time, so an asyncio IMAP client
(aioimaplib) would buy nothing but a dependency. Over TLS (port 993) by default, or STARTTLS;
plain IMAP only for a local server.

Nothing is read twice and nothing is missed: the caller keeps the folder's UIDVALIDITY and the
last UID it has recorded (bot/models/pec.py `PecMailbox`), and asks for `last_uid+1:*`. A new
UIDVALIDITY (the folder was recreated) means the old UIDs mean nothing: everything is read again,
and receipts already recorded are recognised by their own Message-ID. The mailbox is opened
read-only (EXAMINE) and fetched with BODY.PEEK[], so the staff's mail client still sees the
messages as unread.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass

from bot.config import Settings

IMAP_TIMEOUT_SECONDS = 60.0
BATCH = 50  # at most this many messages a poll; the rest come on the next one


class ImapError(Exception):
    """The mailbox could not be read: one line naming the step and the server's answer."""


@dataclass(frozen=True)
class Fetched:
    uidvalidity: int
    messages: tuple[tuple[int, bytes], ...]  # (uid, raw message), by UID
    highest: int  # the last UID looked at (a message expunged meanwhile is passed over too)


def _tls_context(settings: Settings) -> ssl.SSLContext:
    if settings.pec_imap_ca_file is not None:
        return ssl.create_default_context(cafile=str(settings.pec_imap_ca_file))
    return ssl.create_default_context()


def _connect(settings: Settings) -> imaplib.IMAP4:
    host, port = settings.pec_imap_host, settings.pec_imap_port
    if settings.pec_imap_security == "tls":
        return imaplib.IMAP4_SSL(
            host, port, ssl_context=_tls_context(settings), timeout=IMAP_TIMEOUT_SECONDS
        )
    client = imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT_SECONDS)
    if settings.pec_imap_security == "starttls":
        client.starttls(ssl_context=_tls_context(settings))
    return client


def _check(step: str, typ: str, data: list[object]) -> None:
    if typ != "OK":
        answer = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapError(f"IMAP {step}: {typ} {answer}".strip())


def fetch_new(settings: Settings, uidvalidity: int, last_uid: int, batch: int = BATCH) -> Fetched:
    """The messages after `last_uid` (all of them when UIDVALIDITY changed), oldest first."""
    try:
        client = _connect(settings)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"IMAP connect to {settings.pec_imap_host}: {exc}") from None
    try:
        return _read(client, settings.pec_imap_folder, uidvalidity, last_uid, batch, settings)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(
            f"IMAP {settings.pec_imap_user}@{settings.pec_imap_host}: {_reason(exc)}"
        ) from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _read(
    client: imaplib.IMAP4,
    folder: str,
    uidvalidity: int,
    last_uid: int,
    batch: int,
    settings: Settings,
) -> Fetched:
    _check("LOGIN", *client.login(settings.pec_imap_user, settings.pec_imap_password))
    _check("EXAMINE", *client.select(_quoted(folder), readonly=True))
    _, codes = client.response("UIDVALIDITY")
    if not codes or codes[0] is None:
        raise ImapError(f"IMAP EXAMINE {folder}: the server gave no UIDVALIDITY")
    current = int(codes[0])
    start = last_uid + 1 if current == uidvalidity else 1
    typ, data = client.uid("SEARCH", "UID", f"{start}:*")
    _check("UID SEARCH", typ, data)
    # "n:*" includes the largest UID even when it is below n (RFC 3501): keep only new ones.
    uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start)[:batch]
    messages = []
    for uid in uids:
        typ, data = client.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
        _check(f"UID FETCH {uid}", typ, data)
        raw = next((part[1] for part in data if isinstance(part, tuple)), None)
        if raw is None:
            continue  # expunged between SEARCH and FETCH
        messages.append((uid, bytes(raw)))
    highest = uids[-1] if uids else start - 1
    return Fetched(current, tuple(messages), highest)


def _reason(exc: Exception) -> str:
    first = exc.args[0] if exc.args else exc
    return first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)


def _quoted(folder: str) -> str:
    return (
        folder
        if re.fullmatch(r"[A-Za-z0-9._/-]+", folder)
        else '"' + folder.replace('"', '\\"') + '"'
    )
