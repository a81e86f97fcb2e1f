"""The policy as written: its channel order is the order used, its payment terms date invoices
imported without a due date, and a key the code does not know or does not read is refused with
the file, the line and the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.importers import run_import
from bot.models import Channel, Invoice
from bot.policy import Policy, PolicyError, load_policy, parse_policy
from scheduler.routing import Contact, route

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "policy.toml"


# --- channel order ----------------------------------------------------------------------------


def test_the_steps_channel_order_wins_over_the_contact_points_priority() -> None:
    sms = Contact(1, Channel.SMS, "+393331112222", priority=0)  # imported first: "preferred"
    whatsapp = Contact(2, Channel.WHATSAPP, "+393331112222", priority=1)
    email = Contact(3, Channel.EMAIL, "a@example.it", priority=3)
    order = (Channel.WHATSAPP, Channel.EMAIL, Channel.SMS)
    assert [c.id for c in route([sms, whatsapp, email], order)] == [2, 3, 1]


def test_within_a_channel_the_preferred_contact_point_first_and_pec_for_a_formal_step() -> None:
    office = Contact(1, Channel.EMAIL, "ufficio@example.it", priority=4)
    boss = Contact(2, Channel.EMAIL, "titolare@example.it", priority=3)
    pec = Contact(3, Channel.EMAIL, "rossi@pec.example.it", is_pec=True, priority=5)
    chat = Contact(4, Channel.TELEGRAM, "1001", priority=0)
    order = (Channel.TELEGRAM, Channel.EMAIL)
    assert [c.id for c in route([office, boss, pec, chat], order)] == [4, 2, 1, 3]
    assert [c.id for c in route([office, boss, pec, chat], order, formal=True)] == [3, 4, 2, 1]


def test_the_example_policy_routes_the_final_notice_by_email_first() -> None:
    policy = load_policy(EXAMPLE)
    final = policy.step_named("final_notice")
    assert final is not None
    contacts = [
        Contact(1, Channel.WHATSAPP, "+393331112222", priority=1),
        Contact(2, Channel.EMAIL, "a@example.it", priority=3),
    ]
    assert route(contacts, final.channels)[0].channel is Channel.EMAIL


# --- payment terms ----------------------------------------------------------------------------


async def test_an_invoice_without_a_due_date_gets_the_policys_payment_terms(
    tmp_path: Path, db: str
) -> None:
    debtors = tmp_path / "debtors.csv"
    debtors.write_text("external_ref,name\nC001,Rossi S.r.l.\n", encoding="utf-8")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "number,debtor_ref,issue_date,due_date,amount\n"
        "F-1,C001,2026-11-02,,100.00\n"
        "F-2,C001,2026-11-02,2026-11-20,100.00\n",
        encoding="utf-8",
    )
    terms = load_policy(EXAMPLE).payment_terms_days
    report = await run_import(
        debtors=debtors,
        invoices=invoices,
        dry_run=False,
        default_language="it",
        default_timezone="Europe/Rome",
        payment_terms_days=terms,
    )
    assert report.ok, report.render()
    assert (await Invoice.get(number="F-1")).due_date == dt.date(2026, 11, 2) + dt.timedelta(
        days=terms
    )
    assert (await Invoice.get(number="F-2")).due_date == dt.date(2026, 11, 20)  # as written


async def test_without_payment_terms_the_due_date_is_required(tmp_path: Path, db: str) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "number,debtor_ref,issue_date,due_date,amount\nF-1,C001,2026-11-02,,100.00\n",
        encoding="utf-8",
    )
    report = await run_import(
        debtors=None,
        invoices=invoices,
        dry_run=True,
        default_language="it",
        default_timezone="Europe/Rome",
    )
    assert any(
        p.line == 2 and "due_date" in p.column and "required" in p.reason for p in report.problems
    )


# --- keys ---------------------------------------------------------------------------------------


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    return caught.value.errors


def test_an_unknown_key_is_refused_with_its_line_in_every_section() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    sections = ["discount", "instalments", "quiet_hours", "calendar", "contact", "promises"]
    sections.append("already_paid")
    for section in sections:
        header = next(i for i, line in enumerate(lines) if line.startswith(f"[{section}]"))
        changed = [*lines[: header + 1], "colour = 1", *lines[header + 1 :]]
        [error] = errors_of("\n".join(changed))
        assert error == (
            f"line {header + 2}: {section}.colour: unknown key; check its spelling (got 1)"
        )
    [top] = errors_of("payment_term_days = 30\n" + text)
    assert top == "line 1: payment_term_days: unknown key; check its spelling (got 30)"
    third_step = [i for i, line in enumerate(lines) if line.startswith("[[steps]]")][2]
    changed = [*lines[: third_step + 1], 'chanels = ["sms"]', *lines[third_step + 1 :]]
    [step] = errors_of("\n".join(changed))
    assert step.startswith(f"line {third_step + 2}: steps[2].chanels: unknown key")


def test_policy_check_names_the_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "grace_days = 5", "grace_days = 5\ngrace_hours = 2"
        ),
        encoding="utf-8",
    )
    written = bad.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(written, start=1) if text.startswith("grace_hours"))
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: 1 error" in err
    assert f"line {line}: instalments.grace_hours: unknown key" in err


def _fields(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for kind in (info.annotation, *getattr(info.annotation, "__args__", ())):
            inner = getattr(kind, "__args__", (kind,))
            for candidate in (kind, *inner):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    names |= _fields(candidate)
    return names


# A field read through a property of its own model (bot/policy.py) counts through that property.
READ_THROUGH = {"weekdays": "weekday_numbers", "days": "courtesy"}


def test_every_policy_key_is_read_by_the_code() -> None:
    """A key the policy accepts but no code reads would be silently kept: there is none."""
    sources = [
        path.read_text(encoding="utf-8")
        for folder in ("bot", "scheduler")
        for path in (ROOT / folder).rglob("*.py")
        if path != ROOT / "bot" / "policy.py"
    ]
    code = "\n".join(sources)
    unread = [
        name
        for name in sorted(_fields(Policy))
        if not re.search(rf"\.{READ_THROUGH.get(name, name)}\b", code)
    ]
    assert unread == []
