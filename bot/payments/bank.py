"""Bank transfer: the company's IBAN, the beneficiary, our payment reference, the EPC QR code.

The payment reference. `SOL-<debtor id>-<cc>` identifies the debtor: `cc` are two ISO 7064
MOD 97-10 check digits over the id (the scheme IBANs use), so a mistyped reference is caught, not
credited to someone else. The invoice numbers follow it: `SOL-42-69 F-2026-001 F-2026-002`.
The whole line is the SEPA remittance text (at most 140 characters; invoice numbers that do not
fit are left out, the debtor part always stays). `python -m bot payments import-bank` finds it
again in a bank line whatever the bank did to it: upper or lower case, spaces or line breaks
inside, dashes turned into spaces, other words around it (see `find_debtor_ids`).

The EPC QR code (EPC069-12, version 002, "SEPA credit transfer") lets a banking app fill in the
transfer by scanning: it is made with segno and goes out as a PNG image (Telegram, WhatsApp, the
pay page). It exists for euro amounts only, as the standard says.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import segno
from segno import helpers

from bot.channels.base import Attachment
from bot.config import Settings

PREFIX = "SOL"
REMITTANCE_MAX = 140  # EPC069-12: unstructured remittance information, at most 140 characters
_SEPARATORS = r"[\s\-_./:]"
_REFERENCE = re.compile(rf"{PREFIX}{_SEPARATORS}*((?:\d{_SEPARATORS}*){{3,}})", re.IGNORECASE)


def check_digits(debtor_id: int) -> str:
    """ISO 7064 MOD 97-10 check digits for a number, as in IBANs: always two digits."""
    return f"{98 - (debtor_id * 100) % 97:02d}"


def debtor_reference(debtor_id: int) -> str:
    """The short reference that identifies a debtor: SOL-42-69."""
    return f"{PREFIX}-{debtor_id}-{check_digits(debtor_id)}"


def payment_reference(debtor_id: int, invoice_numbers: Sequence[str]) -> str:
    """The remittance text: the debtor reference, then as many invoice numbers as fit."""
    text = debtor_reference(debtor_id)
    for number in invoice_numbers:
        if len(text) + 1 + len(number) > REMITTANCE_MAX:
            break
        text += " " + number
    return text


def find_debtor_ids(text: str) -> list[int]:
    """Debtor ids whose reference appears in a bank line's text, most explicit reading first.

    Readings, in order: dashes (or dots, slashes) kept and spaces dropped, since banks break long
    descriptions anywhere ("SOL-3\n89-95"); then spaces as separators, for banks that turn dashes
    into spaces ("sol 389 95"); then every split of the glued digits ("SOL38995"). A reading
    counts only when its check digits hold; the caller keeps the first that names a debtor.
    """
    found: list[int] = []

    def consider(groups: list[str]) -> None:
        if len(groups) >= 2 and groups[0].isdigit() and len(groups[1]) >= 2:
            debtor, check = groups[0], groups[1][:2]
            if check.isdigit() and check_digits(int(debtor)) == check:
                found.append(int(debtor))

    for match in _REFERENCE.finditer(text):
        run = match.group(1)
        consider([g for g in re.split(r"[\-_./:]+", re.sub(r"\s", "", run)) if g])
        consider([g for g in re.split(rf"{_SEPARATORS}+", run) if g])
        digits = re.sub(r"\D", "", run)
        for end in range(len(digits) - 2, 0, -1):
            consider([digits[:end], digits[end : end + 2]])
    return list(dict.fromkeys(found))


_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")


def squash(text: str) -> str:
    """Upper case letters and digits only: how invoice numbers are compared with bank text."""
    upper = text.upper()
    plain = upper.replace("-", "").replace("/", "").replace(" ", "").replace(".", "")
    if plain.isascii() and plain.isalnum():  # the usual invoice number: no regex needed
        return plain
    return _NOT_ALPHANUMERIC.sub("", upper)


@dataclass(frozen=True)
class BankTransfer:
    """Everything a debtor needs to pay by bank transfer."""

    iban: str
    bic: str
    beneficiary: str
    reference: str
    amount_cents: int
    currency: str

    @property
    def iban_display(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    @property
    def has_qr(self) -> bool:
        return self.currency.upper() == "EUR" and 1 <= self.amount_cents <= 99_999_999_999


def bank_transfer(
    settings: Settings,
    debtor_id: int,
    invoice_numbers: Sequence[str],
    amount_cents: int,
    currency: str = "EUR",
) -> BankTransfer | None:
    """The transfer details for an amount, or None when no company IBAN is configured."""
    if not settings.bank_iban:
        return None
    return BankTransfer(
        iban=settings.bank_iban,
        bic=settings.bank_bic.strip().upper(),
        beneficiary=(settings.bank_beneficiary or settings.company_name)[:70],
        reference=payment_reference(debtor_id, invoice_numbers),
        amount_cents=amount_cents,
        currency=currency.upper(),
    )


def epc_qr(transfer: BankTransfer) -> segno.QRCode:
    """The EPC069-12 QR code (raises ValueError for a non-euro or out-of-range amount)."""
    if not transfer.has_qr:
        raise ValueError("an EPC QR code needs a euro amount between 0.01 and 999999999.99")
    return helpers.make_epc_qr(
        name=transfer.beneficiary,
        iban=transfer.iban,
        amount=Decimal(transfer.amount_cents).scaleb(-2),
        text=transfer.reference,
        bic=transfer.bic or None,
    )


def epc_qr_png(transfer: BankTransfer, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    epc_qr(transfer).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def epc_qr_attachment(transfer: BankTransfer) -> Attachment:
    """The QR as an image to send on Telegram and WhatsApp (or attach to an e-mail)."""
    return Attachment(
        filename="bonifico-sepa-qr.png", content=epc_qr_png(transfer), mime_type="image/png"
    )


def epc_qr_data_uri(transfer: BankTransfer) -> str:
    """The QR for an <img src=...> on the pay page."""
    return "data:image/png;base64," + base64.b64encode(epc_qr_png(transfer)).decode("ascii")
