"""Bank transfer details: our payment reference and the EPC069-12 QR code."""

from __future__ import annotations

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, Settings, load_settings
from bot.payments.bank import (
    REMITTANCE_MAX,
    BankTransfer,
    bank_transfer,
    check_digits,
    debtor_reference,
    epc_qr,
    epc_qr_attachment,
    epc_qr_data_uri,
    epc_qr_png,
    find_debtor_ids,
    payment_reference,
)
from bot.payments.links import make_pay_link
from bot.texts import render
from tests.support.payment_data import make_debtor, make_invoice, make_runtime, pay_client, token_of

IBAN = "IT60X0542811101000000123456"


def _transfer(**changes: object) -> BankTransfer:
    values: dict[str, object] = {
        "iban": IBAN,
        "bic": "BPMOIT22XXX",
        "beneficiary": "Sollecito Demo S.r.l.",
        "reference": "SOL-42-69 F-2026-001",
        "amount_cents": 123456,
        "currency": "EUR",
    }
    values.update(changes)
    return BankTransfer(**values)  # type: ignore[arg-type]


def test_reference_has_iso_7064_check_digits() -> None:
    assert debtor_reference(1) == "SOL-1-95"
    assert debtor_reference(42) == f"SOL-42-{check_digits(42)}"
    # The same check as an IBAN's: the number followed by its check digits is 1 mod 97.
    for debtor_id in (1, 42, 999, 123456):
        assert int(f"{debtor_id}{check_digits(debtor_id)}") % 97 == 1


def test_reference_lists_invoices_within_the_sepa_limit() -> None:
    assert payment_reference(42, ["F-1", "F-2"]) == f"{debtor_reference(42)} F-1 F-2"
    many = payment_reference(42, [f"F-2026-{n:04d}" for n in range(40)])
    assert len(many) <= REMITTANCE_MAX and many.startswith(debtor_reference(42))


@given(st.integers(min_value=1, max_value=10**9))
def test_a_reference_is_found_however_the_bank_writes_it(debtor_id: int) -> None:
    ref = debtor_reference(debtor_id)
    digits = ref.removeprefix("SOL-")
    variants = [
        ref,
        ref.lower(),
        f"BONIFICO DA CLIENTE CAUSALE {ref} SALDO FATTURE",
        ref.replace("-", " "),
        ref.replace("-", ""),
        f"sol {digits.replace('-', ' / ')} acconto",
        # A line break the bank put in the middle of the reference.
        ref[:5] + "\n" + ref[5:],
    ]
    for text in variants:
        assert debtor_id in find_debtor_ids(text), text


def test_a_mistyped_reference_is_not_credited_to_someone_else() -> None:
    good = debtor_reference(42)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert 42 not in find_debtor_ids(wrong)
    assert find_debtor_ids("BONIFICO SOLE MIO 12") == []


def test_epc_qr_payload_follows_epc069_12() -> None:
    transfer = _transfer()
    # EPC069-12 version 002, one field per line: service tag, version, character set
    # (2 = ISO 8859-1), identification, BIC, beneficiary name, IBAN, amount "EUR" + value with
    # a dot, purpose (empty), structured reference (empty), unstructured remittance text.
    expected = "\n".join(
        [
            "BCD",
            "002",
            "2",
            "SCT",
            "BPMOIT22XXX",
            "Sollecito Demo S.r.l.",
            IBAN,
            "EUR1234.56",
            "",
            "",
            "SOL-42-69 F-2026-001",
        ]
    ).encode("iso-8859-1")
    # A QR symbol is a deterministic function of its payload and parameters (EPC: level M,
    # byte mode): the same matrix means the code decodes to exactly this payload.
    reference_qr = segno.make_qr(expected, error="m", boost_error=False)
    qr = epc_qr(transfer)
    assert qr.error == "M" and qr.version <= 13
    assert qr.matrix == reference_qr.matrix


def test_epc_qr_amount_without_trailing_zeros_and_without_bic() -> None:
    qr = epc_qr(_transfer(amount_cents=5000, bic=""))
    expected = (
        "BCD\n002\n2\nSCT\n\nSollecito Demo S.r.l.\n" + IBAN + "\nEUR50\n\n\nSOL-42-69 F-2026-001"
    )
    reference_qr = segno.make_qr(expected.encode("iso-8859-1"), error="m", boost_error=False)
    assert qr.matrix == reference_qr.matrix


def test_epc_qr_is_a_png_attachment_and_a_data_uri() -> None:
    transfer = _transfer()
    png = epc_qr_png(transfer)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    attachment = epc_qr_attachment(transfer)
    assert attachment.mime_type == "image/png" and attachment.content == png
    assert epc_qr_data_uri(transfer).startswith("data:image/png;base64,iVBOR")
    assert not _transfer(currency="CHF").has_qr


def test_bank_transfer_needs_an_iban_and_renders_in_both_languages(settings: Settings) -> None:
    assert bank_transfer(settings, 42, ["F-1"], 1000) is None
    configured = settings.model_copy(update={"bank_iban": IBAN, "bank_bic": "bpmoit22xxx"})
    transfer = bank_transfer(configured, 42, ["F-1"], 1000)
    assert transfer is not None and transfer.beneficiary == settings.company_name
    assert transfer.iban_display == "IT60 X054 2811 1010 0000 0123 456"
    assert transfer.bic == "BPMOIT22XXX"
    it = render("payments/bank_transfer.txt", "it", transfer=transfer)
    en = render("payments/bank_transfer.txt", "en", transfer=transfer)
    assert "causale: SOL-42-" in it and "10,00" in it
    assert "reference: SOL-42-" in en and "€10.00" in en


async def test_pay_page_shows_iban_reference_and_qr(db: str, settings: Settings) -> None:
    configured = settings.model_copy(update={"bank_iban": IBAN, "bank_beneficiary": "Demo SRL"})
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-001", 42000)
    url = await make_pay_link(configured, debtor, "balance", invoice_ids=[invoice.id])
    async with pay_client(make_runtime(configured)) as client:
        page = (await client.get(f"/pay/{token_of(url)}")).text
    assert "IT60 X054 2811 1010 0000 0123 456" in page and "Demo SRL" in page
    assert f"{debtor_reference(debtor.id)} F-2026-001" in page
    assert 'src="data:image/png;base64,' in page


def test_bank_settings_are_checked_at_start_up() -> None:
    good = load_settings(_env_file=None, bank_iban="it60 x054 2811 1010 0000 0123 456")
    assert good.bank_iban == IBAN
    assert load_settings(_env_file=None, bank_bic="bpmoit22xxx").bank_bic == "BPMOIT22XXX"
    with pytest.raises(ConfigError, match="BANK_IBAN"):
        load_settings(_env_file=None, bank_iban="IT60X0542811101000000123457")
    with pytest.raises(ConfigError, match="BANK_BIC"):
        load_settings(_env_file=None, bank_bic="ABCD")
