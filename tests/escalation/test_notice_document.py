"""The notice's PDF and text against the data: every amount, date, the protocol and the invoice
numbers, in Italian and English; interest and the €40 lines whenever the claim has them (a claim
with them is built here as the interest module would return it)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.escalation.claim import Claim, ClaimLine
from bot.escalation.claims import load_claim
from bot.escalation.notice_document import claim_snapshot, document_context, render_pdf
from bot.formats import date, money
from bot.models import Debtor, FormalNotice, NoticeChannel
from tests.escalation.notice_data import (
    LETTERHEAD,
    TODAY,
    debtor_at_final_step,
    notice_runtime,
    pdf_text,
    plain,
)


def a_notice(debtor: Debtor, claim: Claim, language: str, deadline_days: int = 15) -> FormalNotice:
    return FormalNotice(
        id=1,
        debtor_id=debtor.id,
        protocol="2026/0042",
        year=2026,
        sequence=42,
        cycle_key="k",
        language=language,
        issued_on=TODAY,
        deadline=TODAY + dt.timedelta(days=deadline_days),
        claim=claim_snapshot(claim),
        total_cents=claim.total_cents,
        currency="EUR",
        address="rossi@pec.example.it",
        channel=NoticeChannel.PEC,
    )


def without_interest(claim: Claim) -> Claim:
    """The claim as a policy with `[interest] basis = "none"` and no €40 gives it."""
    lines = tuple(
        ClaimLine(
            line.invoice_id,
            line.number,
            line.due_date,
            line.currency,
            line.principal_cents,
            0,
            0,
        )
        for line in claim.lines
    )
    return Claim(claim.debtor_id, claim.as_of, claim.is_business, "none", lines)


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("interest", [False, True])
async def test_the_document_states_the_claim_exactly(settings, db, language, interest) -> None:
    runtime = notice_runtime(settings)
    case = await debtor_at_final_step(language=language)
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)  # statutory, with the €40
    assert claim.interest_cents > 0 and claim.compensation_cents > 0
    if not interest:
        claim = without_interest(claim)
    notice = a_notice(case.debtor, claim, language)
    pdf, text = render_pdf(notice, case.debtor, runtime.settings, pec=True)
    read = pdf_text(pdf)
    for shown in (plain(text), read):
        assert "2026/0042" in shown
        for value in LETTERHEAD.values():
            if not value.startswith("IT60"):
                assert value in shown
        assert date(TODAY, language) in shown
        assert date(notice.deadline, language) in shown
        assert ("15 giorni" if language == "it" else "15 days") in shown
        assert case.debtor.name in shown and case.debtor.vat_number in shown
        assert plain(money(claim.total_cents, "EUR", language)) in shown
        assert plain(money(claim.principal_cents, "EUR", language)) in shown
        for line in claim.lines:
            assert line.number in shown
            assert date(line.due_date, language, "short") in shown
            assert plain(money(line.principal_cents, "EUR", language)) in shown
            assert plain(money(line.total_cents, "EUR", language)) in shown
            assert plain(money(line.interest_cents, "EUR", language)) in shown
        assert "IT60 X054 2811 1010 0000 0123 456" in shown
        word = "Interessi di mora" if language == "it" else "Late-payment interest"
        fixed = "art. 6 D.Lgs. 231/2002" if language == "it" else "art. 6 Legislative Decree"
        assert (word in shown) is interest and (fixed in shown) is interest
        if interest:
            assert plain(money(claim.interest_cents, "EUR", language)) in shown
            assert plain(money(claim.compensation_cents, "EUR", language)) in shown
    if language == "it":
        assert "1.734,56 €" in read or interest  # 1.234,56 + 500,00, as an Italian reads it
        assert "costituisce formalmente in mora" in read and "art. 1219" in read
        assert "entro l'8 dicembre 2026" in read
    else:
        assert "formally puts you in default" in read and "by 8 December 2026" in read


async def test_the_pdf_is_a4_with_the_epc_qr_code(settings, db) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    runtime = notice_runtime(settings)
    case = await debtor_at_final_step()
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)
    pdf, _ = render_pdf(a_notice(case.debtor, claim, "it"), case.debtor, runtime.settings, pec=True)
    pages = PdfReader(BytesIO(pdf)).pages
    for page in pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert sum(len(page.images) for page in pages) == 1  # the EPC QR code, once


async def test_without_a_bank_account_the_document_says_to_call(settings, db) -> None:
    runtime = notice_runtime(settings, bank_iban="")
    case = await debtor_at_final_step()
    claim = await load_claim(case.debtor.id, TODAY, runtime.policy)
    notice = a_notice(case.debtor, claim, "it")
    context = document_context(notice, case.debtor, runtime.settings, pec=True)
    assert context["bank"] is None
    pdf, _ = render_pdf(notice, case.debtor, runtime.settings, pec=True)
    assert "contattarci al numero +39 02 1234 5678" in pdf_text(pdf)
