"""CSV import: round trip, idempotency, every kind of bad row, encodings, separators, dry run."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.importers import ImportReport, run_import
from bot.models import (
    Channel,
    ContactPoint,
    Debtor,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

DEBTORS_HEADER = "external_ref,name,language,email,pec,phone,whatsapp,credit_limit"
DEBTOR_ROSSI = "C1,Rossi S.r.l.,it,Info@Rossi.example,,333 101 2034,,5000.00"
DEBTOR_SMITH = "C2,Smith Ltd,en,,,,+44 7911 123456,"
INVOICES_HEADER = "number,debtor_ref,issue_date,due_date,amount,paid_amount,currency"
INVOICE_1 = "F-1,C1,2026-10-01,2026-10-31,1234.56,,EUR"
INVOICE_2 = "F-2,C1,01/11/2026,30/11/2026,99.90,10.00,"
INVOICE_3 = "F-3,C2,2026-10-15,2026-11-14,2500,,GBP"


def write(path: Path, *lines: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = "\r\n".join(lines).encode(encoding) + b"\r\n"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


async def run(
    debtors: Path | None = None, invoices: Path | None = None, *, dry_run: bool = False
) -> ImportReport:
    return await run_import(
        debtors=debtors,
        invoices=invoices,
        dry_run=dry_run,
        default_language="it",
        default_timezone="Europe/Rome",
    )


def rendered_problems(report: ImportReport) -> list[str]:
    return [problem.render() for problem in sorted(report.problems)]


async def assert_nothing_written() -> None:
    assert await Debtor.all().count() == 0
    assert await ContactPoint.all().count() == 0
    assert await Invoice.all().count() == 0


@pytest.fixture
def good_files(tmp_path: Path) -> tuple[Path, Path]:
    debtors = write(tmp_path / "debtors.csv", DEBTORS_HEADER, DEBTOR_ROSSI, DEBTOR_SMITH)
    invoices = write(tmp_path / "invoices.csv", INVOICES_HEADER, INVOICE_1, INVOICE_2, INVOICE_3)
    return debtors, invoices


# --- round trip and idempotency ------------------------------------------------------------------


async def test_example_files_import_and_reimport_changes_nothing(db: str) -> None:
    debtors, invoices = EXAMPLES / "debtors.csv", EXAMPLES / "invoices.csv"
    first = await run(debtors, invoices)
    assert first.ok, first.render()
    assert (first.debtors.created, first.invoices.created) == (6, 12)
    assert first.contact_points.created == await ContactPoint.all().count() > 6

    rossi = await Debtor.get(external_ref="C001")
    assert rossi.name == "Rossi Costruzioni S.r.l."
    assert rossi.credit_limit_cents == 2_500_000
    points = {(p.channel, p.address, p.is_pec) for p in await ContactPoint.filter(debtor=rossi)}
    assert points == {
        (Channel.EMAIL, "amministrazione@rossi-costruzioni.example", False),
        (Channel.EMAIL, "rossi-costruzioni@pec.example", True),
        (Channel.SMS, "+393331012034", False),
        (Channel.WHATSAPP, "+393331012034", False),
    }
    english = await Debtor.get(external_ref="C005")
    assert (english.language, english.timezone) == ("en", "Europe/London")
    assert (await Debtor.get(external_ref="C002")).timezone == "Europe/Rome"  # the default

    # The invoices file is Italian Excel: ';', dd/mm/yyyy, 1.234,56, Italian headers.
    big = await Invoice.get(number="F-2026-101")
    assert big.amount_cents == 1_248_000 and big.due_date == dt.date(2026, 9, 15)
    part = await Invoice.get(number="F-2026-110")
    assert (part.paid_cents, part.status) == (600_000, InvoiceStatus.PARTIALLY_PAID)
    assert await Invoice.filter(debtor=rossi).count() == 4

    stamps = {i.number: i.updated_at for i in await Invoice.all()}
    second = await run(debtors, invoices)
    assert second.ok and not second.changed
    assert (second.debtors.unchanged, second.invoices.unchanged) == (6, 12)
    assert second.contact_points.unchanged == first.contact_points.created
    assert "0 created, 0 updated, 12 unchanged" in second.render()
    assert {i.number: i.updated_at for i in await Invoice.all()} == stamps


async def test_changed_rows_are_updated_and_empty_cells_keep_what_is_stored(
    db: str, good_files: tuple[Path, Path], tmp_path: Path
) -> None:
    await run(*good_files)
    debtors = write(
        tmp_path / "debtors2.csv",
        DEBTORS_HEADER,
        "C1,Rossi & Co. S.r.l.,,,rossi@pec.example,,,",  # new name, new PEC, the rest empty
        DEBTOR_SMITH,
    )
    invoices = write(
        tmp_path / "invoices2.csv",
        INVOICES_HEADER,
        "F-1,C1,2026-10-01,2026-11-15,1234.56,1234.56,EUR",  # paid in full, due date moved
        INVOICE_2,
        INVOICE_3,
    )
    report = await run(debtors, invoices)
    assert report.ok, report.render()
    assert (report.debtors.updated, report.debtors.unchanged) == (1, 1)
    assert (report.contact_points.created, report.contact_points.unchanged) == (1, 1)
    assert (report.invoices.updated, report.invoices.unchanged) == (1, 2)

    rossi = await Debtor.get(external_ref="C1")
    assert rossi.name == "Rossi & Co. S.r.l."
    assert rossi.credit_limit_cents == 500_000  # empty cell: kept
    # Contact points missing from the file are kept; the new PEC is added.
    addresses = {p.address for p in await ContactPoint.filter(debtor=rossi)}
    assert addresses == {"info@rossi.example", "+393331012034", "rossi@pec.example"}
    paid = await Invoice.get(number="F-1")
    assert (paid.status, paid.paid_cents, paid.due_date) == (
        InvoiceStatus.PAID,
        123_456,
        dt.date(2026, 11, 15),
    )


async def test_reimport_keeps_statuses_the_bot_decided_and_recorded_payments(
    db: str, good_files: tuple[Path, Path]
) -> None:
    await run(*good_files)
    await Invoice.filter(number="F-3").update(status=InvoiceStatus.DISPUTED)
    invoice = await Invoice.get(number="F-1")
    payment = await Payment.create(
        debtor_id=invoice.debtor_id,  # type: ignore[attr-defined]
        amount_cents=50_000,
        method=PaymentMethod.STRIPE,
        provider_ref="pi_test_1",
        received_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=50_000)
    await Invoice.filter(id=invoice.id).update(
        paid_cents=50_000, status=InvoiceStatus.PARTIALLY_PAID
    )

    # The accounting export predates the payment: paid column empty for F-1.
    report = await run(*good_files)
    assert report.ok and not report.changed, report.render()
    assert (await Invoice.get(number="F-3")).status == InvoiceStatus.DISPUTED
    assert (await Invoice.get(number="F-1")).paid_cents == 50_000


async def test_a_zero_paid_cell_does_not_undo_a_recorded_payment(
    db: str, good_files: tuple[Path, Path], tmp_path: Path
) -> None:
    await run(*good_files)
    invoice = await Invoice.get(number="F-1")
    payment = await Payment.create(
        debtor_id=invoice.debtor_id,  # type: ignore[attr-defined]
        amount_cents=123_456,
        method=PaymentMethod.BANK_TRANSFER,
        provider_ref="bank-1",
        received_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    await PaymentAllocation.create(payment=payment, invoice=invoice, amount_cents=123_456)
    stale = write(
        tmp_path / "stale.csv", INVOICES_HEADER, "F-1,C1,2026-10-01,2026-10-31,1234.56,0,"
    )
    report = await run(invoices=stale)
    assert report.ok, report.render()
    refreshed = await Invoice.get(number="F-1")
    assert (refreshed.paid_cents, refreshed.status) == (123_456, InvoiceStatus.PAID)


async def test_invoices_alone_may_refer_to_debtors_already_stored(
    db: str, good_files: tuple[Path, Path], tmp_path: Path
) -> None:
    await run(debtors=good_files[0])
    invoices = write(tmp_path / "more.csv", INVOICES_HEADER, "F-9,C2,2026-11-01,2026-12-01,10,,")
    report = await run(invoices=invoices)
    assert report.ok, report.render()
    assert (await Invoice.get(number="F-9").prefetch_related("debtor")).debtor.external_ref == "C2"


async def test_invoice_moved_to_a_debtor_created_in_the_same_run(
    db: str, good_files: tuple[Path, Path], tmp_path: Path
) -> None:
    await run(*good_files)
    debtors = write(tmp_path / "d.csv", DEBTORS_HEADER, "C3,Verdi S.p.A.,,,,,,")
    invoices = write(tmp_path / "i.csv", INVOICES_HEADER, "F-1,C3,2026-10-01,2026-10-31,1234.56,,")
    report = await run(debtors, invoices)
    assert report.ok and report.invoices.updated == 1, report.render()
    moved = await Invoice.get(number="F-1").prefetch_related("debtor")
    assert moved.debtor.external_ref == "C3"


async def test_email_and_pec_with_one_address_make_one_certified_contact_point(
    db: str, tmp_path: Path
) -> None:
    debtors = write(tmp_path / "d.csv", DEBTORS_HEADER, "C1,Rossi,,a@pec.example,A@PEC.example,,,")
    report = await run(debtors)
    assert report.ok and report.contact_points.created == 1, report.render()
    point = await ContactPoint.get()
    assert (point.channel, point.address, point.is_pec) == (Channel.EMAIL, "a@pec.example", True)


# --- bad rows ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debtor_row", "invoice_row", "expected"),
    [
        (
            None,
            "F-1,C1,2026-13-01,2026-12-31,10,,",
            "i.csv:2: issue_date: '2026-13-01' is not a real",
        ),
        (None, "F-1,C1,1/2/26,2026-12-31,10,,", "i.csv:2: issue_date: '1/2/26' is not a date"),
        (
            None,
            "F-1,C1,31/02/2026,2026-12-31,10,,",
            "i.csv:2: issue_date: '31/02/2026' is not a real",
        ),
        (None, "F-1,C1,2026-11-01,2026-10-01,10,,", "i.csv:2: due_date: is before the issue date"),
        (None, "F-1,C1,2026-11-01,2026-12-01,dieci,,", "i.csv:2: amount: 'dieci' is not an amount"),
        (None, 'F-1,C1,2026-11-01,2026-12-01,"1.234",,', "i.csv:2: amount: '1.234' is ambiguous"),
        (None, "F-1,C1,2026-11-01,2026-12-01,0,,", "i.csv:2: amount: must be more than zero"),
        (None, "F-1,C1,2026-11-01,2026-12-01,,,", "i.csv:2: amount: a value is required"),
        (None, "F-1,C1,2026-11-01,2026-12-01,10,11,", "i.csv:2: paid_amount: is more than"),
        (None, "F-1,C1,2026-11-01,2026-12-01,10,,EURO", "i.csv:2: currency: 'EURO' is not an ISO"),
        (None, "F-1,C1,2026-11-01,2026-12-01,10,,XYZ", "i.csv:2: currency: 'XYZ' is not an ISO"),
        (None, "F-1,C9,2026-11-01,2026-12-01,10,,", "i.csv:2: debtor_ref: no debtor 'C9'"),
        (None, ",C1,2026-11-01,2026-12-01,10,,", "i.csv:2: number: a value is required"),
        ("C2,Bianchi,it,,,12345,,", None, "d.csv:3: phone: '12345' is not a valid phone number"),
        ("C2,Bianchi,it,,,02 8734 1120,,", None, "d.csv:3: phone: '02 8734 1120' is a landline"),
        ("C2,Bianchi,it,,,,abc,", None, "d.csv:3: whatsapp: 'abc' is not a valid phone number"),
        ("C2,Bianchi,it,bianchi@,,,,", None, "d.csv:3: email: 'bianchi@' is not an e-mail"),
        ("C2,Bianchi,it,,pec.example,,,", None, "d.csv:3: pec: 'pec.example' is not an e-mail"),
        ("C2,Bianchi,de,,,,,", None, "d.csv:3: language: 'de' is not a language the bot speaks"),
        ("C2,Bianchi,it,,,,,-5", None, "d.csv:3: credit_limit: cannot be negative"),
        ("C2,,it,,,,,", None, "d.csv:3: name: a value is required"),
        ("C1,Rossi again,it,,,,,", None, "d.csv:3: external_ref: 'C1' is already on line 2"),
        (None, "F-0,C1,2026-11-01,2026-12-01,10,,", "i.csv:3: number: 'F-0' is already on line 2"),
    ],
)
async def test_every_kind_of_bad_row_is_named_and_nothing_is_written(
    db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debtor_row: str | None,
    invoice_row: str | None,
    expected: str,
) -> None:
    debtor_lines = [DEBTORS_HEADER, "C1,Rossi,it,,,,,"] + ([debtor_row] if debtor_row else [])
    invoice_lines = [INVOICES_HEADER, "F-0,C1,2026-11-01,2026-12-01,10,,"]
    if invoice_row and not expected.startswith("i.csv:3"):
        invoice_lines = [INVOICES_HEADER, invoice_row]
    elif invoice_row:
        invoice_lines.append(invoice_row)
    debtors = write(tmp_path / "d.csv", *debtor_lines)
    invoices = write(tmp_path / "i.csv", *invoice_lines)
    monkeypatch.chdir(tmp_path)  # the report names files as given; relative names keep it short
    report = await run(Path("d.csv"), Path("i.csv"))
    assert not report.ok
    problems = rendered_problems(report)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems
    assert "nothing was written" in report.render()
    assert debtors.exists() and invoices.exists()
    await assert_nothing_written()


async def test_time_zone_must_be_iana(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name,timezone", "C1,Rossi,Rome/Italy")
    report = await run(debtors)
    assert [p.column for p in report.problems] == ["timezone"]
    assert "not an IANA time zone" in report.problems[0].reason


async def test_every_bad_row_is_listed_with_its_physical_line(db: str, tmp_path: Path) -> None:
    debtors = write(
        tmp_path / "d.csv",
        "external_ref,name,email,notes",
        'C1,Rossi,,"a note',
        'on two lines"',  # the row of C1 spans lines 2-3
        "C2,Bianchi,not-an-email,",
        "",  # blank line: skipped, still counted
        "C3,,also@bad,",
        "C4,Verdi,ok@verdi.example,",
    )
    report = await run(debtors)
    assert rendered_problems(report) == [
        f"{debtors}:4: email: 'not-an-email' is not an e-mail address (it needs exactly one @)",
        f"{debtors}:6: email: 'also@bad' is not an e-mail address "
        "(the domain after @ must look like example.it)",
        f"{debtors}:6: name: a value is required",
    ]
    await assert_nothing_written()


async def test_one_bad_invoice_keeps_good_debtors_and_invoices_out(
    db: str, tmp_path: Path, good_files: tuple[Path, Path]
) -> None:
    invoices = write(
        tmp_path / "i.csv", INVOICES_HEADER, INVOICE_1, INVOICE_2, "F-3,C2,2026-10-15,x,2500,,"
    )
    report = await run(good_files[0], invoices)
    assert [(p.line, p.column) for p in report.problems] == [(4, "due_date")]
    assert report.debtors.created == 0  # nothing is reported as done
    await assert_nothing_written()


async def test_missing_and_unknown_columns_are_header_errors(db: str, tmp_path: Path) -> None:
    debtors = write(
        tmp_path / "d.csv", "external_ref,nmae,emial,colour", "C1,Rossi,a@b.example,red"
    )
    report = await run(debtors)
    assert rendered_problems(report) == [
        f"{debtors}:1: colour: unknown column; the columns are: external_ref, name, vat_number, "
        "tax_code, language, timezone, credit_limit, email, pec, phone, whatsapp, notes, "
        "whatsapp_opt_in_date, whatsapp_opt_in_source, phone_opt_in_date, phone_opt_in_source, "
        "email_opt_in_date, email_opt_in_source, kind",
        f"{debtors}:1: emial: unknown column; did you mean 'email'?",
        f"{debtors}:1: name: required column is missing (also accepted as: company, "
        "ragione_sociale, denominazione)",
        f"{debtors}:1: nmae: unknown column; did you mean 'name'?",
    ]
    await assert_nothing_written()


async def test_telegram_chats_are_not_imported(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name,telegram", "C1,Rossi,123456789")
    report = await run(debtors)
    assert [(p.line, p.column) for p in report.problems] == [(1, "telegram")]
    assert "signed invitation link" in report.problems[0].reason
    await assert_nothing_written()


async def test_the_same_column_twice_is_a_header_error(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name,Ragione sociale", "C1,Rossi,Rossi")
    report = await run(debtors)
    assert [(p.line, p.column) for p in report.problems] == [(1, "Ragione sociale")]
    assert "the same column as 'name'" in report.problems[0].reason


async def test_a_row_with_too_many_values_is_refused(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name", "C1,Rossi,S.r.l.")
    report = await run(debtors)
    assert [(p.line, p.column) for p in report.problems] == [(2, "")]
    assert "3 values but the header names 2 columns" in report.problems[0].reason


async def test_unreadable_files_are_refused_with_a_hint(db: str, tmp_path: Path) -> None:
    missing = await run(tmp_path / "nope.csv")
    assert "cannot be read" in missing.problems[0].reason
    xlsx = tmp_path / "d.xlsx"
    xlsx.write_bytes(b"PK\x03\x04rest-of-a-zip")
    assert "Excel workbook" in (await run(xlsx)).problems[0].reason
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("external_ref,name\r\nC1,Rossi\r\n".encode("utf-16"))
    assert "UTF-16" in (await run(utf16)).problems[0].reason


# --- encodings, separators, aliases ------------------------------------------------------------


async def test_windows_1252_file_keeps_accented_names(db: str, tmp_path: Path) -> None:
    debtors = write(
        tmp_path / "d.csv",
        "Codice cliente;Ragione sociale;Note",
        "C1;Caffè Società Cooperativa;Più puntuale d'estate",
        encoding="cp1252",
    )
    assert b"Caff\xe8" in debtors.read_bytes()  # really Windows-1252, not UTF-8
    report = await run(debtors)
    assert report.ok, report.render()
    debtor = await Debtor.get(external_ref="C1")
    assert (debtor.name, debtor.notes) == ("Caffè Società Cooperativa", "Più puntuale d'estate")


@pytest.mark.parametrize("bom", [False, True])
async def test_utf8_with_and_without_bom(db: str, tmp_path: Path, bom: bool) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name", "C1,Città Nuova S.r.l.", bom=bom)
    report = await run(debtors)
    assert report.ok, report.render()  # with a BOM the first header must still be recognised
    assert (await Debtor.get(external_ref="C1")).name == "Città Nuova S.r.l."


@pytest.mark.parametrize("separator", [",", ";"])
async def test_both_separators_give_the_same_rows(db: str, tmp_path: Path, separator: str) -> None:
    def line(*cells: str) -> str:
        return separator.join(f'"{cell}"' if separator in cell else cell for cell in cells)

    debtors = write(tmp_path / "d.csv", line("external_ref", "name"), line("C1", "Rossi, Bianchi"))
    invoices = write(
        tmp_path / "i.csv",
        line("numero", "codice_cliente", "data_emissione", "scadenza", "importo", "valuta"),
        line("F-1", "C1", "01/10/2026", "31/10/2026", "1.234,56", "eur"),
        line("F-2", "C1", "2026-10-01", "2026-10-31", "1,234.56", "EUR"),
    )
    report = await run(debtors, invoices)
    assert report.ok, report.render()
    assert (await Debtor.get(external_ref="C1")).name == "Rossi, Bianchi"
    amounts = {i.number: (i.amount_cents, i.currency) for i in await Invoice.all()}
    assert amounts == {"F-1": (123_456, "EUR"), "F-2": (123_456, "EUR")}


async def test_excel_sep_line_and_italian_status_words(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "sep=;", "codice_cliente;ragione_sociale", "C1;Rossi")
    invoices = write(
        tmp_path / "i.csv",
        "sep=;",
        "numero;codice_cliente;data_emissione;scadenza;importo;stato",
        "F-1;C1;01/10/2026;31/10/2026;100,00;Contestata",
        "F-2;C1;01/10/2026;31/10/2026;100,00;boh",
    )
    report = await run(debtors, invoices)
    assert [(p.line, p.column) for p in report.problems] == [(4, "stato")]
    invoices.write_text(invoices.read_text().replace(";boh", ";pagata"))
    report = await run(debtors, invoices)
    assert report.ok, report.render()
    statuses = {i.number: (i.status, i.balance_cents) for i in await Invoice.all()}
    # "pagata" without a paid amount means paid in full: nothing is left to chase.
    assert statuses == {"F-1": (InvoiceStatus.DISPUTED, 10_000), "F-2": (InvoiceStatus.PAID, 0)}


async def test_status_paid_with_a_partial_paid_amount_is_refused(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name", "C1,Rossi")
    invoices = write(
        tmp_path / "i.csv",
        "number,debtor_ref,issue_date,due_date,amount,paid_amount,status",
        "F-1,C1,2026-11-01,2026-12-01,100,40,paid",
    )
    report = await run(debtors, invoices)
    assert [(p.line, p.column) for p in report.problems] == [(2, "paid_amount")]
    assert "the status says paid" in report.problems[0].reason
    await assert_nothing_written()


async def test_dry_run_validates_counts_and_writes_nothing(
    db: str, good_files: tuple[Path, Path]
) -> None:
    report = await run(*good_files, dry_run=True)
    assert report.ok, report.render()
    assert (report.debtors.created, report.invoices.created) == (2, 3)
    assert "dry run" in report.render()
    await assert_nothing_written()


# --- the command line ----------------------------------------------------------------------------


def test_cli_imports_and_refuses_bad_files(tmp_path: Path) -> None:
    """python -m bot import, end to end, on its own SQLite file: exit codes and the report."""
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3", "LOG_LEVEL": "ERROR"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert cli("migrate").returncode == 0
    debtors, invoices = str(EXAMPLES / "debtors.csv"), str(EXAMPLES / "invoices.csv")
    done = cli("import", "--debtors", debtors, "--invoices", invoices)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "invoices:       12 created, 0 updated, 0 unchanged" in done.stdout

    bad = write(tmp_path / "bad.csv", INVOICES_HEADER, "F-1,C001,2026-11-01,2026-12-01,1.234,,")
    refused = cli("import", "--invoices", str(bad), "--dry-run")
    assert refused.returncode == 1
    assert f"{bad}:2: amount: '1.234' is ambiguous" in refused.stdout

    nothing = cli("import")
    assert nothing.returncode == 2 and "--debtors" in nothing.stderr
