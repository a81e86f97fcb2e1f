"""python -m bot demo: the product driven end to end on a fresh SQLite database, sandbox channels.

It runs on a fixed clock (Monday 23 November 2026, 10:00 in the company's time zone) so that the
example invoices in examples/ are due, overdue and not yet due the same way every time. Each stage
uses the real code paths: the importer, the cadence planner, the outbox dispatcher, the pay link,
the sandbox checkout, allocation, receipts and staff alerts, a plan negotiated in the chat and the
staff decision the Approve button runs. Only the senders are sandboxes: they record what they would
send, and the demo prints it. (Without a Telegram token there is no staff chat to press a button
in, so the demo calls the decision the button calls.)
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot import db
from bot.channels.base import OutgoingMessage
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.demo_bankfmt import show_bank_statement
from bot.demo_charts import show_charts
from bot.demo_fatturapa import show_fatturapa
from bot.demo_interest import show_interest
from bot.demo_limits import show_limits
from bot.demo_notice import show_notice
from bot.demo_warning import show_warning
from bot.formats import money
from bot.models import (
    CLOSED_STATUSES,
    Channel,
    ContactPoint,
    Debtor,
    Invoice,
    Message,
    PaymentPlan,
    PlanStatus,
    StaffMember,
    StaffRole,
)
from bot.policy import load_policy
from bot.runtime import Runtime

if TYPE_CHECKING:
    from scheduler.dispatch import Dispatcher

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_STAFF_CHAT_ID = -1001000000001  # stands for the staff group; the sandbox sends nothing
DEMO_STAFF_USER_ID = 100001


@dataclass
class DemoClock:
    """A clock the demo moves forward by hand."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def demo_start(settings: Settings) -> dt.datetime:
    local = dt.datetime(2026, 11, 23, 10, 0, tzinfo=settings.zone)
    return local.astimezone(dt.UTC)


# What the demo company shows debtors when the environment does not say: a bank account (so
# reminders and the pay page offer the transfer with its EPC QR code), the bot's name and a
# WhatsApp number (so they carry the chat links) and a phone. None of them turns a sandbox live.
DEMO_IBAN = "IT60X0542811101000000123456"  # the well-known example IBAN: it passes the check
DEMO_BIC = "BPMOIT22"
DEMO_BOT_USERNAME = "SollecitoDemoBot"
DEMO_WHATSAPP = "+390200000000"
DEMO_PHONE = "+39 02 0000 0000"


def demo_settings(settings: Settings) -> Settings:
    """The demo's own database and a stand-in staff chat; every channel is a sandbox."""
    var_dir = settings.var_dir
    return settings.model_copy(
        update={
            "database_url": f"sqlite://{var_dir}/demo.sqlite3",
            "telegram_staff_chat_id": settings.telegram_staff_chat_id or DEMO_STAFF_CHAT_ID,
            "public_base_url": "",
            "bank_iban": settings.bank_iban or DEMO_IBAN,
            "bank_bic": settings.bank_bic or (DEMO_BIC if not settings.bank_iban else ""),
            "telegram_bot_username": settings.telegram_bot_username or DEMO_BOT_USERNAME,
            "twilio_whatsapp_from": settings.twilio_whatsapp_from or DEMO_WHATSAPP,
            "company_phone": settings.company_phone or DEMO_PHONE,
        }
    )


def euros(cents: int) -> str:
    return money(cents, "EUR", "en")


def heading(title: str, out: Callable[[str], None]) -> None:
    out("")
    out(f"== {title}")


def show_sent(
    senders: dict[Channel, SandboxSender], seen: dict[Channel, int], out: Callable[[str], None]
) -> list[OutgoingMessage]:
    """Print what the sandboxes recorded since the last call."""
    fresh: list[OutgoingMessage] = []
    for channel, sender in senders.items():
        fresh.extend(sender.since(seen.get(channel, 0)))
        seen[channel] = sender.count
    for message in fresh:
        who = "staff chat" if message.address == str(DEMO_STAFF_CHAT_ID) else message.address
        out(
            f"-- {message.channel.value} to {who}"
            + (f" ({message.subject})" if message.subject else "")
        )
        out(textwrap.indent(message.text, "   | ", lambda _line: True))
        if message.options:
            out("   options: " + " / ".join(option.label for option in message.options))
        for attachment in message.attachments:
            out(f"   attachment: {attachment.filename} ({attachment.mime_type})")
    if not fresh:
        out("   (nothing sent)")
    return fresh


@dataclass
class _Demo:
    """What the acts of the demo share: the runtime, the sandboxes and what of them was shown."""

    runtime: Runtime
    senders: dict[Channel, SandboxSender]
    clock: DemoClock
    out: Callable[[str], None]
    seen: dict[Channel, int] = field(default_factory=dict)

    def show_sent(self) -> list[OutgoingMessage]:
        return show_sent(self.senders, self.seen, self.out)


async def run_demo(settings: Settings, out: Callable[[str], None] = print) -> int:
    settings = demo_settings(settings)
    database = Path(settings.database_url.removeprefix("sqlite://"))
    database.unlink(missing_ok=True)
    await db.migrate(settings.database_url)
    await db.close()
    await db.connect(settings.database_url)

    clock = DemoClock(demo_start(settings))
    senders = {channel: SandboxSender(channel) for channel in Channel}
    runtime = Runtime(
        settings=settings,
        policy=load_policy(settings.policy_file),
        senders=dict(senders),
        now=clock,
    )
    try:
        local = clock.now.astimezone(settings.zone)
        out(f"Sollecito demo: {database} (fresh), every channel in the sandbox")
        out(f"demo clock: {local:%A %d %B %Y, %H:%M} ({settings.timezone})")
        return await _acts(_Demo(runtime, senders, clock, out), database)
    finally:
        await runtime.close()
        await db.close()


async def _acts(demo: _Demo, database: Path) -> int:
    from scheduler.dispatch import Dispatcher

    out = demo.out
    if not await _import_and_plan(demo):
        return 1

    heading("3. The worker sends them (quiet hours, caps and fallbacks apply)", out)
    dispatcher = Dispatcher(demo.runtime)
    await dispatcher.drain()
    reminders = demo.show_sent()

    heading("4. A debtor taps Pay; the sandbox checkout completes", out)
    if not await _pay(demo, reminders):
        return 1

    heading("5. The debtor is thanked and staff are told", out)
    await dispatcher.drain()
    demo.show_sent()

    heading("6. Another debtor negotiates an instalment plan by SMS", out)
    negotiation = await _negotiate_plan(
        demo.runtime, demo.senders, demo.seen, reminders, demo.clock, out
    )
    if negotiation is None:
        return 1
    plan, debtor_name = negotiation

    heading("7. Staff get the card in the staff chat and press Approve", out)
    await dispatcher.drain()
    demo.show_sent()
    await _approve(demo, plan, debtor_name)
    await dispatcher.drain()
    demo.show_sent()

    if not await _later_stages(demo, dispatcher):
        return 1

    heading("Where things stand", out)
    for row in await Debtor.all().order_by("external_ref"):
        owed, notes = await _standing(row)
        out(f"   {row.external_ref} {row.name:<36} owes {euros(owed):>12}{notes}")
    sent = await Message.filter(direction="out").count()
    out(f"   {sent} outbound message(s) in the log; database: {database}")
    return 0


async def _later_stages(demo: _Demo, dispatcher: Dispatcher) -> bool:
    """Stages 8-20: credit control (issue 16), then escalation (issue 17) and money data (18),
    each in its own bot/demo_<slice>.py."""
    from bot.demo_manual import show_manual
    from bot.demo_pec import show_pec
    from bot.demo_refund import show_refund
    from bot.demo_registry import show_registry

    out = demo.out
    await show_limits(demo.runtime, out, demo.show_sent)
    await show_warning(demo.runtime, demo.show_sent, out)
    await show_charts(demo.runtime, demo.senders, out)
    if not await show_registry(demo.runtime, demo.show_sent, out):
        return False
    # Escalation (issue 17): interest and the €40, the formal notice approved and sent by PEC,
    # its receipts read back, the hand-off; then money data (issue 18).
    if not await show_interest(demo.runtime, out):  # bot/demo_interest.py
        return False
    if not await show_notice(demo.runtime, demo.show_sent, out):  # bot/demo_notice.py
        return False
    if not await show_pec(demo.runtime, demo.show_sent, out):  # bot/demo_pec.py
        return False
    if not await show_fatturapa(demo.runtime, out):  # bot/demo_fatturapa.py
        return False
    await show_bank_statement(demo.runtime, out, demo.show_sent)  # bot/demo_bankfmt.py
    if not await show_manual(demo.runtime, DEMO_STAFF_USER_ID, out):  # bot/demo_manual.py
        return False
    await dispatcher.drain()  # the receipt and the staff alert of the cash payment
    demo.show_sent()
    return await show_refund(demo.runtime, demo.show_sent, out)  # bot/demo_refund.py


async def _import_and_plan(demo: _Demo) -> bool:
    from bot.importers import run_import
    from bot.staff import register_staff
    from scheduler import cadence
    from scheduler.preview import build_preview, render_preview

    runtime, out = demo.runtime, demo.out
    settings = runtime.settings
    heading("1. Import the example debtors and invoices", out)
    report = await run_import(
        debtors=EXAMPLES / "debtors.csv",
        invoices=EXAMPLES / "invoices.csv",
        dry_run=False,
        default_language=settings.default_language,
        default_timezone=settings.timezone,
        payment_terms_days=runtime.policy.payment_terms_days,
    )
    out(report.render())
    if not report.ok:
        return False
    await register_staff(
        DEMO_STAFF_USER_ID,
        "Giulia (credit control)",
        StaffRole.CONTROLLER,
        500_000,
        actor="demo",
    )

    heading("2. Preview and plan today's cadence: one consolidated reminder per debtor", out)
    out(textwrap.indent(render_preview(await build_preview(runtime), runtime), "   "))
    result = await cadence.plan(runtime)
    skipped = sum(result.skip_counts.values())
    out(f"   planned: {result.queued_count} reminder(s) queued, {skipped} debtor(s) skipped")
    return True


async def _pay(demo: _Demo, reminders: list[OutgoingMessage]) -> bool:
    from bot.payments.checkout import pay_link_in_sandbox

    out = demo.out
    payer = await _first_payer(reminders)
    if payer is None:
        out("   no reminder carried a pay link")
        return False
    debtor, url = payer
    before, _ = await _standing(debtor)
    out(f"   {debtor.name} opens {url}")
    demo.clock.advance(minutes=20)
    outcome = await pay_link_in_sandbox(demo.runtime.settings, demo.clock(), url)
    after, _ = await _standing(debtor)
    out(f"   checkout: {outcome}; open balance {euros(before)} -> {euros(after)}")
    return True


async def _approve(demo: _Demo, plan: PaymentPlan, debtor_name: str) -> None:
    from bot.decisions.plans import activate_plan

    staff = await StaffMember.get(telegram_user_id=DEMO_STAFF_USER_ID)
    demo.out(f"   {staff.name} presses Approve on plan {plan.id} ({debtor_name})")
    decision = await activate_plan(demo.runtime, plan, staff)
    demo.out(f"   decision: {decision.verdict.value} by {decision.by}")


async def _negotiate_plan(
    runtime: Runtime,
    senders: dict[Channel, SandboxSender],
    seen: dict[Channel, int],
    reminders: list[OutgoingMessage],
    clock: DemoClock,
    out: Callable[[str], None],
) -> tuple[PaymentPlan, str] | None:
    """A debtor with a large balance answers the SMS reminder by typing, as on a phone."""
    from bot.inbound import InboundEvent
    from bot.receive import receive

    sms = next(
        (m for m in reminders if m.channel is Channel.SMS and _has_option(m, "instalments")),
        None,
    )
    if sms is None:
        out("   no SMS reminder offered instalments")
        return None
    last: OutgoingMessage = sms
    for turn, wanted in enumerate(("instalments", "plan_6", "yes"), start=1):
        label = next(option.label for option in last.options if option.key == wanted)
        clock.advance(minutes=2)
        out(f"   the debtor at {sms.address} texts: {label!r}")
        await receive(
            runtime,
            InboundEvent(
                channel=Channel.SMS,
                address=sms.address,
                provider_event_id=f"demo-sms-{turn}",
                text=label,
                received_at=clock(),
            ),
        )
        answers = show_sent(senders, seen, out)
        if not answers:
            return None
        last = answers[-1]
    point = await ContactPoint.get(channel=Channel.SMS, address=sms.address).prefetch_related(
        "debtor"
    )
    debtor = point.debtor
    plan = await PaymentPlan.filter(debtor=debtor, status=PlanStatus.PENDING_APPROVAL).first()
    if plan is None:
        out("   no plan is waiting for staff")
        return None
    out(
        f"   plan {plan.id}: {plan.instalment_count} instalments, {euros(plan.total_cents)}, "
        "above the auto-approve limit: it waits for staff"
    )
    return plan, debtor.name


def _has_option(message: OutgoingMessage, key: str) -> bool:
    return any(option.key == key for option in message.options)


async def _first_payer(reminders: list[OutgoingMessage]) -> tuple[Debtor, str] | None:
    """The first reminder whose text carries one of our pay links, and its debtor."""
    for message in reminders:
        if message.message_id is None or "/pay/" not in message.text:
            continue
        row = await Message.get(id=message.message_id).prefetch_related("debtor")
        if row.debtor is None:
            continue
        url = next(word for word in message.text.split() if "/pay/" in word)
        return row.debtor, url.rstrip(".,;)")
    return None


async def _standing(debtor: Debtor) -> tuple[int, str]:
    """What the debtor still owes, and which of it is in a plan or disputed."""
    invoices = await Invoice.filter(debtor=debtor).exclude(status__in=CLOSED_STATUSES)
    owed = sum(invoice.balance_cents for invoice in invoices)
    kinds = sorted({invoice.status.value for invoice in invoices} - {"open", "partially_paid"})
    return owed, (f" ({', '.join(kinds).replace('_', ' ')})" if kinds else "")
