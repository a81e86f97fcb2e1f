"""FatturaPA import: ordinary, PA and private invoices, instalments, split payment, ritenuta,
several bodies, signed .p7m (DER and base64), zip archives, re-import, and every refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from bot.importers.fatturapa.xmlcheck import SCHEMA_FILE, parse_invoice
from bot.importers.report import Problem
from bot.models import ContactPoint, Debtor, DebtorAddress, Invoice, InvoiceDocument, InvoiceStatus
from tests.importers.fatturapa_helpers import DAY, TERMS, counts, run, write, zipped
from tests.support.fatturapa_xml import Body, Buyer, Payment, invoice_xml
from tests.support.p7m_signing import sign_p7m, verify_p7m_signature

PAY = Payment("1220.00", DAY + dt.timedelta(days=30))
ORDINARY = Body("FPR 12/2026", DAY, "1000.00", payments=(PAY,))
THREE = Body(
    "FPR 13/2026",
    DAY,
    "3000.00",
    payments=tuple(
        Payment("1220.00", DAY + dt.timedelta(days=30 * n), method="MP12", iban="")
        for n in (1, 2, 3)
    ),
)
SIGNED_AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


async def test_an_ordinary_b2b_invoice_makes_its_debtor_invoice_and_details(
    db: str, tmp_path: Path
) -> None:
    report = await run(write(tmp_path / "IT01879020517_00001.xml", invoice_xml([ORDINARY])))
    assert report.ok, report.render()
    debtor = await Debtor.get(external_ref="IT01234567890")
    assert (debtor.name, debtor.vat_number) == ("Rossi Costruzioni S.r.l.", "IT01234567890")
    [pec] = await ContactPoint.filter(debtor=debtor)
    assert (pec.address, pec.is_pec) == ("amministrazione@pec.rossicostruzioni.it", True)
    address = await DebtorAddress.get(debtor=debtor)
    assert (address.street, address.postcode, address.city, address.province) == (
        "Via Roma 10",
        "20121",
        "Milano",
        "MI",
    )
    invoice = await Invoice.get(number="FPR 12/2026")
    assert (invoice.issue_date, invoice.due_date) == (DAY, DAY + dt.timedelta(days=30))
    assert (invoice.amount_cents, invoice.currency, invoice.status) == (
        122_000,
        "EUR",
        InvoiceStatus.OPEN,
    )
    details = await InvoiceDocument.get(invoice=invoice)
    assert (details.document_type, details.payment_method, details.iban) == (
        "TD01",
        "MP05",
        "IT60X0542811101000000123456",
    )
    assert "invoices:       1 created" in report.render()


async def test_three_instalments_are_three_invoice_rows_with_their_own_due_dates(
    db: str, tmp_path: Path
) -> None:
    report = await run(write(tmp_path / "rate.xml", invoice_xml([THREE])))
    assert report.ok, report.render()
    rows = await Invoice.all().order_by("due_date")
    assert [row.number for row in rows] == [f"FPR 13/2026 ({n}/3)" for n in (1, 2, 3)]
    assert [row.due_date for row in rows] == [DAY + dt.timedelta(days=30 * n) for n in (1, 2, 3)]
    assert [row.amount_cents for row in rows] == [122_000] * 3
    details = await InvoiceDocument.all().order_by("instalment")
    assert [(d.instalment, d.instalments, d.payment_method) for d in details] == [
        (n, 3, "MP12") for n in (1, 2, 3)
    ]
    assert {d.document_number for d in details} == {"FPR 13/2026"}


async def test_split_payment_pa_invoice_collects_what_datipagamento_says(
    db: str, tmp_path: Path
) -> None:
    body = Body(
        "PA 3/2026", DAY, "1000.00", split_payment=True, payments=(Payment("1000.00", DAY),)
    )
    report = await run(write(tmp_path / "pa.xml", invoice_xml([body], pa=True)))
    assert report.ok, report.render()
    invoice = await Invoice.get(number="PA 3/2026")
    assert invoice.amount_cents == 100_000  # the VAT (220.00) goes to the State, not to us
    details = await InvoiceDocument.get(invoice=invoice)
    assert (details.split_payment, details.document_total_cents) == (True, 122_000)


async def test_withholding_without_datipagamento_falls_back_to_the_total_less_ritenuta(
    db: str, tmp_path: Path
) -> None:
    private = Buyer(
        vat="", tax_code="RSSMRA80A01F205X", name="", first_name="Mario", last_name="Rossi", pec=""
    )
    body = Body("P 7/2026", DAY, "1000.00", kind="TD06", withholding="200.00")
    report = await run(write(tmp_path / "parcella.xml", invoice_xml([body], private)))
    assert report.ok, report.render()
    debtor = await Debtor.get(external_ref="RSSMRA80A01F205X")
    assert (debtor.name, debtor.vat_number, debtor.tax_code) == (
        "Mario Rossi",
        "",
        "RSSMRA80A01F205X",
    )
    invoice = await Invoice.get(number="P 7/2026")
    assert invoice.amount_cents == 102_000  # 1,220.00 less 200.00 withheld
    assert invoice.due_date == DAY + dt.timedelta(days=TERMS)
    assert "P 7/2026 has no DatiPagamento" in report.render()
    assert f"due {TERMS} days after the invoice date" in report.render()


async def test_several_bodies_in_one_file_are_several_invoices(db: str, tmp_path: Path) -> None:
    second = Body("FPR 14/2026", DAY, "50.00", kind="TD24", payments=(Payment("61.00", DAY),))
    report = await run(write(tmp_path / "lotto.xml", invoice_xml([ORDINARY, second])))
    assert report.ok, report.render()
    assert sorted(await Invoice.all().values_list("number", flat=True)) == [
        "FPR 12/2026",
        "FPR 14/2026",
    ]


async def test_reimporting_the_same_files_changes_nothing(db: str, tmp_path: Path) -> None:
    files = [
        write(tmp_path / "a.xml", invoice_xml([ORDINARY])),
        write(tmp_path / "b.xml", invoice_xml([THREE], progressive="00002")),
    ]
    first = await run(*files)
    assert first.ok, first.render()
    before = await counts()
    again = await run(*files)
    assert again.ok
    assert again.invoices.created == again.invoices.updated == 0
    assert again.invoices.unchanged == 4
    assert again.debtors.created == again.debtors.updated == 0
    assert await counts() == before


async def test_an_invoice_matches_a_debtor_stored_under_its_csv_code_by_vat_number(
    db: str, tmp_path: Path
) -> None:
    await Debtor.create(
        external_ref="C001", name="Rossi Costruzioni S.r.l.", vat_number="01234567890"
    )
    report = await run(write(tmp_path / "a.xml", invoice_xml([ORDINARY])))
    assert report.ok, report.render()
    assert await Debtor.all().count() == 1
    invoice = await Invoice.get(number="FPR 12/2026").prefetch_related("debtor")
    assert invoice.debtor.external_ref == "C001"


@pytest.mark.parametrize("armour", [False, True], ids=["DER", "base64"])
async def test_a_signed_p7m_is_unwrapped(db: str, tmp_path: Path, armour: bool) -> None:
    xml = invoice_xml([ORDINARY])
    signed = sign_p7m(xml, signing_time=SIGNED_AT, base64_armour=armour)
    if not armour:
        assert verify_p7m_signature(signed)  # a real signature, not bytes that look like one
    report = await run(write(tmp_path / "IT01879020517_00001.xml.p7m", signed))
    assert report.ok, report.render()
    assert await Invoice.filter(number="FPR 12/2026").count() == 1


async def test_an_altered_p7m_is_refused(db: str, tmp_path: Path) -> None:
    signed = sign_p7m(invoice_xml([ORDINARY]), signing_time=SIGNED_AT)
    altered = signed.replace(b"1220.00", b"1120.00")
    report = await run(write(tmp_path / "x.xml.p7m", altered))
    assert [p.render() for p in report.problems] == [
        f"{tmp_path / 'x.xml.p7m'}: the invoice was changed after it was signed"
    ]
    assert await counts() == (0, 0, 0, 0)


async def test_a_zip_with_nested_folders_an_xml_and_a_p7m(db: str, tmp_path: Path) -> None:
    archive = zipped(
        {
            "2026/11/IT01879020517_00001.xml": invoice_xml([ORDINARY]),
            "2026/11/firmate/IT01879020517_00002.xml.p7m": sign_p7m(
                invoice_xml([THREE], progressive="00002"), signing_time=SIGNED_AT
            ),
            "__MACOSX/2026/._IT01879020517_00001.xml": b"\x00\x05\x16\x07",
        }
    )
    report = await run(write(tmp_path / "export.zip", archive))
    assert report.ok, report.render()
    assert report.files_read == 2
    assert await Invoice.all().count() == 4
    detail = await InvoiceDocument.get(instalment=2)
    assert detail.file_name.endswith("export.zip/2026/11/firmate/IT01879020517_00002.xml.p7m")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/evil.xml", "has a path that points outside the archive"),
        ("/etc/evil.xml", "has a path that points outside the archive"),
        ("C:\\evil.xml", "has a path that points outside the archive"),
    ],
)
async def test_path_tricks_in_a_zip_are_refused(
    db: str, tmp_path: Path, name: str, reason: str
) -> None:
    archive = zipped({"ok.xml": invoice_xml([ORDINARY]), name: invoice_xml([THREE])})
    report = await run(write(tmp_path / "trick.zip", archive))
    [problem] = report.problems
    assert reason in problem.reason and problem.file.endswith("trick.zip")
    assert await counts() == (0, 0, 0, 0)


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(db: str, tmp_path: Path) -> None:
    archive = zipped({"bomb.xml": b"\x20" * (40 * 1024 * 1024)})  # 40 MB of spaces, packs to ~40 KB
    report = await run(write(tmp_path / "bomb.zip", archive))
    [problem] = report.problems
    assert "(a zip bomb?)" in problem.reason
    assert await counts() == (0, 0, 0, 0)


HOSTILE = {
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">&lol3;</p:FatturaElettronica>""",
    "XXE": b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">&xxe;</p:FatturaElettronica>""",
    "external DTD": b"""<?xml version="1.0"?>
<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"/>""",
    "entity after a long prolog": b'<?xml version="1.0"?>\n<!--'
    + b"x" * 5000
    + b"""-->
<!DOCTYPE x [<!ENTITY e "boom">]><p:FatturaElettronica xmlns:p="urn:x">&e;
</p:FatturaElettronica>""",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_xml_is_refused_never_expanded(db: str, tmp_path: Path, kind: str) -> None:
    good = write(tmp_path / "good.xml", invoice_xml([ORDINARY]))
    bad = write(tmp_path / "hostile.xml", HOSTILE[kind])
    report = await run(good, bad)
    [problem] = report.problems
    assert problem.file == str(bad)
    assert "refused, not read" in problem.reason
    assert await counts() == (0, 0, 0, 0)  # the good file is not written either


async def test_an_invalid_file_is_named_with_its_element_path_and_line(
    db: str, tmp_path: Path
) -> None:
    xml = invoice_xml([ORDINARY]).replace(b"<TipoDocumento>TD01", b"<TipoDocumento>TD99")
    good = write(tmp_path / "good.xml", invoice_xml([THREE]))
    bad = write(tmp_path / "bad.xml", xml)
    report = await run(good, bad)
    [problem] = report.problems
    line = next(n for n, text in enumerate(xml.decode().splitlines(), 1) if "TD99" in text)
    assert (problem.file, problem.line) == (str(bad), line)
    assert problem.column == (
        "/FatturaElettronica/FatturaElettronicaBody/DatiGenerali/DatiGeneraliDocumento/TipoDocumento"
    )
    assert "TD99" in problem.reason and "not an element of the set" in problem.reason
    assert await counts() == (0, 0, 0, 0)


async def test_a_missing_required_element_and_broken_xml_are_reported(
    db: str, tmp_path: Path
) -> None:
    no_number = invoice_xml([ORDINARY]).replace(b"<Numero>FPR 12/2026</Numero>", b"")
    broken = invoice_xml([ORDINARY])[:-40]
    report = await run(write(tmp_path / "a.xml", no_number), write(tmp_path / "b.xml", broken))
    rendered = "\n".join(p.render() for p in sorted(report.problems))
    assert "a.xml:" in rendered and "Numero" in rendered and "DatiGeneraliDocumento" in rendered
    assert "b.xml:" in rendered and "not well-formed XML" in rendered
    assert "nothing was written" in report.render()


async def test_a_simplified_invoice_is_refused_with_the_reason(db: str, tmp_path: Path) -> None:
    fsm = b"""<?xml version="1.0" encoding="UTF-8"?>
<p:FatturaElettronicaSemplificata versione="FSM10"
 xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.0"/>"""
    report = await run(write(tmp_path / "semplificata.xml", fsm))
    [problem] = report.problems
    assert "simplified invoice (FSM10)" in problem.reason


async def test_the_same_number_in_two_files_is_a_problem(db: str, tmp_path: Path) -> None:
    first = write(tmp_path / "a.xml", invoice_xml([ORDINARY]))
    second = write(tmp_path / "b.xml", invoice_xml([ORDINARY], progressive="00009"))
    report = await run(first, second)
    [problem] = report.problems
    assert "is also in" in problem.reason


async def test_dry_run_writes_nothing(db: str, tmp_path: Path) -> None:
    report = await run(write(tmp_path / "a.xml", invoice_xml([ORDINARY])), dry_run=True)
    assert report.ok and report.invoices.created == 1
    assert "dry run" in report.render()
    assert await counts() == (0, 0, 0, 0)


def test_the_shipped_schema_is_the_official_one_byte_for_byte() -> None:
    import hashlib

    digests = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in SCHEMA_FILE.parent.glob("*.xsd")
    }
    assert digests == {
        "Schema_del_file_xml_FatturaPA_v1.2.2.xsd": (
            "27a0a6a9cf904b6dd035bd29d59faac4b67714dda91783a0a9f05033a6f49532"
        ),
        "xmldsig-core-schema.xsd": (
            "35cf8197da812c85e40d57891b35c94187569ed474a2dac813ce5090dafcd35c"
        ),
    }
    version = etree.parse(str(SCHEMA_FILE)).getroot().get("version")
    assert version == "1.2.2"


def test_every_test_file_is_valid_against_the_schema() -> None:
    problems: list[object] = []
    for bodies, pa in (([ORDINARY, THREE], False), ([ORDINARY], True)):
        assert parse_invoice("t.xml", invoice_xml(bodies, pa=pa), problems) is not None  # type: ignore[arg-type]
    assert problems == []


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_xml_in_utf16_is_refused_by_the_parser_itself(kind: str) -> None:
    """The byte check cannot see a UTF-16 DOCTYPE; the parsed document's DTD check does."""
    declaration = b'<?xml version="1.0" encoding="UTF-16"?>'
    text = HOSTILE[kind].replace(b'<?xml version="1.0"?>', declaration).decode()
    data = text.encode("utf-16")
    assert b"<!DOCTYPE" not in data
    problems: list[Problem] = []
    assert parse_invoice("hostile.xml", data, problems) is None
    assert [p.reason for p in problems] == ["a DOCTYPE declaration: refused, not read"]


METADATA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ns2:FileMetadati xmlns:ns2="http://www.fatturapa.gov.it/sdi/messaggi/v1.0" versione="1.0">
  <IdentificativoSdI>111222333</IdentificativoSdI>
  <NomeFile>IT01879020517_00001.xml</NomeFile>
</ns2:FileMetadati>"""


async def test_an_sdi_export_s_metadata_receipts_and_pdf_copies_are_skipped_and_said(
    db: str, tmp_path: Path
) -> None:
    archive = zipped(
        {
            "IT01879020517_00001.xml": invoice_xml([ORDINARY]),
            "IT01879020517_00001_MT_001.xml": METADATA,
            "IT01879020517_00001.pdf": b"%PDF-1.4 a printable copy",
        }
    )
    report = await run(write(tmp_path / "sdi.zip", archive))
    assert report.ok, report.render()
    assert await Invoice.all().count() == 1
    rendered = report.render()
    assert (
        "IT01879020517_00001_MT_001.xml: an SdI message (FileMetadati), not an invoice" in rendered
    )
    assert "IT01879020517_00001.pdf: not a .xml, .xml.p7m or .zip file: skipped" in rendered


async def test_a_file_given_by_name_that_is_not_an_invoice_is_a_problem(
    db: str, tmp_path: Path
) -> None:
    report = await run(write(tmp_path / "copy.pdf", b"%PDF-1.4"))
    assert [p.reason for p in report.problems] == ["not a .xml, .xml.p7m or .zip file"]
