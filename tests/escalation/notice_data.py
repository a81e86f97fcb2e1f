"""Shared set-up of the formal notice tests: a company with a letterhead and a bank account, a
debtor whose cycle has reached the final (formal) step of the example policy, and the figures the
notice must show, read back from `load_claim` (never written here)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from pypdf import PdfReader

from bot.config import Settings
from bot.models import Channel, Debtor, Invoice
from bot.runtime import Runtime
from tests.support.scheduler_data import (
    STAFF_CHAT,
    FrozenClock,
    ScriptedSender,
    add_contact,
    make_debtor,
    make_invoice,
    make_runtime,
    sent_reminders,
)

# Monday 23 November 2026, 10:00 in Rome: a working hour of a working day.
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)
IBAN = "IT60X0542811101000000123456"
LETTERHEAD = {
    "company_name": "Forniture Bianchi S.p.A.",
    "company_address": "Via Roma 1, 20121 Milano (MI)",
    "company_vat_number": "IT01234567890",
    "company_pec": "bianchi@pec.example.it",
    "company_phone": "+39 02 1234 5678",
    "bank_iban": IBAN,
    "bank_bic": "BPMOIT22",
}


def notice_runtime(
    settings: Settings, senders: dict[Channel, ScriptedSender] | None = None, **extra: object
) -> Runtime:
    return make_runtime(
        settings,
        FrozenClock(NOW),
        senders,  # type: ignore[arg-type]
        telegram_staff_chat_id=STAFF_CHAT,
        **{**LETTERHEAD, **extra},
    )


@dataclass
class Case:
    debtor: Debtor
    invoices: list[Invoice]


async def debtor_at_final_step(
    *,
    language: str = "it",
    pec: bool = True,
    email: bool = True,
    chats: tuple[Channel, ...] = (Channel.TELEGRAM, Channel.SMS),
    amounts: tuple[int, ...] = (123_456, 50_000),
) -> Case:
    """A business debtor 70 and 65 days late whose cycle had its three overdue reminders."""
    debtor = await make_debtor("Rossi Impianti S.r.l.", language=language, channels=chats)
    debtor.vat_number = "IT09876543210"
    await debtor.save()
    if email:
        await add_contact(debtor, Channel.EMAIL, priority=5)
    if pec:
        await add_contact(debtor, Channel.EMAIL, priority=6, is_pec=True)
    invoices = [
        await make_invoice(debtor, TODAY - dt.timedelta(days=70 - 5 * i), cents)
        for i, cents in enumerate(amounts)
    ]
    await sent_reminders(
        debtor, invoices[0], ["overdue_1", "overdue_2", "overdue_3"], NOW - dt.timedelta(days=8)
    )
    return Case(debtor, invoices)


def pdf_text(content: bytes) -> str:
    """The PDF's text as pypdf reads it back, spaces made plain."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return plain(text)


def plain(text: str) -> str:
    return re.sub(r"[ \u00a0\u202f]+", " ", text)
