"""The preview: what the cadence would send on a day, to whom, on which channel, and who is
skipped and why. Reads only; `python -m bot preview [--date YYYY-MM-DD]` prints it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.formats import money
from bot.models import ContactPoint, Debtor, Direction, Message, MessageStatus
from bot.runtime import Runtime
from scheduler.cadence import PlanResult, plan
from scheduler.calendar import holiday_name, is_business_day, next_allowed_moment
from scheduler.coverage import SkipReason
from scheduler.proactive import consent_reason, skipped_for_consent
from scheduler.reminder_rows import Reminder

WHY = {
    SkipReason.PAUSED: "paused by staff",
    SkipReason.NO_CONTACT: "no contact point",
    SkipReason.OPTED_OUT: "opted out on every channel",
    SkipReason.UNREACHABLE: "no reachable contact point (opted out or unreachable)",
    SkipReason.NO_CHANNEL_FOR_STEP: "no reachable contact point on the step's channels",
    SkipReason.IN_PLAN: "every open invoice is in an active payment plan or one waiting for staff",
    SkipReason.PLAN_PENDING: "in a payment plan waiting for staff approval",
    SkipReason.DISPUTED: "every open invoice is under dispute",
    SkipReason.PROMISED: "covered by a pending promise to pay",
    SkipReason.COVERED: "every open invoice is in a plan, disputed or promised",
    SkipReason.NOT_DUE_YET: "no step due yet",
    SkipReason.STEP_GAP: "the previous reminder went out too recently (min_days_between_steps)",
    SkipReason.FINISHED: "every step of this cycle was sent",
    SkipReason.ALREADY_QUEUED: "this step was already queued",
    SkipReason.SETTLED: "settled meanwhile",
}


@dataclass(frozen=True)
class Preview:
    day: dt.date
    result: PlanResult
    already_queued: list[Message]
    names: dict[int, str]
    # Contact points the outbox skips for lack of a recorded opt-in, of the debtors planned.
    no_consent: list[ContactPoint] = field(default_factory=list)


def preview_moment(day: dt.date | None, runtime: Runtime) -> dt.datetime:
    """The instant the preview plans at: now for today, else 09:00 company time on `day`."""
    now = runtime.now()
    zone = runtime.settings.zone
    if day is None or day == now.astimezone(zone).date():
        return now
    return dt.datetime.combine(day, dt.time(9, 0), zone).astimezone(dt.UTC)


async def build_preview(runtime: Runtime, day: dt.date | None = None) -> Preview:
    moment = preview_moment(day, runtime)
    result = await plan(runtime, now=moment, dry_run=True, record=True)
    zone = runtime.settings.zone
    start = dt.datetime.combine(result.today, dt.time(), zone)
    end = start + dt.timedelta(days=1)
    queued = await Message.filter(
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        scheduled_at__lt=end,
    ).order_by("scheduled_at", "id")
    ids = {m.debtor_id for m in queued if m.debtor_id}  # type: ignore[attr-defined]
    names = dict(await Debtor.filter(id__in=ids).values_list("id", "name")) if ids else {}
    planned = {r.debtor_id for r in result.queued} | {s.debtor_id for s in result.skipped}
    no_consent = await skipped_for_consent(sorted(planned), runtime.policy)
    names.update(await _names({p.debtor_id for p in no_consent} - set(names)))  # type: ignore[attr-defined]
    return Preview(result.today, result, queued, names, no_consent)


async def _names(ids: set[int]) -> dict[int, str]:
    return dict(await Debtor.filter(id__in=ids).values_list("id", "name")) if ids else {}


def _reminder_line(
    reminder: Reminder, runtime: Runtime, moment: dt.datetime, skipped: set[int]
) -> str:
    route = [c for c in reminder.route if c.id not in skipped]
    if not route:
        why = "; ".join(sorted({consent_reason(c.channel) for c in reminder.route}))
        who = f"{reminder.debtor_name} (#{reminder.debtor_id})"
        return f"  {who}  {reminder.step.name}  not sent: {why}"
    if reminder.step.formal:  # a notice for staff to approve, never a message (docs/notice.md)
        owed = " + ".join(money(c, cur, "en") for cur, c in reminder.totals.items())
        return (
            f"  {reminder.debtor_name} (#{reminder.debtor_id})  {reminder.step.name}"
            f"  formal notice: a PDF for staff to approve, then by PEC or e-mail; {owed}"
        )
    first = route[0]
    at = next_allowed_moment(moment, reminder.timezone, runtime.policy)
    local = at.astimezone(runtime.settings.zone)
    totals = " + ".join(money(c, cur, "en") for cur, c in reminder.totals.items())
    fallbacks = ", ".join(c.channel.value for c in route[1:])
    extra = f" (then {fallbacks})" if fallbacks else ""
    flags = " [staff alert]" if reminder.step.escalate else ""
    return (
        f"  {local:%H:%M}  {reminder.debtor_name} (#{reminder.debtor_id})  {reminder.step.name}"
        f"  {first.channel.value} {first.address}{extra}  "
        f"{reminder.invoice_count} invoice(s), {totals}{flags}"
    )


def render_preview(preview: Preview, runtime: Runtime) -> str:
    result = preview.result
    day = preview.day
    lines = [f"Preview for {day:%A %d %B %Y} (company time zone {runtime.settings.timezone})"]
    if not is_business_day(day, runtime.policy):
        why = holiday_name(day, runtime.policy) or "weekend"
        lines.append(f"Not a business day ({why}): the clock plans nothing today.")
    lines.append("")
    skipped_ids = {point.id for point in preview.no_consent}
    lines.append(f"New reminders the cadence would queue: {len(result.queued)}")
    for reminder in sorted(result.queued, key=lambda r: (r.debtor_name, r.debtor_id)):
        lines.append(_reminder_line(reminder, runtime, result.planned_at, skipped_ids))
    lines.append("")
    lines.append(f"Already in the outbox for this day: {len(preview.already_queued)}")
    for message in preview.already_queued:
        who = (
            "staff chat"
            if message.audience == "staff"
            else f"{preview.names.get(message.debtor_id, '?')} (#{message.debtor_id})"  # type: ignore[attr-defined]
        )
        channel = message.channel.value if message.channel else "channel chosen at sending"
        when = (
            message.scheduled_at.astimezone(runtime.settings.zone) if message.scheduled_at else None
        )
        at = f"{when:%d/%m %H:%M}" if when else "--"
        lines.append(f"  {at}  {who}  {message.template}  {channel}")
    skipped = [s for s in result.skipped if s.reason is not SkipReason.ALREADY_QUEUED]
    lines.append("")
    lines.append(f"Debtors skipped: {len(skipped)}")
    for skip in sorted(skipped, key=lambda s: (s.reason.value, s.debtor_name)):
        detail = f" ({skip.detail})" if skip.detail else ""
        lines.append(f"  {skip.debtor_name} (#{skip.debtor_id}): {WHY[skip.reason]}{detail}")
    lines.extend(_consent_lines(preview))
    lines.append("")
    lines.append("Nothing was written.")
    return "\n".join(lines)


def _consent_lines(preview: Preview) -> list[str]:
    """Contact points skipped for lack of a recorded opt-in, and why."""
    if not preview.no_consent:
        return []
    lines = ["", f"Contact points skipped: {len(preview.no_consent)}"]
    for point in preview.no_consent:
        debtor_id = point.debtor_id  # type: ignore[attr-defined]
        who = f"{preview.names.get(debtor_id, '?')} (#{debtor_id})"
        lines.append(f"  {who}: {consent_reason(point.channel)} ({point.address})")
    return lines
