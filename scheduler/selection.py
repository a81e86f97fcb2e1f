"""What cadence planning reads: the debtors with chased invoices, aggregated by the database.

For each debtor in an id range one statement returns the chased invoices in three groups by due
date — past due, due today, not yet due — each with its count, total and list as JSON, the anchor
(the most overdue chased invoice: the cycle), and which kinds of cover (plans, disputes, promises;
scheduler/coverage.py) hold the others. The reminder's own history (which steps of the cycle were
sent, and when) comes from the message log in one range read. Plain data out; the decisions are
in scheduler/steps.py and scheduler/cadence.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot import sql
from bot.models import (
    CHASEABLE_STATUSES,
    Channel,
    InvoiceStatus,
    MessageStatus,
)
from scheduler.coverage import Coverage, SkipReason
from scheduler.routing import Contact

# Invoices the planner reads: chaseable ones, plus those in a plan or disputed so the preview can
# say why their debtor is skipped. Paid, cancelled and written-off invoices are never read.
_READ_STATUSES = (*CHASEABLE_STATUSES, InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED)


class Group(NamedTuple):
    """Some chased invoices of one debtor: how many, their totals by currency, their list as JSON
    ([{"id", "number", "due_date", "balance_cents", "currency"}], by due date)."""

    count: int
    totals: dict[str, int]
    invoices_json: str


NO_INVOICES = Group(0, {}, "[]")


@dataclass(slots=True)
class DebtorSnapshot:
    """One debtor as planning sees it: the chased invoices by due date (past due, due today, not
    yet due), the anchor (the most overdue chased one), which kinds of cover hold the others, the
    contact points, and the history of the anchor's cycle (the latest step sent and its day)."""

    id: int
    name: str
    language: str
    timezone: str
    paused_until: dt.datetime | None
    chased_count: int = 0
    anchor_id: int | None = None
    anchor_due: dt.date | None = None
    past: Group = NO_INVOICES
    today: Group = NO_INVOICES
    later: Group = NO_INVOICES
    covered: frozenset[SkipReason] = frozenset()
    contacts: list[Contact] = field(default_factory=list)
    sent_step: str | None = None  # the latest step of this cycle the message log holds as sent
    sent_day: dt.date | None = None  # the company day it was sent
    risk_band: str = ""  # the band the last risk scoring stored (bot/credit/alerts.py)


_STATUS_LIST = ", ".join(f"'{s.value}'" for s in _READ_STATUSES)
_CHASEABLE_LIST = ", ".join(f"'{s.value}'" for s in CHASEABLE_STATUSES)
_CONTACTS_SQL = (
    "SELECT debtor_id, id, channel, address, is_pec, priority, "
    "opted_out_at IS NOT NULL, unreachable_at IS NOT NULL "
    "FROM contact_point WHERE debtor_id >= ? AND debtor_id < ?"
)
_RANGE_SQL = f"SELECT MIN(debtor_id), MAX(debtor_id) FROM invoice WHERE status IN ({_STATUS_LIST})"
_HISTORY_SQL = (
    "SELECT debtor_id, idempotency_key, status, sent_at FROM message "
    "WHERE debtor_id >= ? AND debtor_id < ? AND idempotency_key LIKE 'cadence:%'"
)


def _cover_reason(member: str, lists: tuple[bool, ...]) -> str:
    """SQL naming why an invoice is not chased: in_plan, disputed, promised, or NULL."""
    plans, disputes, disputers, promises, promisers = lists
    in_plan = ["i.status = 'in_plan'"] + ([f"i.id {member}"] if plans else [])
    disputed = ["i.status = 'disputed'"]
    disputed += [f"i.id {member}"] if disputes else []
    disputed += [f"i.debtor_id {member}"] if disputers else []
    promised = ([f"i.id {member}"] if promises else []) + (
        [f"i.debtor_id {member}"] if promisers else []
    )
    return (
        f"CASE WHEN {' OR '.join(in_plan)} THEN 'in_plan' "
        f"WHEN {' OR '.join(disputed)} THEN 'disputed' "
        + (f"WHEN {' OR '.join(promised)} THEN 'promised' " if promised else "")
        + "END"
    )


class _Dialect(NamedTuple):
    """The pieces of the summary query that differ between PostgreSQL and SQLite."""

    member: str  # "is in the id list passed as one parameter"
    anchor: str  # the sortable "due_date:zero-padded id" of an invoice
    listing: str  # the JSON list of a group's invoices, by due date ({f}: the group's filter)
    whole: str  # the cast that keeps a SUM an integer
    ordered: str  # the inner query's ORDER BY, where the aggregate follows the rows' order
    day: str  # the placeholder for today


_POSTGRES = _Dialect(
    member="= ANY(?::int[])",
    anchor="c.due_date::text || ':' || lpad(c.id::text, 12, '0')",
    listing=(
        "(json_agg(json_build_object('id', c.id, 'number', c.number, 'due_date', c.due_date, "
        "'balance_cents', c.balance, 'currency', c.currency) ORDER BY c.due_date, c.id) "
        "FILTER (WHERE {f}))::text"
    ),
    whole="::bigint",  # SUM of bigint is numeric: a Decimal per debtor in Python otherwise
    ordered="",
    day="?::date",
)
_SQLITE = _Dialect(
    member="IN (SELECT value FROM json_each(?))",
    anchor="c.due_date || ':' || printf('%012d', c.id)",
    listing=(
        "json_group_array(json_object('id', c.id, 'number', c.number, 'due_date', c.due_date, "
        "'balance_cents', c.balance, 'currency', c.currency)) FILTER (WHERE {f})"
    ),
    whole="",
    # SQLite aggregates in the order rows arrive: the inner query sorts them.
    ordered=" ORDER BY i.debtor_id, i.due_date, i.id",
    day="?",
)


@lru_cache(maxsize=64)
def _summary_sql(postgres: bool, lists: tuple[bool, ...]) -> str:
    """Per debtor in an id range: the chased invoices aggregated in three groups, and which
    covers hold others.

    An invoice is covered when its status says so (in_plan, disputed) or when it is in one of the
    id lists passed as parameters (pausing plans, open disputes, promises in force; `lists` says
    which are non-empty, the empty ones are left out of the SQL). A chased invoice is an open or
    partly paid one that nothing covers. Its group: 0 past due (due before today), 1 due today,
    2 not yet due; each invoice is aggregated into its own group's list only, so three lists cost
    what one did. The anchor is the smallest "due_date:zero-padded id", i.e. the most overdue
    invoice, ties broken by id.
    """
    member, anchor, listing, whole, ordered, day = _POSTGRES if postgres else _SQLITE
    inner = (
        "SELECT i.debtor_id, i.id, i.number, i.due_date, "
        "i.amount_cents - i.paid_cents - i.discount_cents - i.written_off_cents AS balance, "
        f"i.currency, i.status, {_cover_reason(member, lists)} AS reason, "
        f"CASE WHEN i.due_date < {day} THEN 0 WHEN i.due_date = {day} THEN 1 ELSE 2 END AS grp "
        f"FROM invoice i "
        f"WHERE i.debtor_id >= ? AND i.debtor_id < ? AND i.status IN ({_STATUS_LIST}){ordered}"
    )
    chased = f"(reason IS NULL AND status IN ({_CHASEABLE_LIST}))"
    groups = "".join(
        f"COUNT(*) FILTER (WHERE c.g = {g}) AS n{g}, "
        f"(SUM(c.balance) FILTER (WHERE c.g = {g})){whole} AS t{g}, "
        f"{listing.format(f=f'c.g = {g}')} AS l{g}, "
        for g in (0, 1, 2)
    )
    return (
        "SELECT d.id, d.name, d.language, d.timezone, d.paused_until, g.n, g.anchor, "
        "g.currency, g.currencies, g.n0, g.t0, g.l0, g.n1, g.t1, g.l1, g.n2, g.t2, g.l2, "
        "g.in_plan, g.disputed, g.promised, d.risk_band "
        "FROM (SELECT c.debtor_id, COUNT(*) FILTER (WHERE c.chased) AS n, "
        f"MIN({anchor}) FILTER (WHERE c.chased) AS anchor, "
        "MIN(c.currency) FILTER (WHERE c.chased) AS currency, "
        # One currency or several (no per-debtor DISTINCT sort: MIN = MAX says one).
        "CASE WHEN MIN(c.currency) FILTER (WHERE c.chased) = MAX(c.currency) FILTER "
        "(WHERE c.chased) THEN 1 ELSE 2 END AS currencies, "
        f"{groups}"
        "MAX(CASE WHEN c.reason = 'in_plan' THEN 1 ELSE 0 END) AS in_plan, "
        "MAX(CASE WHEN c.reason = 'disputed' THEN 1 ELSE 0 END) AS disputed, "
        "MAX(CASE WHEN c.reason = 'promised' THEN 1 ELSE 0 END) AS promised "
        # g: the chased invoice's group, -1 when it is not chased (one test per filter below).
        f"FROM (SELECT *, {chased} AS chased, CASE WHEN {chased} THEN grp ELSE -1 END AS g "
        f"FROM ({inner}) AS i0) AS c "
        "GROUP BY c.debtor_id) AS g JOIN debtor d ON d.id = g.debtor_id "
        # The same range again on the debtor side, so only that part of its index is read.
        "WHERE d.id >= ? AND d.id < ? "
        # An erased debtor (python -m bot privacy erase) is never chased again.
        "AND d.erased_at IS NULL"
        # A case handed to a collector or a lawyer (bot/escalation/outsourcing.py) neither.
        " AND d.outsourced_at IS NULL"
    )


_CHANNELS = {c.value: c for c in Channel}


def _coverage_lists(coverage: Coverage) -> list[list[int]]:
    """The id lists `_summary_sql` may test, in its order: plan invoices, disputed invoices,
    disputing debtors, promised invoices, promising debtors."""
    return [
        sorted(coverage.plan_invoices),
        sorted(coverage.disputed_invoices),
        sorted(coverage.disputed_debtors),
        sorted(coverage.promised_invoices),
        sorted(coverage.promised_debtors),
    ]


# (in a plan, disputed, promised) flags of a debtor's covered invoices -> the reasons.
_COVERED = {
    (plan, dispute, promise): frozenset(
        reason
        for reason, flag in (
            (SkipReason.IN_PLAN, plan),
            (SkipReason.DISPUTED, dispute),
            (SkipReason.PROMISED, promise),
        )
        if flag
    )
    for plan in (False, True)
    for dispute in (False, True)
    for promise in (False, True)
}


def json_totals(invoices_json: str) -> dict[str, int]:
    """Totals by currency of an invoice list as JSON (several currencies: rare, summed here)."""
    totals: dict[str, int] = {}
    for invoice in json.loads(invoices_json):
        totals[invoice["currency"]] = totals.get(invoice["currency"], 0) + invoice["balance_cents"]
    return totals


def _group(count: int, listing: str | None) -> Group:
    """A group in several currencies: its totals summed from its list."""
    if not count or not listing:
        return NO_INVOICES
    return Group(count, json_totals(listing), listing)


async def load_snapshots(
    low: int, high: int, coverage: Coverage, today: dt.date
) -> list[DebtorSnapshot]:
    """Debtors with id in [low, high) that have unsettled invoices, aggregated, with contacts."""
    postgres = sql.is_postgres()
    lists = _coverage_lists(coverage)
    # Each list goes in where the SQL tests it: the invoice id and debtor id tests of one kind
    # of cover appear once each, in the order _summary_sql writes them.
    params: list[Any] = [ids if postgres else json.dumps(ids) for ids in lists if ids]
    day = sql.db_date(today, postgres)
    params += [day, day, low, high, low, high]
    query = _summary_sql(postgres, tuple(bool(ids) for ids in lists))
    snapshots: dict[int, DebtorSnapshot] = {}
    parse_time, from_iso, no_contacts = sql.parse_time, dt.date.fromisoformat, list
    empty = NO_INVOICES
    for row in await sql.fetch(query, params):
        (debtor_id, name, language, timezone, paused, n, anchor, currency, currencies,
         n0, t0, l0, n1, t1, l1, n2, t2, l2, in_plan, disputed, promised, band) = row  # fmt: skip
        covered = _COVERED[bool(in_plan), bool(disputed), bool(promised)]
        paused_until = parse_time(paused) if paused is not None else None
        if n:
            due, _, anchor_id = anchor.partition(":")
            if currencies <= 1:  # the common case, built inline: planning makes a million
                g0 = Group(n0, {currency: int(t0)}, l0) if n0 else empty
                g1 = Group(n1, {currency: int(t1)}, l1) if n1 else empty
                g2 = Group(n2, {currency: int(t2)}, l2) if n2 else empty
            else:
                g0, g1, g2 = _group(n0, l0), _group(n1, l1), _group(n2, l2)
            snapshots[debtor_id] = DebtorSnapshot(
                debtor_id, name, language, timezone, paused_until, n, int(anchor_id),
                from_iso(due), g0, g1, g2, covered, no_contacts(), risk_band=band,
            )  # fmt: skip
        else:
            snapshots[debtor_id] = DebtorSnapshot(
                debtor_id, name, language, timezone, paused_until, covered=covered,
                risk_band=band,
            )  # fmt: skip
    await _add_contacts(snapshots, low, high)
    return list(snapshots.values())


async def _add_contacts(snapshots: dict[int, DebtorSnapshot], low: int, high: int) -> None:
    channels, get = _CHANNELS, snapshots.get
    for (
        debtor_id,
        id_,
        channel,
        address,
        is_pec,
        priority,
        opted_out,
        unreachable,
    ) in await sql.fetch(_CONTACTS_SQL, (low, high)):
        snapshot = get(debtor_id)
        if snapshot is not None:
            snapshot.contacts.append(
                Contact(
                    id_,
                    channels[channel],
                    address,
                    bool(is_pec),
                    priority,
                    bool(opted_out),
                    bool(unreachable),
                )
            )


@dataclass
class History:
    """The cadence rows of a range of debtors: every key the outbox holds (any status), and per
    (debtor, cycle) the latest step sent, by the policy's order, and the company day the latest
    reminder of the cycle went out."""

    keys: set[str] = field(default_factory=set)
    sent: dict[tuple[int, int], tuple[int, dt.date]] = field(default_factory=dict)

    def apply(self, snapshots: Sequence[DebtorSnapshot], step_names: Sequence[str]) -> None:
        """Give each snapshot the latest step its cycle has sent."""
        if not self.sent:
            return
        for snapshot in snapshots:
            if snapshot.anchor_id is None:
                continue
            found = self.sent.get((snapshot.id, snapshot.anchor_id))
            if found is not None:
                snapshot.sent_step, snapshot.sent_day = step_names[found[0]], found[1]


async def load_history(low: int, high: int, step_names: Sequence[str], zone: ZoneInfo) -> History:
    """One range read of the (debtor_id, ...) index for debtors with id in [low, high).

    Asking by debtor range rather than by key list keeps it cheap even when the table statistics
    are stale (the outbox grows by hundreds of thousands of rows within one large run). A step
    the policy no longer has is ignored. Only rows the log holds as sent count as history; a
    cancelled row's key carries "#cancelled-<id>", so it never matches a cycle's key again.
    """
    order = {name: index for index, name in enumerate(step_names)}
    sent_status = MessageStatus.SENT.value
    rows = await sql.fetch(_HISTORY_SQL, (low, high))
    history = History(keys={row[1] for row in rows})
    for debtor_id, key, _, sent_at in [row for row in rows if row[2] == sent_status]:
        if sent_at is None:
            continue
        _, _, step, cycle = key.split(":", 3)
        index = order.get(step)
        if index is None or not cycle.isdigit():
            continue
        moment = sql.parse_time(sent_at)
        day = moment.astimezone(zone).date() if moment is not None else None
        if day is None:
            continue
        slot = (int(debtor_id), int(cycle))
        current = history.sent.get(slot)
        if current is not None:  # the latest step, and the latest day anything went
            index, day = max(index, current[0]), max(day, current[1])
        history.sent[slot] = (index, day)
    return history


async def debtor_id_range() -> tuple[int, int] | None:
    rows = await sql.fetch(_RANGE_SQL)
    low, high = rows[0] if rows else (None, None)
    return None if low is None else (int(low), int(high))
