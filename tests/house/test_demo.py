"""The demo is the product's front door: it must run from a fresh state and show the whole loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_loop_from_a_fresh_database(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE"))}
    environment.update(PYTHONPATH=str(ROOT), VAR_DIR=str(tmp_path / "var"), LOG_LEVEL="WARNING")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "every channel in the sandbox" in out
    assert "invoices:       12 created" in out
    # Reminders went out, consolidated, with our durable pay links.
    assert "/pay/" in out and "Totale da pagare" in out and "Total to pay" in out
    # The debtor paid through the sandbox checkout; the case closed itself.
    assert "checkout: paid" in out
    assert "Grazie" in out and "Pagamento ricevuto" in out
    # A debtor negotiates a plan by SMS; staff approve it; the debtor gets the first link.
    assert "texts: '6 rate'" in out and "Richiesta di piano di rientro" in out
    assert "decision: approved by Giulia" in out
    assert "è stato approvato" in out and "(in plan)" in out
    # A new invoice takes a debtor over the credit limit; staff get the figures (demo_limits.py).
    plain = out.replace("\xa0", " ")
    assert "staff alerted, over the credit limit: Bianchi & Figli S.n.c. (C002)" in out
    assert "l'esposizione di 11.250,00 € supera il fido di 10.000,00 € di 1.250,00 €" in plain
    assert "Credit limit: €10,000.00, exceeded by €1,250.00" in plain
    # The morning's early warning names the customer paying later and later, with what to do.
    assert "early warning: 1 debtor(s) flagged" in out
    assert "Segnali di peggioramento" in out and "Edilizia Meridiana S.r.l. (C900)" in out
    assert "le ultime 3 fatture in media con 25 giorni di ritardo, di solito 5." in out
    assert "Azione consigliata: proporre un piano di rientro." in out
    # The Monday charts reach the (sandbox) staff chat as photos written under var/charts/.
    charts = tmp_path / "var" / "charts"
    for name in ("aging-2026-11-23.png", "cashflow-2026-11-23.png"):
        assert f"-- photo to staff chat: {charts / name}" in out
        assert (charts / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Anzianità dei crediti al 23 novembre 2026" in out
    assert "Incassi attesi nelle prossime 8 settimane" in out
    # The debtor asks for the statement in Telegram and gets it with the PDF; staff read /debtor.
    assert "in Telegram chat 777000123: 'estratto conto'" in out
    assert "Estratto conto di Bianchi & Figli S.n.c. al 23 novembre 2026" in out
    assert "attachment: estratto-conto-C002-2026-11-23.pdf (application/pdf)" in out
    assert "Staff type /debtor C002" in out and "💰 Esposizione:" in out
    assert "🕓 Cronologia (19 voci):" in out and "Giulia (credit control): plan.approved" in out
    # An overdue invoice shows its interest to date and the €40 (demo_interest.py).
    assert "== 13. Late-payment interest and the €40 on an overdue invoice" in out
    assert "(64 days late): principal €1,150.00, interest €20.47, compensation €40.00" in out
    assert "1 credit matched, 0 already imported, 1 unmatched, 1 debit ignored." in out
    assert "€7,420.00 from Ferrari Logistica S.p.A. → F-2026-144" in out
    assert "F-2026-144 is now paid" in out
    assert (
        "Estratto conto estratto-camt053.xml: 1 accredito non abbinato, in tutto 1.200,00" in plain
    )
    assert "Forse: Trattoria Da Gino di Esposito Luigi (C003)" in out
    assert "options: #2 1.200,00 € → Trattoria Da Gino di Esposito Luigi" in plain
    assert (tmp_path / "var" / "demo.sqlite3").exists()
    assert "Traceback" not in result.stderr
