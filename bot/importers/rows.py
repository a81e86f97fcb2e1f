"""Rows of the debtor and invoice files -> validated records, and every problem found on the way.

Plain functions over CsvTable; no database. An empty optional cell becomes None, which the
store reads as "leave what is stored" (see bot/importers/__init__.py). Every cell of a row is
checked, so one run reports all the row's problems, not just the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.contacts import normalise_email, normalise_mobile_phone
from bot.importers.csvfile import CsvRow, CsvTable
from bot.importers.fields import (
    parse_cell_date,
    parse_currency,
    parse_kind,
    parse_language,
    parse_status,
    parse_timezone,
)
from bot.importers.report import Problem
from bot.models import Channel, Debtor, DebtorKind, Invoice, InvoiceStatus
from bot.money import parse_amount

T = TypeVar("T")


@dataclass(frozen=True)
class ContactRecord:
    channel: Channel
    address: str  # normalised: E.164 or lower-cased e-mail
    is_pec: bool = False
    opted_in_on: dt.date | None = None  # the day the owner agreed to be written to here
    opt_in_source: str = ""  # how: "modulo web", "contratto firmato", ...


# The consent columns of each contact column: e-mail and PEC share the e-mail ones.
CONSENT_PREFIX = {"email": "email", "pec": "email", "phone": "phone", "whatsapp": "whatsapp"}
OPT_IN_SOURCE_LENGTH = 100


@dataclass(frozen=True)
class DebtorRecord:
    line: int
    external_ref: str
    name: str
    vat_number: str | None
    tax_code: str | None
    language: str | None
    timezone: str | None
    credit_limit_cents: int | None
    notes: str | None
    contacts: tuple[ContactRecord, ...] = field(default=())
    kind: DebtorKind | None = None  # the `kind` column; None when the file does not say

    def kind_to_store(self) -> DebtorKind | None:
        """The kind the row gives: its `kind` cell, else business for a VAT number."""
        if self.kind is not None:
            return self.kind
        return DebtorKind.BUSINESS if self.vat_number else None


@dataclass(frozen=True)
class InvoiceRecord:
    line: int
    number: str
    debtor_ref: str
    issue_date: dt.date
    due_date: dt.date
    amount_cents: int
    paid_cents: int | None
    currency: str | None
    description: str | None
    status: InvoiceStatus | None
    credit_note_for: str | None = None  # a credit note's row: the invoice it reduces


def _max_length(model: type[Debtor] | type[Invoice], name: str) -> int:
    return int(model._meta.fields_map[name].max_length)  # type: ignore[attr-defined]


class _RowReader:
    """Reads the cells of one row, turning every failure into a Problem."""

    def __init__(self, table: CsvTable, row: CsvRow, problems: list[Problem]) -> None:
        self.table, self.row, self.problems = table, row, problems
        self.failed = False

    def fail(self, column: str, reason: str) -> None:
        self.failed = True
        self.problems.append(self.table.problem(self.row, column, reason))

    def text(self, column: str, *, max_length: int | None = None, required: bool = False) -> str:
        value = self.row.values.get(column, "")
        if required and not value:
            self.fail(column, "a value is required")
        elif max_length is not None and len(value) > max_length:
            self.fail(column, f"longer than {max_length} characters")
        return value

    def parsed(
        self, column: str, parser: Callable[[str], T], *, required: bool = False
    ) -> T | None:
        value = self.row.values.get(column, "")
        if not value:
            if required:
                self.fail(column, "a value is required")
            return None
        try:
            return parser(value)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None


def read_debtors(
    table: CsvTable, problems: list[Problem], today: dt.date | None = None
) -> list[DebtorRecord]:
    """Validate every debtor row; duplicate references inside the file are problems too. An
    opt-in dated after `today` is a problem."""
    records: list[DebtorRecord] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        cells = _RowReader(table, row, problems)
        ref = cells.text(
            "external_ref", required=True, max_length=_max_length(Debtor, "external_ref")
        )
        name = cells.text("name", required=True, max_length=_max_length(Debtor, "name"))
        vat = cells.text("vat_number", max_length=_max_length(Debtor, "vat_number"))
        tax_code = cells.text("tax_code", max_length=_max_length(Debtor, "tax_code"))
        kind = cells.parsed("kind", parse_kind)
        language = cells.parsed("language", parse_language)
        timezone = cells.parsed("timezone", parse_timezone)
        credit_limit = cells.parsed("credit_limit", parse_amount)
        if credit_limit is not None and credit_limit < 0:
            cells.fail("credit_limit", "cannot be negative")
        notes = cells.text("notes")
        contacts = _contacts(cells, today)
        if ref and ref in first_line:
            cells.fail("external_ref", f"{ref!r} is already on line {first_line[ref]}")
        elif ref:
            first_line[ref] = row.line
        if cells.failed:
            continue
        records.append(
            DebtorRecord(
                line=row.line,
                external_ref=ref,
                name=name,
                vat_number=_compact(vat) or None,
                tax_code=_compact(tax_code) or None,
                language=language,
                timezone=timezone,
                credit_limit_cents=credit_limit,
                notes=notes or None,
                contacts=contacts,
                kind=kind,
            )
        )
    return records


def _contacts(cells: _RowReader, today: dt.date | None) -> tuple[ContactRecord, ...]:
    """email, pec, phone, whatsapp cells -> contact records, one per (channel, address), each
    with its opt-in (date and source) when the row gives one."""
    found: dict[tuple[Channel, str], ContactRecord] = {}
    opt_ins = {
        prefix: _opt_in(cells, prefix, today, [c for c, p in CONSENT_PREFIX.items() if p == prefix])
        for prefix in dict.fromkeys(CONSENT_PREFIX.values())
    }
    for column, channel, parse, is_pec in (
        ("email", Channel.EMAIL, normalise_email, False),
        ("pec", Channel.EMAIL, normalise_email, True),
        ("phone", Channel.SMS, normalise_mobile_phone, False),
        ("whatsapp", Channel.WHATSAPP, normalise_mobile_phone, False),
    ):
        address = cells.parsed(column, parse)
        if address is None:
            continue
        # An address given as both e-mail and PEC is one mailbox, and a certified one.
        previous = found.get((channel, address))
        day, source = opt_ins[CONSENT_PREFIX[column]]
        found[(channel, address)] = ContactRecord(
            channel, address, is_pec or (previous is not None and previous.is_pec), day, source
        )
    return tuple(found.values())


def _opt_in(
    cells: _RowReader, prefix: str, today: dt.date | None, address_columns: list[str]
) -> tuple[dt.date | None, str]:
    """The opt-in date and source given for one kind of address, each checked against the
    other and against the address itself."""
    date_column, source_column = f"{prefix}_opt_in_date", f"{prefix}_opt_in_source"
    given = bool(cells.row.values.get(date_column))
    day = cells.parsed(date_column, parse_cell_date)
    source = cells.text(source_column, max_length=OPT_IN_SOURCE_LENGTH)
    if not given and not source:
        return None, ""
    if not any(cells.row.values.get(column) for column in address_columns):
        cells.fail(date_column if given else source_column, f"an opt-in but no {prefix} address")
    if source and not given:
        cells.fail(date_column, "the opt-in date is required with its source")
    if given and not source:
        cells.fail(source_column, "say how the opt-in was given (e.g. modulo web, contratto)")
    if day is not None and today is not None and day > today:
        cells.fail(date_column, f"{day.isoformat()} is in the future")
    return day, source


def _compact(code: str) -> str:
    """VAT numbers and tax codes: upper case without spaces, as registries print them."""
    return "".join(code.split()).upper()


def read_invoices(
    table: CsvTable, problems: list[Problem], payment_terms_days: int | None = None
) -> list[InvoiceRecord]:
    """Validate every invoice row; duplicate numbers inside the file are problems too.

    A row without a due date falls due `payment_terms_days` after its issue date (the policy's
    payment terms); with no terms given, the due date is required."""
    records: list[InvoiceRecord] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        cells = _RowReader(table, row, problems)
        number = cells.text("number", required=True, max_length=_max_length(Invoice, "number"))
        debtor_ref = cells.text(
            "debtor_ref", required=True, max_length=_max_length(Debtor, "external_ref")
        )
        issue_date = cells.parsed("issue_date", parse_cell_date, required=True)
        due_date = cells.parsed("due_date", parse_cell_date, required=payment_terms_days is None)
        if due_date is None and issue_date is not None and payment_terms_days is not None:
            due_date = issue_date + dt.timedelta(days=payment_terms_days)
        amount = cells.parsed("amount", parse_amount, required=True)
        paid = cells.parsed("paid_amount", parse_amount)
        currency = cells.parsed("currency", parse_currency)
        description = cells.text("description", max_length=_max_length(Invoice, "description"))
        status = cells.parsed("status", parse_status)
        credit_note_for = cells.text("credit_note_for", max_length=_max_length(Invoice, "number"))
        _check_amounts(cells, amount, paid, status)
        if issue_date and due_date and due_date < issue_date:
            cells.fail("due_date", "is before the issue date")
        if number and number in first_line:
            cells.fail("number", f"{number!r} is already on line {first_line[number]}")
        elif number:
            first_line[number] = row.line
        if cells.failed:
            continue
        assert issue_date is not None and due_date is not None and amount is not None
        records.append(
            InvoiceRecord(
                line=row.line,
                number=number,
                debtor_ref=debtor_ref,
                issue_date=issue_date,
                due_date=due_date,
                amount_cents=amount,
                paid_cents=paid,
                currency=currency,
                description=description or None,
                status=status,
                credit_note_for=credit_note_for or None,
            )
        )
    return records


def _check_amounts(
    cells: _RowReader, amount: int | None, paid: int | None, status: InvoiceStatus | None
) -> None:
    if amount is not None and amount <= 0:
        cells.fail(
            "amount",
            "must be more than zero (a credit note: its amount as a positive number, "
            "and the invoice it reduces in credit_note_for)",
        )
    if paid is not None and paid < 0:
        cells.fail("paid_amount", "cannot be negative")
    elif paid is not None and amount is not None and paid > amount:
        cells.fail("paid_amount", "is more than the invoice amount")
    if status is InvoiceStatus.PAID and paid is not None and amount and paid < amount:
        cells.fail("paid_amount", "is less than the amount, but the status says paid")
