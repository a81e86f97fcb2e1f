"""The demo's manual stage (issue 18): a cash payment recorded with /paid and a small write-off
with /writeoff, through the staff chat's own command code (bot/handlers/staff_manual.py: the demo
has no Telegram to type in), with what each leaves open.

Called by bot/demo.py after the registry stage, on the demo's clock.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from bot.formats import money
from bot.models import (
    CLOSED_STATUSES,
    AuditEvent,
    Debtor,
    Invoice,
    StaffMember,
    WriteOff,
)
from bot.runtime import Runtime

WRITEOFF_LIMIT_CENTS = 50_000  # 500,00 €: what the demo's controller may write off
SMALL_WRITEOFF = "12,50"


async def _open_invoices(debtor: Debtor) -> list[Invoice]:
    invoices = (
        await Invoice.filter(debtor=debtor)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("due_date", "id")
    )
    return [invoice for invoice in invoices if invoice.balance_cents > 0]


def _open_line(invoices: list[Invoice]) -> str:
    if not invoices:
        return "nothing open"
    parts = ", ".join(f"{i.number} {money(i.balance_cents, i.currency, 'en')}" for i in invoices)
    return f"open {money(sum(i.balance_cents for i in invoices), 'EUR', 'en')}: {parts}"


async def _debtor_with_two_open() -> Debtor | None:
    for debtor in await Debtor.all().order_by("external_ref"):
        if len(await _open_invoices(debtor)) >= 2:
            return debtor
    return None


async def show_manual(runtime: Runtime, staff_user_id: int, out: Callable[[str], None]) -> bool:
    """/paid (cash) then /writeoff as a staff member; False when the demo data has no debtor
    with two open invoices to show it on."""
    from bot.handlers.staff_manual import StaffManual

    out("")
    out("== 19. Staff record a cash payment with /paid, and write off a small remainder")
    debtor = await _debtor_with_two_open()
    member = await StaffMember.get_or_none(telegram_user_id=staff_user_id)
    if debtor is None or member is None:
        out("   no debtor with two open invoices, or no staff member")
        return False
    member.writeoff_limit_cents = WRITEOFF_LIMIT_CENTS
    await member.save(update_fields=["writeoff_limit_cents"])
    await AuditEvent.create(
        actor="cli:demo",
        action="staff.writeoff_limit",
        subject=f"staff:{member.id}",
        data={"writeoff_limit_cents": WRITEOFF_LIMIT_CENTS},
    )
    out(f"   $ python -m bot writeoff limit {staff_user_id} 500  (write-offs up to 500,00 €)")
    before = await _open_invoices(debtor)
    out(f"   {debtor.name} ({debtor.external_ref}) before: {_open_line(before)}")
    first = before[0]
    # Pays the oldest invoice less 12,50 €: the remainder is what staff then write off.
    cash = money(first.balance_cents - 1_250, first.currency, "it").replace("\xa0€", "")
    chat = StaffManual(runtime)
    typed = f"/paid {debtor.external_ref} {cash} contanti ritirati in sede"
    out(f"   {member.name} types: {typed}")
    answer = await chat.paid_text(member, typed.split()[1:], "demo-manual-paid")
    out(textwrap.indent(answer, "   | ", lambda _line: True))
    typed = f"/writeoff {first.number} {SMALL_WRITEOFF} arrotondamento concordato"
    out(f"   {member.name} types: {typed}")
    answer = await chat.writeoff_text(member, typed.split()[1:])
    out(textwrap.indent(answer, "   | ", lambda _line: True))
    after = await _open_invoices(debtor)
    out(f"   {debtor.name} after: {_open_line(after)}")
    written = sum(await WriteOff.filter(debtor=debtor).values_list("amount_cents", flat=True))
    out(
        f"   written off {money(written, 'EUR', 'en')}: kept apart from payments in every report "
        f"(python -m bot history {debtor.external_ref})"
    )
    return True
