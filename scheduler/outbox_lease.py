"""Outbox leases: who may send a message, and until when.

A worker claims a batch of due rows in one statement (`claim`): each row becomes `sending` with
`lease_until` = now + the claim lease. On PostgreSQL the inner SELECT takes FOR UPDATE SKIP LOCKED,
so any number of workers share the outbox; SQLite has one writer and runs one worker.

A row changes hands only when its lease has run out: another worker's claim takes `sending` rows
whose `lease_until` has passed, and always writes a later `lease_until` than the one it replaces.
The value of `lease_until` is therefore the owner's token: every write a worker makes to a row is
conditional on `status = 'sending' AND lease_until = <the value it holds>`.

A batch's claim lease covers waiting for its turn, not the send itself: a slow provider (a 429
with Retry-After on every other message) can make a batch outlive it. So immediately before each
send `hold` makes sure the worker holds the row for the whole send: when what is left of its lease
is shorter than the send lease, one conditional UPDATE ... RETURNING renews it, and a worker that
finds the row taken over does not send. The send itself is cut off before its lease can run out
(`DispatchConfig.send_timeout`), so no second worker can take the row while it is on the wire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot import sql

_CLAIM_SQL = (
    "UPDATE message SET status = 'sending', lease_until = ?, updated_at = ? "
    "WHERE id IN (SELECT id FROM message WHERE direction = 'out' AND ("
    "(status = 'pending' AND scheduled_at <= ?) OR (status = 'sending' AND lease_until < ?)) "
    "ORDER BY scheduled_at, id LIMIT ?{lock}) RETURNING id, lease_until"
)

_RENEW_SQL = (
    "UPDATE message SET lease_until = ?, updated_at = ? "
    "WHERE id = ? AND status = 'sending' AND lease_until = ? RETURNING lease_until"
)


@dataclass
class Lease:
    """One claimed row and the `lease_until` this worker holds on it (it changes on renewal)."""

    message_id: int
    until: dt.datetime


async def claim(now: dt.datetime, lease: dt.timedelta, batch_size: int) -> list[Lease]:
    """Take up to `batch_size` due rows for `lease`, in id order."""
    postgres = sql.is_postgres()
    query = _CLAIM_SQL.format(lock=" FOR UPDATE SKIP LOCKED" if postgres else "")
    stamp = sql.db_time(now, postgres)
    rows = await sql.fetch(
        query, (sql.db_time(now + lease, postgres), stamp, stamp, stamp, batch_size)
    )
    claimed = sorted((int(r[0]), sql.parse_time(r[1])) for r in rows)
    return [Lease(message_id, until) for message_id, until in claimed if until is not None]


def covers(lease: Lease, now: dt.datetime, needed: dt.timedelta) -> bool:
    """Whether the lease still runs for at least `needed` from `now`.

    Nobody else can have taken a row whose lease has not run out, so such a lease is ours
    without asking the database."""
    return lease.until - now >= needed


async def renew(lease: Lease, now: dt.datetime, length: dt.timedelta) -> bool:
    """Extend our lease to now + `length` if the row is still ours; False if it is not."""
    postgres = sql.is_postgres()
    until = max(now + length, lease.until)
    rows = await sql.fetch(
        _RENEW_SQL,
        (
            sql.db_time(until, postgres),
            sql.db_time(now, postgres),
            lease.message_id,
            sql.db_time(lease.until, postgres),
        ),
    )
    if not rows:
        return False
    renewed = sql.parse_time(rows[0][0])
    lease.until = renewed if renewed is not None else until
    return True


async def hold(lease: Lease, now: dt.datetime, length: dt.timedelta) -> bool:
    """Immediately before a send: True when this worker holds the row for `length` from now
    (renewing the lease if less is left), False when another worker has taken it over."""
    if covers(lease, now, length):
        return True
    return await renew(lease, now, length)
