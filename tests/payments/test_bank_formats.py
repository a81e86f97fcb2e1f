"""Reading the bank's own formats: camt.053 (.001.02 and .001.08), camt.054, CBI RH; told apart
by content; malformed and hostile files refused with where and why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.payments.bank_csv import BankFileError
from bot.payments.bank_formats import detect, read_statement
from tests.support.bank_files import Movement, cbi_file, record

DATA = Path(__file__).resolve().parents[1] / "data" / "bank"
DAY = dt.date(2026, 11, 23)
ACCOUNT = "IT60X0542811101000000123456"


def test_camt053_v02_credits_debits_reversals_and_pending_entries() -> None:
    parsed = read_statement((DATA / "camt053_v02.xml").read_bytes(), "v02.xml")
    assert parsed.format == "camt.053.001.02"
    assert [(c.amount_cents, c.currency) for c in parsed.credits] == [
        (1248000, "EUR"),
        (40000, "EUR"),
        (50000, "EUR"),
        (50000, "EUR"),
    ]
    rossi, bianchi, verdi, neri = parsed.credits
    assert rossi.description == "SOL-1-95 F-2026-101"
    assert (rossi.debtor_name, rossi.debtor_iban) == ("ROSSI SRL", "IT02A0306909606100000012345")
    assert rossi.end_to_end_id == "E2E-ROSSI-0001"
    assert rossi.bank_id == f"{ACCOUNT}:2026112300001:E2E-ROSSI-0001"
    assert rossi.booked_on == DAY and rossi.value_date == DAY
    # Structured creditor reference; no end-to-end id: the transaction's position stands in.
    assert bianchi.description == "SOL-2-92" and bianchi.end_to_end_id == ""
    assert bianchi.bank_id == f"{ACCOUNT}:2026112300002:tx1"
    # A batch entry: one line per transaction, each with its own amount and payer.
    assert (verdi.debtor_name, neri.debtor_name) == ("VERDI SPA", "NERI COSTRUZIONI SRL")
    assert verdi.value_date == dt.date(2026, 11, 24)
    assert "Ntry[3]" in verdi.where and "TxDtls[1]" in verdi.where
    assert parsed.debits == 1 and parsed.not_booked == 1
    assert [r.amount_cents for r in parsed.reversals] == [327540]
    assert parsed.reversals[0].description == "STORNO ADDEBITO SDD"


def test_camt053_v08_reads_pty_names_dttm_dates_and_sets_returned_items_apart() -> None:
    parsed = read_statement((DATA / "camt053_v08.xml").read_bytes(), "v08.xml")
    assert parsed.format == "camt.053.001.08"
    (credit,) = parsed.credits
    assert credit.amount_cents == 327540 and credit.debtor_name == "Rossi S.r.l."
    assert credit.description == "F-2026-118" and credit.end_to_end_id == "ROSSI-F118"
    assert credit.booked_on == DAY
    assert [r.end_to_end_id for r in parsed.returned] == ["RTN-0001"]
    assert parsed.debits == 0


def test_camt054_notification() -> None:
    parsed = read_statement((DATA / "camt054_v08.xml").read_bytes(), "ntf.xml")
    assert parsed.format == "camt.054.001.08"
    (credit,) = parsed.credits
    assert (credit.amount_cents, credit.debtor_iban) == (89000, "IT40S0542811101000000654321")
    assert credit.description == "Pagamento fattura F-2026-125"
    assert parsed.debits == 1


def test_cbi_rh_movements_with_their_63_records() -> None:
    raw = cbi_file(
        [
            Movement(
                DAY,
                1248000,
                bank_ref="CRO0001",
                text="BONIFICO A VOSTRO FAVORE",
                payer="ROSSI SRL",
                payer_iban="IT02A0306909606100000012345",
                end_to_end="E2E-ROSSI-0001",
                remittance="SOL-1-95 F-2026-101",
            ),
            Movement(DAY, 15000, sign="D", reason="26", text="COMMISSIONI"),
            Movement(DAY, 40000, reason="07", bank_ref="CRO0003", text="STORNO BONIFICO"),
        ],
        DAY,
    )
    assert detect(raw) == "cbi"
    parsed = read_statement(raw, "estratto.cbi")
    assert parsed.format == "cbi-rh"
    (credit,) = parsed.credits
    assert credit.amount_cents == 1248000 and credit.booked_on == DAY
    assert credit.debtor_name == "ROSSI SRL"
    assert credit.debtor_iban == "IT02A0306909606100000012345"
    assert credit.end_to_end_id == "E2E-ROSSI-0001"
    assert credit.description == "BONIFICO A VOSTRO FAVORE SOL-1-95 F-2026-101"
    assert credit.bank_id == f"{ACCOUNT}:2026-11-23:CRO0001:E2E-ROSSI-0001"
    assert parsed.debits == 1 and [r.amount_cents for r in parsed.reversals] == [40000]


def test_cbi_without_line_breaks_is_read_too() -> None:
    raw = cbi_file([Movement(DAY, 5000, bank_ref="X1", text="BONIFICO")], DAY)
    glued = raw.replace(b"\r\n", b"")
    assert [c.amount_cents for c in read_statement(glued).credits] == [5000]


def test_format_is_told_by_content_not_by_name() -> None:
    camt = (DATA / "camt054_v08.xml").read_bytes()
    assert detect(camt) == "camt"
    assert detect(b"Data contabile;Importo;Descrizione\n") == "csv"
    # Named .csv, read as camt all the same.
    assert read_statement(camt, "export.csv").format == "camt.054.001.08"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the file is empty"),
        (b"<Document><x></Document>", "line 1: not well-formed XML"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            "is not an ISO 20022 camt",
        ),
    ],
)
def test_unreadable_files_say_why(raw: bytes, expected: str) -> None:
    with pytest.raises(BankFileError, match=expected):
        read_statement(raw, "bad.xml")


def _v08_with(old: str, new: str) -> bytes:
    text = (DATA / "camt053_v08.xml").read_text()
    assert old in text
    return text.replace(old, new, 1).encode()


def test_a_bad_amount_names_its_line_and_element_path() -> None:
    raw = _v08_with(
        '<Amt Ccy="EUR">3275.40</Amt>\n        <CdtDbtInd>',
        '<Amt Ccy="EUR">3.275,40</Amt>\n        <CdtDbtInd>',
    )
    with pytest.raises(BankFileError) as caught:
        read_statement(raw, "v08.xml")
    message = str(caught.value)
    assert message.startswith("v08.xml: line 23, Document/BkToCstmrStmt/Stmt/Ntry[1]/Amt: amount")
    assert "'3.275,40' is not a number" in message


def test_a_missing_sign_and_a_bad_currency_are_named() -> None:
    with pytest.raises(BankFileError, match=r"Ntry\[2\]/CdtDbtInd: CdtDbtInd 'XXXX'"):
        read_statement(_v08_with("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>XXXX</CdtDbtInd>"))
    with pytest.raises(BankFileError, match=r"Ntry\[1\]/Amt: Ccy 'EURO'"):
        read_statement(_v08_with('Amt Ccy="EUR">3275', 'Amt Ccy="EURO">3275'))


def test_hostile_xml_is_refused_never_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )
    with pytest.raises(BankFileError, match="DOCTYPE is not allowed"):
        read_statement(laughs, "laughs.xml")
    external = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
    )
    with pytest.raises(BankFileError, match="DOCTYPE is not allowed"):
        read_statement(external, "xxe.xml")


def test_malformed_cbi_records_name_line_and_positions() -> None:
    good = cbi_file([Movement(DAY, 5000, bank_ref="X1", text="BONIFICO")], DAY).decode()
    lines = good.split("\r\n")
    short = "\r\n".join([lines[0], lines[1][:100], *lines[2:]]).encode()
    with pytest.raises(BankFileError, match="line 2: a record has 120 characters, this one 100"):
        read_statement(short, "rh.txt")
    bad_date = lines[2][:13] + "311326" + lines[2][19:]
    with pytest.raises(BankFileError, match=r"line 3, value date \(14-19\): '311326'"):
        read_statement("\r\n".join([*lines[:2], bad_date, *lines[3:]]).encode(), "rh.txt")
    bad_amount = lines[2][:26] + "00000000000ABCD" + lines[2][41:]
    with pytest.raises(BankFileError, match=r"line 3, amount \(27-41\)"):
        read_statement("\r\n".join([*lines[:2], bad_amount, *lines[3:]]).encode(), "rh.txt")
    truncated = "\r\n".join(lines[:3]).encode()
    with pytest.raises(BankFileError, match="must end with EF"):
        read_statement(truncated, "rh.txt")
    orphan = record("63", {4: "0000001", 11: "009", 14: "ZZ1 TESTO"})
    with pytest.raises(BankFileError, match="a 63 record must follow its 62 movement"):
        read_statement("\r\n".join([*lines[:3], orphan, *lines[3:]]).encode(), "rh.txt")
