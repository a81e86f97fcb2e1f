"""The demo's credit stage: a new invoice imported for a debtor with a credit limit takes them
over it, staff get the alert with the figures and the reasons, and `credit check` shows the card.

Called by bot/demo.py near the end, on the demo's fixed clock, through the real import, the
outbox and the sandboxed staff chat.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from bot.credit.alerts import credit_scope, load_limits
from bot.credit.card import load_credit_card, render_card
from bot.formats import money
from bot.models import Debtor
from bot.runtime import Runtime

DEMO_DEBTOR = "C002"  # Bianchi & Figli S.n.c., a limit of 10.000,00 € in examples/debtors.csv
OVER_BY_CENTS = 125_000  # how far past the limit the new invoice takes them


async def show_limits(
    runtime: Runtime, out: Callable[[str], None], show_sent: Callable[[], Any]
) -> None:
    from bot.importers import run_import
    from scheduler.dispatch import Dispatcher

    settings = runtime.settings
    out("")
    out("== 8. A new invoice takes a debtor over the credit limit; staff are alerted")
    debtor = await Debtor.get(external_ref=DEMO_DEBTOR)
    limit = debtor.credit_limit_cents or 0
    today = runtime.today()
    owed = (await load_limits(today)).total(debtor.id)
    amount = limit - owed + OVER_BY_CENTS
    out(
        f"   {debtor.name}: limit {money(limit, 'EUR', 'en')}, exposure "
        f"{money(owed, 'EUR', 'en')}; a new invoice of {money(amount, 'EUR', 'en')} is imported"
    )
    path = settings.var_dir / "demo-new-invoice.csv"
    path.write_text(
        "number,debtor_ref,issue_date,due_date,amount\n"
        f"F-2026-200,{DEMO_DEBTOR},{today.isoformat()},,{amount / 100:.2f}\n",
        encoding="utf-8",
    )
    report = await run_import(
        debtors=None,
        invoices=path,
        dry_run=False,
        default_language=settings.default_language,
        default_timezone=settings.timezone,
        payment_terms_days=runtime.policy.payment_terms_days,
        credit=credit_scope(settings, runtime.policy, runtime.now()),
    )
    out(textwrap.indent(report.render(), "   "))
    await Dispatcher(runtime).drain()
    show_sent()
    out(f"   $ python -m bot credit check {DEMO_DEBTOR}")
    card = await load_credit_card(today, debtor, zone=settings.zone, credit=runtime.policy.credit)
    out(textwrap.indent(render_card(card, "en"), "   | ", lambda _line: True))
