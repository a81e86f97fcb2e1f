"""Cadence planning: which debtor gets which reminder now, as outbox rows.

For each debtor with open invoices the policy step now due is found from the most overdue invoice
(days counted in the company's time zone), and ONE reminder is queued that lists all of the
debtor's open invoices with their total — never one message per invoice.

Idempotency: every reminder row carries the key ``cadence:<debtor>:<step>:<cycle>`` (unique in the
message table). The *cycle* is the anchor invoice: the most overdue invoice that is still chased.
While that invoice stays open, each step is queued at most once however often planning runs, crashes
halfway or races another planner (the insert ignores a key that exists). When the debtor settles it,
the next most overdue invoice becomes the anchor, so a debtor who paid and later falls behind again
is chased again from the step that new arrears call for.

Planning is set-based so it scales to a million invoices: debtors are streamed in chunks by id,
each chunk is three indexed SELECTs, the decisions are plain Python functions, and the rows go in
with multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import json
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from bot import sql
from bot.models import (
    CHASEABLE_STATUSES,
    Channel,
    Dispute,
    DisputeStatus,
    InvoiceStatus,
    PaymentPlan,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
)
from bot.outbox import options_payload
from bot.policy import Policy, Step
from bot.runtime import Runtime
from bot.texts import render
from scheduler.calendar import next_allowed_moment
from scheduler.routing import Contact, contact_state, route

DEFAULT_CHUNK_DEBTORS = 20_000
_INSERT_ROWS = 2_000  # 8 parameters a row: well under both databases' parameter limits

# Invoices the planner reads: chaseable ones, plus those in a plan or disputed so the preview can
# say why their debtor is skipped. Paid, cancelled and written-off invoices are never read.
_READ_STATUSES = (*CHASEABLE_STATUSES, InvoiceStatus.IN_PLAN, InvoiceStatus.DISPUTED)

# What every reminder offers (the conversation flows handle the answers); "discount" and the
# plan come first when the step makes that offer.
REMINDER_OPTIONS = (
    "pay_now",
    "instalments",
    "promise",
    "already_paid",
    "dispute",
    "talk_to_person",
)


class SkipReason(StrEnum):
    PAUSED = "paused"  # staff paused the debtor
    NO_CONTACT = "no_contact"  # no contact point at all
    OPTED_OUT = "opted_out"  # every contact point opted out
    UNREACHABLE = "unreachable"  # every contact point opted out or unreachable
    NO_CHANNEL_FOR_STEP = "no_channel_for_step"  # reachable, but not on the step's channels
    IN_PLAN = "in_plan"  # every open invoice is in an active payment plan
    DISPUTED = "disputed"  # every open invoice is under dispute
    PROMISED = "promised"  # every open invoice is covered by a pending promise
    COVERED = "covered"  # every open invoice is in a plan, disputed or promised (a mix)
    NOT_DUE_YET = "not_due_yet"  # no step has come yet (before the courtesy reminder)
    ALREADY_QUEUED = "already_queued"  # this step of this cycle was planned before
    SETTLED = "settled"  # (at dispatch) every listed invoice was paid or closed meanwhile


class OpenInvoice(NamedTuple):
    """An unsettled invoice as the planner reads it (a tuple: a million of them are made)."""

    id: int
    number: str
    due_date: dt.date
    balance_cents: int
    currency: str
    status: str


@dataclass(slots=True)
class DebtorSnapshot:
    """One debtor as planning sees it, aggregated by the database: the invoices still chased
    (count, the anchor = the most overdue one, total, and their list already as JSON), which
    kinds of cover hold the others, and the contact points."""

    id: int
    name: str
    language: str
    timezone: str
    paused_until: dt.datetime | None
    chased_count: int = 0
    anchor_id: int | None = None
    anchor_due: dt.date | None = None
    totals: dict[str, int] = field(default_factory=dict)
    invoices_json: str = "[]"  # [{"id", "number", "due_date", "balance_cents", "currency"}]
    covered: frozenset[SkipReason] = frozenset()
    contacts: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    """What pauses the chase of single invoices: active plans, open disputes, pending promises."""

    plan_invoices: frozenset[int] = frozenset()
    disputed_invoices: frozenset[int] = frozenset()
    disputed_debtors: frozenset[int] = frozenset()  # a dispute not tied to one invoice
    promised_invoices: dict[int, dt.date] = field(default_factory=dict)
    promised_debtors: dict[int, dt.date] = field(default_factory=dict)  # promise on the balance

    @property
    def empty(self) -> bool:
        return not (
            self.plan_invoices
            or self.disputed_invoices
            or self.disputed_debtors
            or self.promised_invoices
            or self.promised_debtors
        )

    def reason(self, debtor_id: int, invoice: OpenInvoice, today: dt.date) -> SkipReason | None:
        if invoice.status == InvoiceStatus.IN_PLAN or invoice.id in self.plan_invoices:
            return SkipReason.IN_PLAN
        if (
            invoice.status == InvoiceStatus.DISPUTED
            or invoice.id in self.disputed_invoices
            or debtor_id in self.disputed_debtors
        ):
            return SkipReason.DISPUTED
        promised = self.promised_invoices.get(invoice.id) or self.promised_debtors.get(debtor_id)
        if promised is not None and today <= promised:
            return SkipReason.PROMISED
        return None


@dataclass(slots=True)
class Reminder:
    """One consolidated reminder the planner decided on."""

    debtor_id: int
    debtor_name: str
    language: str
    timezone: str
    step: Step
    days_overdue: int
    anchor_id: int  # the cycle: the most overdue invoice still chased
    invoice_count: int
    totals: dict[str, int]
    invoices_json: str
    route: tuple[Contact, ...]  # the order channels are tried; empty when decided unrouted

    @property
    def idempotency_key(self) -> str:
        return cadence_key(self.debtor_id, self.step.name, self.anchor_id)


@dataclass(frozen=True, slots=True)
class Skip:
    debtor_id: int
    debtor_name: str
    reason: SkipReason
    detail: str = ""


@dataclass
class PlanResult:
    """What one planning run did (or, for a dry run, would do)."""

    planned_at: dt.datetime
    today: dt.date
    dry_run: bool
    queued: list[Reminder] = field(default_factory=list)  # kept when record=True
    skipped: list[Skip] = field(default_factory=list)  # kept when record=True
    queued_count: int = 0
    alerts_queued: int = 0
    skip_counts: Counter[SkipReason] = field(default_factory=Counter)
    debtors_seen: int = 0
    invoices_chased: int = 0  # open invoices not covered by a plan, dispute or promise
    # Wall-clock seconds per phase: reading, deciding, writing (the benchmark reports them).
    seconds: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "debtors": self.debtors_seen,
            "invoices_chased": self.invoices_chased,
            "queued": self.queued_count,
            "alerts": self.alerts_queued,
            "skipped": {reason.value: n for reason, n in sorted(self.skip_counts.items())},
        }


def cadence_key(debtor_id: int, step: str, anchor_invoice_id: int) -> str:
    return f"cadence:{debtor_id}:{step}:{anchor_invoice_id}"


def invoice_totals(invoices: Iterable[OpenInvoice]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for invoice in invoices:
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.balance_cents
    return totals


def company_today(now: dt.datetime, runtime: Runtime) -> dt.date:
    return now.astimezone(runtime.settings.zone).date()


def decide(
    debtor: DebtorSnapshot,
    today: dt.date,
    now: dt.datetime,
    policy: Policy,
    *,
    routed: bool = True,
) -> Reminder | Skip:
    """The reminder due for one debtor today, or why there is none. Pure: no I/O.

    With `routed` False the reminder's route is left empty and only checked to exist: the
    outbox row does not store it (dispatch routes again when it sends), and planning without
    recording (the clock) has no use for the order of the fallbacks.
    """
    if debtor.paused_until is not None and debtor.paused_until > now:
        detail = f"until {debtor.paused_until:%Y-%m-%d %H:%M} UTC"
        return Skip(debtor.id, debtor.name, SkipReason.PAUSED, detail)
    state = contact_state(debtor.contacts)
    if state == "none":
        return Skip(debtor.id, debtor.name, SkipReason.NO_CONTACT)
    if state == "opted_out":
        return Skip(debtor.id, debtor.name, SkipReason.OPTED_OUT)
    if state == "unreachable":
        return Skip(debtor.id, debtor.name, SkipReason.UNREACHABLE)
    if not debtor.chased_count or debtor.anchor_id is None or debtor.anchor_due is None:
        covered = debtor.covered
        if len(covered) == 1:
            return Skip(debtor.id, debtor.name, next(iter(covered)))
        detail = ", ".join(sorted(r.value for r in covered))
        return Skip(debtor.id, debtor.name, SkipReason.COVERED, detail)

    days = (today - debtor.anchor_due).days
    step = policy.step_due(days)
    if step is None:
        starts = debtor.anchor_due + dt.timedelta(days=policy.steps[0].days)
        return Skip(debtor.id, debtor.name, SkipReason.NOT_DUE_YET, f"first step on {starts}")
    contacts: tuple[Contact, ...] = ()
    if routed:
        contacts = tuple(route(debtor.contacts, step.channels, formal=step.formal))
        reachable = bool(contacts)
    else:
        allowed = step.channels
        reachable = any(c.channel in allowed and c.reachable for c in debtor.contacts)
    if not reachable:
        channels = ", ".join(c.value for c in step.channels)
        return Skip(debtor.id, debtor.name, SkipReason.NO_CHANNEL_FOR_STEP, channels)
    return Reminder(
        debtor_id=debtor.id,
        debtor_name=debtor.name,
        language=debtor.language,
        timezone=debtor.timezone,
        step=step,
        days_overdue=days,
        anchor_id=debtor.anchor_id,
        invoice_count=debtor.chased_count,
        totals=debtor.totals,
        invoices_json=debtor.invoices_json,
        route=contacts,
    )


def reminder_context_json(reminder: Reminder) -> str:
    """What the dispatcher needs to render and route the reminder, stored on the outbox row.

    Built as text around the invoice list the database already serialised and the step's part
    serialised once per run, so a million invoices are never turned into Python dictionaries and
    back (the same text json.dumps would write: keys in this order, no spaces)."""
    totals = reminder.totals
    if len(totals) == 1:
        ((currency, cents),) = totals.items()
        totals_json = (
            f'{{"{currency}":{cents}}}'
            if currency.isascii() and currency.isalnum()
            else json.dumps(totals, ensure_ascii=False, separators=(",", ":"))
        )
    else:
        totals_json = json.dumps(totals, ensure_ascii=False, separators=(",", ":"))
    return (
        f'{{"kind":"reminder","cycle":"invoice:{reminder.anchor_id}",'
        f'"days_overdue":{reminder.days_overdue},{_step_context_json(reminder.step)},'
        f'"totals":{totals_json},"invoices":{reminder.invoices_json}}}'
    )


# Per-step texts, cached by the step object's identity: hashing a pydantic model costs more
# than building the text, and planning asks hundreds of thousands of times.
_BY_STEP: dict[tuple[int, str, str], tuple[Step, str]] = {}


def _cached_for_step(step: Step, kind: str, language: str, build: Any) -> str:
    key = (id(step), kind, language)
    cached = _BY_STEP.get(key)
    if cached is not None and cached[0] is step:
        return cached[1]
    if len(_BY_STEP) > 256:
        _BY_STEP.clear()
    text: str = build(step, language)
    _BY_STEP[key] = (step, text)
    return text


def _step_context_json(step: Step) -> str:
    return _cached_for_step(step, "context", "", _build_step_context_json)


def _build_step_context_json(step: Step, _language: str) -> str:
    """The step's part of a reminder's context, without the braces."""
    part = json.dumps(
        {
            "courtesy": step.courtesy,
            "formal": step.formal,
            "offer": step.offer,
            "channels": [c.value for c in step.channels],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return part[1:-1]


def reminder_options_keys(step: Step) -> tuple[str, ...]:
    if step.offer == "discount":
        return ("discount", *REMINDER_OPTIONS)
    if step.offer == "plan":
        return ("instalments", *(k for k in REMINDER_OPTIONS if k != "instalments"))
    return REMINDER_OPTIONS


def reminder_options_json(step: Step, language: str) -> str:
    """The reply options of a step in a language, as stored on the row (rendered once per run)."""
    return _cached_for_step(step, "options", language, _build_options_json)


def _build_options_json(step: Step, language: str) -> str:
    from bot.channels.base import Option

    options = [
        Option(key=key, label=render("reminders/option.txt", language, key=key))
        for key in reminder_options_keys(step)
    ]
    return json.dumps(options_payload(options), ensure_ascii=False)


async def load_coverage(today: dt.date, debtor_ids: Collection[int] | None = None) -> Coverage:
    """Plans, disputes and promises in force today; only for `debtor_ids` when given."""
    only: dict[str, Any] = {} if debtor_ids is None else {"debtor_id__in": list(debtor_ids)}
    plan_invoices: set[int] = set()
    for invoice_ids in await PaymentPlan.filter(status=PlanStatus.ACTIVE, **only).values_list(
        "invoice_ids", flat=True
    ):
        plan_invoices.update(int(i) for i in invoice_ids or ())
    disputed_invoices: set[int] = set()
    disputed_debtors: set[int] = set()
    for disputer, invoice_id in await Dispute.filter(status=DisputeStatus.OPEN, **only).values_list(
        "debtor_id", "invoice_id"
    ):
        if invoice_id is None:
            disputed_debtors.add(disputer)
        else:
            disputed_invoices.add(invoice_id)
    promised_invoices: dict[int, dt.date] = {}
    promised_debtors: dict[int, dt.date] = {}
    promises = await PromiseToPay.filter(
        status=PromiseStatus.PENDING, promised_date__gte=today, **only
    ).values_list("debtor_id", "invoice_ids", "promised_date")
    for promiser, invoice_ids, promised_date in promises:
        if invoice_ids:
            for invoice_id in invoice_ids:
                current = promised_invoices.get(int(invoice_id))
                promised_invoices[int(invoice_id)] = max(current or promised_date, promised_date)
        else:
            current = promised_debtors.get(promiser)
            promised_debtors[promiser] = max(current or promised_date, promised_date)
    return Coverage(
        plan_invoices=frozenset(plan_invoices),
        disputed_invoices=frozenset(disputed_invoices),
        disputed_debtors=frozenset(disputed_debtors),
        promised_invoices=promised_invoices,
        promised_debtors=promised_debtors,
    )


_STATUS_LIST = ", ".join(f"'{s.value}'" for s in _READ_STATUSES)
_CHASEABLE_LIST = ", ".join(f"'{s.value}'" for s in CHASEABLE_STATUSES)
_CONTACTS_SQL = (
    "SELECT debtor_id, id, channel, address, is_pec, priority, "
    "opted_out_at IS NOT NULL, unreachable_at IS NOT NULL "
    "FROM contact_point WHERE debtor_id >= ? AND debtor_id < ?"
)
_RANGE_SQL = f"SELECT MIN(debtor_id), MAX(debtor_id) FROM invoice WHERE status IN ({_STATUS_LIST})"


@lru_cache(maxsize=64)
def _summary_sql(postgres: bool, lists: tuple[bool, ...]) -> str:
    """Per debtor in an id range: the chased invoices aggregated, and which covers hold others.

    An invoice is covered when its status says so (in_plan, disputed) or when it is in one of the
    id lists passed as parameters (active plans, open disputes, promises in force; `lists` says
    which are non-empty, the empty ones are left out of the SQL). A chased invoice is an open or
    partly paid one that nothing covers. The anchor is the smallest "due_date:zero-padded id",
    i.e. the most overdue invoice, ties broken by id.
    """
    if postgres:
        member = "= ANY(?::int[])"
        anchor = "c.due_date::text || ':' || lpad(c.id::text, 12, '0')"
        item = (
            "json_build_object('id', c.id, 'number', c.number, 'due_date', c.due_date, "
            "'balance_cents', c.balance, 'currency', c.currency)"
        )
        listing = f"(json_agg({item} ORDER BY c.due_date, c.id) FILTER (WHERE c.chased))::text"
        whole = "::bigint"  # SUM of bigint is numeric: a Decimal per debtor in Python otherwise
        ordered = ""
    else:
        member = "IN (SELECT value FROM json_each(?))"
        anchor = "c.due_date || ':' || printf('%012d', c.id)"
        item = (
            "json_object('id', c.id, 'number', c.number, 'due_date', c.due_date, "
            "'balance_cents', c.balance, 'currency', c.currency)"
        )
        # SQLite aggregates in the order rows arrive: the inner query sorts them.
        listing = f"json_group_array({item}) FILTER (WHERE c.chased)"
        whole = ""
        ordered = " ORDER BY i.debtor_id, i.due_date, i.id"
    plans, disputes, disputers, promises, promisers = lists
    in_plan = ["i.status = 'in_plan'"] + ([f"i.id {member}"] if plans else [])
    disputed = ["i.status = 'disputed'"]
    disputed += [f"i.id {member}"] if disputes else []
    disputed += [f"i.debtor_id {member}"] if disputers else []
    promised = ([f"i.id {member}"] if promises else []) + (
        [f"i.debtor_id {member}"] if promisers else []
    )
    reason = (
        f"CASE WHEN {' OR '.join(in_plan)} THEN 'in_plan' "
        f"WHEN {' OR '.join(disputed)} THEN 'disputed' "
        + (f"WHEN {' OR '.join(promised)} THEN 'promised' " if promised else "")
        + "END"
    )
    inner = (
        "SELECT i.debtor_id, i.id, i.number, i.due_date, i.amount_cents - i.paid_cents AS balance, "
        f"i.currency, i.status, {reason} AS reason FROM invoice i "
        f"WHERE i.debtor_id >= ? AND i.debtor_id < ? AND i.status IN ({_STATUS_LIST}){ordered}"
    )
    chased = f"(reason IS NULL AND status IN ({_CHASEABLE_LIST}))"
    return (
        "SELECT d.id, d.name, d.language, d.timezone, d.paused_until, g.n, g.anchor, g.total, "
        "g.currency, g.currencies, g.invoices, g.in_plan, g.disputed, g.promised "
        "FROM (SELECT c.debtor_id, COUNT(*) FILTER (WHERE c.chased) AS n, "
        f"MIN({anchor}) FILTER (WHERE c.chased) AS anchor, "
        f"(SUM(c.balance) FILTER (WHERE c.chased)){whole} AS total, "
        "MIN(c.currency) FILTER (WHERE c.chased) AS currency, "
        # One currency or several (no per-debtor DISTINCT sort: MIN = MAX says one).
        "CASE WHEN MIN(c.currency) FILTER (WHERE c.chased) = MAX(c.currency) FILTER "
        "(WHERE c.chased) THEN 1 ELSE 2 END AS currencies, "
        f"{listing} AS invoices, "
        "MAX(CASE WHEN c.reason = 'in_plan' THEN 1 ELSE 0 END) AS in_plan, "
        "MAX(CASE WHEN c.reason = 'disputed' THEN 1 ELSE 0 END) AS disputed, "
        "MAX(CASE WHEN c.reason = 'promised' THEN 1 ELSE 0 END) AS promised "
        f"FROM (SELECT *, {chased} AS chased FROM ({inner}) AS i0) AS c "
        "GROUP BY c.debtor_id) AS g JOIN debtor d ON d.id = g.debtor_id "
        # The same range again on the debtor side, so only that part of its index is read.
        "WHERE d.id >= ? AND d.id < ?"
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


def _totals(total: int, currency: str, currencies: int, invoices_json: str) -> dict[str, int]:
    if currencies <= 1:
        return {currency: int(total)}
    totals: dict[str, int] = {}
    for invoice in json.loads(invoices_json):  # several currencies: rare, summed here
        totals[invoice["currency"]] = totals.get(invoice["currency"], 0) + invoice["balance_cents"]
    return totals


async def load_snapshots(low: int, high: int, coverage: Coverage) -> list[DebtorSnapshot]:
    """Debtors with id in [low, high) that have unsettled invoices, aggregated, with contacts."""
    postgres = sql.is_postgres()
    lists = _coverage_lists(coverage)
    # Each list goes in where the SQL tests it: the invoice id and debtor id tests of one kind
    # of cover appear once each, in the order _summary_sql writes them.
    params: list[Any] = [ids if postgres else json.dumps(ids) for ids in lists if ids]
    params += [low, high, low, high]
    query = _summary_sql(postgres, tuple(bool(ids) for ids in lists))
    snapshots: dict[int, DebtorSnapshot] = {}
    parse_time, from_iso, no_contacts = sql.parse_time, dt.date.fromisoformat, list
    for row in await sql.fetch(query, params):
        (debtor_id, name, language, timezone, paused, n, anchor, total, currency, currencies,
         invoices, in_plan, disputed, promised) = row  # fmt: skip
        covered = _COVERED[bool(in_plan), bool(disputed), bool(promised)]
        paused_until = parse_time(paused) if paused is not None else None
        if n:
            due, _, anchor_id = anchor.partition(":")
            snapshots[debtor_id] = DebtorSnapshot(
                debtor_id, name, language, timezone, paused_until, n, int(anchor_id),
                from_iso(due),
                {currency: int(total)} if currencies <= 1
                else _totals(total, currency, currencies, invoices),
                invoices, covered, no_contacts(),
            )  # fmt: skip
        else:
            snapshots[debtor_id] = DebtorSnapshot(
                debtor_id, name, language, timezone, paused_until, 0, None, None, {}, "[]",
                covered, no_contacts(),
            )  # fmt: skip
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
    return list(snapshots.values())


_MESSAGE_COLUMNS = (
    "debtor_id, direction, audience, channel, template, step, context, body, options, "
    "chosen_option, attachments, status, idempotency_key, scheduled_at, attempts, last_error, "
    "created_at, updated_at"
)
# Constants are written into the SQL; the eight per-row values are parameters.
_ROW_SQL = "(?, 'out', ?, ?, ?, ?, ?, '', ?, '', '[]', 'pending', ?, ?, 0, '', ?, ?)"


# PostgreSQL takes each column as one array parameter: one small statement per batch, however
# many rows, instead of thousands of parameters to parse and type. Only what differs from row to
# row goes in per row (debtor, context, key); the values rows share (step, template, options,
# send time...) go in once per batch as a small table the rows point into by number, so neither
# the driver nor the server handles the same options text a hundred thousand times.
_PG_INSERT_SQL = (
    "WITH shared AS MATERIALIZED ("
    "SELECT g, a, c, t, s, o::jsonb AS o, w, n "
    "FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
    "$10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS v(a, c, t, s, o, w, n, g)) "
    f"INSERT INTO message ({_MESSAGE_COLUMNS}) "
    "SELECT r.d, 'out', v.a, v.c, v.t, v.s, r.x::jsonb, '', v.o, '', '[]', 'pending', r.k, v.w, "
    "0, '', v.n, v.n "
    "FROM unnest($1::int[], $2::int[], $3::text[], $4::text[]) AS r(d, g, x, k) "
    "JOIN shared v ON v.g = r.g "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
)


async def _insert_postgres(batch: Sequence[tuple[Any, ...]]) -> list[str]:
    debtors: list[int | None] = []
    groups: list[int] = []
    contexts: list[str] = []
    keys: list[str] = []
    shared: dict[tuple[Any, ...], int] = {}
    for debtor_id, audience, channel, template, step, context, options, key, at, created in batch:
        values = (audience, channel, template, step, options, at, created)
        group = shared.get(values)
        if group is None:
            group = shared[values] = len(shared) + 1  # WITH ORDINALITY counts from 1
        debtors.append(debtor_id)
        groups.append(group)
        contexts.append(context)
        keys.append(key)
    columns = [list(column) for column in zip(*shared, strict=True)]
    rows = await sql.fetch(_PG_INSERT_SQL, [debtors, groups, contexts, keys, *columns])
    return [r[0] for r in rows]


async def insert_outbox_rows(rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert outbox rows, ignoring keys that exist; returns the keys actually inserted.

    Each row: (debtor_id, audience, channel, template, step, context_json, options_json,
    idempotency_key, scheduled_at, created_at) with datetimes already adapted (sql.db_time).
    """
    inserted: set[str] = set()
    postgres = sql.is_postgres()
    for start in range(0, len(rows), _INSERT_ROWS):
        batch = rows[start : start + _INSERT_ROWS]
        if postgres:
            inserted.update(await _insert_postgres(batch))
            continue
        values = ", ".join([_ROW_SQL] * len(batch))
        params: list[Any] = []
        for row in batch:
            params.extend(row)
            params.append(row[-1])  # updated_at = created_at
        query = (
            f"INSERT INTO message ({_MESSAGE_COLUMNS}) VALUES {values} "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
        )
        inserted.update(r[0] for r in await sql.fetch(query, params))
    return inserted


async def existing_keys(low: int, high: int) -> set[str]:
    """Cadence keys already in the outbox for debtors with id in [low, high).

    A range read on the (debtor_id, ...) index. Asking by debtor range rather than by key list
    keeps it cheap even when the table statistics are stale (the outbox grows by hundreds of
    thousands of rows within one large run): at worst one scan per chunk, never one per key.
    """
    rows = await sql.fetch(
        "SELECT idempotency_key FROM message WHERE debtor_id >= ? AND debtor_id < ? "
        "AND idempotency_key LIKE 'cadence:%'",
        (low, high),
    )
    return {r[0] for r in rows}


def escalation_key(reminder_key: str) -> str:
    return "escalation:" + reminder_key.removeprefix("cadence:")


def escalation_context(reminder: Reminder) -> dict[str, Any]:
    return {
        "debtor_id": reminder.debtor_id,
        "debtor_name": reminder.debtor_name,
        "step": reminder.step.name,
        "days_overdue": reminder.days_overdue,
        "invoice_count": reminder.invoice_count,
        "totals": reminder.totals,
    }


async def debtor_id_range() -> tuple[int, int] | None:
    rows = await sql.fetch(_RANGE_SQL)
    low, high = rows[0] if rows else (None, None)
    return None if low is None else (int(low), int(high))


# Telegram lets a bot post about 20 messages a minute in a group: past this many escalations in
# one run, staff get one summary instead of a flood (the reminders themselves are unaffected).
ESCALATION_ALERTS_PER_RUN = 20
_SUMMARY_TOP = 10


@dataclass
class EscalationSummary:
    """Escalations beyond the per-run alert limit: counted by step, the largest kept by name."""

    count: int = 0
    by_step: Counter[str] = field(default_factory=Counter)
    top: list[tuple[int, int, str, str]] = field(default_factory=list)  # (cents, id, name, step)

    def add(self, reminder: Reminder) -> None:
        self.count += 1
        self.by_step[reminder.step.name] += 1
        cents = sum(reminder.totals.values())
        entry = (cents, reminder.debtor_id, reminder.debtor_name, reminder.step.name)
        if len(self.top) < _SUMMARY_TOP:
            heapq.heappush(self.top, entry)
        elif entry > self.top[0]:
            heapq.heapreplace(self.top, entry)

    def context(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_step": dict(sorted(self.by_step.items())),
            "top": [
                {"debtor_id": d, "debtor_name": n, "step": st, "cents": c}
                for c, d, n, st in sorted(self.top, reverse=True)
            ],
            "currency": "EUR",
        }


@dataclass
class _Run:
    """The state one planning run shares between its steps."""

    runtime: Runtime
    result: PlanResult
    now: dt.datetime
    postgres: bool
    record: bool
    window_start: dict[str, Any] = field(default_factory=dict)  # adapted for the driver
    escalations_left: int = field(default_factory=lambda: ESCALATION_ALERTS_PER_RUN)
    overflow: EscalationSummary = field(default_factory=lambda: EscalationSummary())

    def scheduled_at(self, timezone: str) -> Any:
        """When the reminder may go: the start of the debtor's contact window (same for every
        debtor in a time zone, so computed once per zone)."""
        start = self.window_start.get(timezone)
        if start is None:
            moment = next_allowed_moment(self.now, timezone, self.runtime.policy)
            start = sql.db_time(moment, self.postgres)
            self.window_start[timezone] = start
        return start


async def _write_chunk(
    run: _Run, reminders: list[Reminder], keys: list[str], low: int, high: int
) -> None:
    """Insert one chunk's reminders (and escalation alerts) and account for them."""
    started = time.perf_counter()
    result = run.result
    created = sql.db_time(run.now, run.postgres)
    known = await existing_keys(low, high)
    rows = [
        (
            reminder.debtor_id,
            "debtor",
            None,
            reminder.step.template,
            reminder.step.name,
            reminder_context_json(reminder),
            reminder_options_json(reminder.step, reminder.language),
            key,
            run.scheduled_at(reminder.timezone),
            created,
        )
        for reminder, key in zip(reminders, keys, strict=True)
        if key not in known
    ]
    fresh = await insert_outbox_rows(rows) if rows else set()
    escalated = [
        (reminder, key)
        for reminder, key in zip(reminders, keys, strict=True)
        if reminder.step.escalate and key in fresh
    ]
    alerts = []
    for reminder, key in escalated:
        if run.escalations_left > 0:
            run.escalations_left -= 1
            alerts.append(
                (
                    reminder.debtor_id,
                    "staff",
                    Channel.TELEGRAM.value,
                    "staff/escalation.txt",
                    reminder.step.name,
                    json.dumps(escalation_context(reminder), ensure_ascii=False),
                    "[]",
                    escalation_key(key),
                    created,
                    created,
                )
            )
        else:
            run.overflow.add(reminder)
    if alerts:
        result.alerts_queued += len(await insert_outbox_rows(alerts))
    _account(run, reminders, keys, fresh)
    result.seconds["write"] += time.perf_counter() - started


async def _queue_escalation_summary(run: _Run) -> None:
    created = sql.db_time(run.now, run.postgres)
    row = (
        None,
        "staff",
        Channel.TELEGRAM.value,
        "staff/escalation_summary.txt",
        "",
        json.dumps(run.overflow.context(), ensure_ascii=False),
        "[]",
        f"escalation-summary:{run.now.isoformat()}",
        created,
        created,
    )
    run.result.alerts_queued += len(await insert_outbox_rows([row]))


def _account(run: _Run, reminders: list[Reminder], keys: list[str], fresh: set[str]) -> None:
    result = run.result
    for reminder, key in zip(reminders, keys, strict=True):
        if key in fresh:
            result.queued_count += 1
            if run.record:
                result.queued.append(reminder)
        else:
            result.skip_counts[SkipReason.ALREADY_QUEUED] += 1
            if run.record:
                result.skipped.append(
                    Skip(
                        reminder.debtor_id,
                        reminder.debtor_name,
                        SkipReason.ALREADY_QUEUED,
                        reminder.step.name,
                    )
                )


async def plan(
    runtime: Runtime,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    record: bool = True,
    chunk_debtors: int = DEFAULT_CHUNK_DEBTORS,
) -> PlanResult:
    """Plan the cadence for every debtor. `dry_run` writes nothing (the preview uses it);
    `record` keeps every decision in the result (the benchmark turns it off to save memory).

    On PostgreSQL chunks are pipelined: while the Python decisions for one chunk run, the next
    chunk is being read and the previous one written, each on its own connection. SQLite has one
    connection and its driver thread competes with the decisions for the interpreter, so there
    each chunk is read, decided and written in turn (measured: pipelining made it slower).
    At most three chunks are in memory, so memory stays flat however many debtors there are.
    """
    now = (now or runtime.now()).astimezone(dt.UTC)
    today = company_today(now, runtime)
    policy = runtime.policy
    result = PlanResult(planned_at=now, today=today, dry_run=dry_run)
    coverage = await load_coverage(today)
    bounds = await debtor_id_range()
    if bounds is None:
        return result
    run = _Run(runtime, result, now, sql.is_postgres(), record)
    lows = list(range(bounds[0], bounds[1] + 1, chunk_debtors))
    clock = time.perf_counter
    pipelined = run.postgres
    reading: asyncio.Future[list[DebtorSnapshot]] | None = None
    writing: asyncio.Future[None] | None = None
    try:
        for index, low in enumerate(lows):
            started = clock()
            if reading is None:
                reading = asyncio.ensure_future(load_snapshots(low, low + chunk_debtors, coverage))
            snapshots = await reading
            reading = None
            result.seconds["read"] += clock() - started
            if pipelined and index + 1 < len(lows):
                nxt = lows[index + 1]
                reading = asyncio.ensure_future(load_snapshots(nxt, nxt + chunk_debtors, coverage))
            started = clock()
            reminders: list[Reminder] = []
            for snapshot in snapshots:
                result.debtors_seen += 1
                result.invoices_chased += snapshot.chased_count
                decision = decide(snapshot, today, now, policy, routed=record)
                if type(decision) is Skip:
                    result.skip_counts[decision.reason] += 1
                    if record:
                        result.skipped.append(decision)
                else:
                    reminders.append(decision)  # type: ignore[arg-type]
            del snapshots
            result.seconds["decide"] += clock() - started
            if not reminders:
                continue
            keys = [r.idempotency_key for r in reminders]
            if dry_run:
                known = await existing_keys(low, low + chunk_debtors)
                _account(run, reminders, keys, set(keys) - known)
                continue
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(
                _write_chunk(run, reminders, keys, low, low + chunk_debtors)
            )
            if not pipelined:
                await writing
                writing = None
        if writing is not None:
            await writing
            writing = None
        if run.overflow.count:
            await _queue_escalation_summary(run)
    finally:
        for task in (reading, writing):
            if task is not None and not task.done():
                task.cancel()
    return result
