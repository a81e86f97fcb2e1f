"""Consent where a channel needs it (issue 14, item 8): WhatsApp never goes to a number without a
recorded opt-in; with the policy's lawful basis "consent", neither do SMS and e-mail. The importer
records opt-ins (date and source) with line-precise errors; the preview and the /debtor card say
which contact points are skipped and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import clock as product_clock
from bot.channels.sandbox import SandboxSender
from bot.config import Settings
from bot.importers import ImportReport, run_import
from bot.models import Channel, ContactPoint, Direction, Message, MessageStatus
from bot.optout import KEYWORD_OPT_IN_SOURCE
from bot.policy import Consent, PolicyError, load_policy, parse_policy
from bot.policy_description import describe_policy
from bot.runtime import Runtime
from bot.staff_reports import debtor_report
from bot.texts import render
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from scheduler.outbox_record import DispatchOutcome
from scheduler.preview import build_preview, render_preview
from scheduler.proactive import consent_missing, needs_opt_in
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, WHATSAPP_FROM, debtor_with, twilio_stack
from tests.support.scheduler_data import (
    FrozenClock,
    add_contact,
    make_debtor,
    make_invoice,
    make_runtime,
)

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Rome
TODAY = NOW.date()
EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "policy.toml"


def consent_basis(runtime: Runtime) -> Runtime:
    runtime.policy = runtime.policy.model_copy(update={"consent": Consent(lawful_basis="consent")})
    return runtime


@pytest.fixture
async def runtime(settings: Settings, db: str) -> AsyncIterator[Runtime]:
    senders: dict[Channel, Any] = {channel: SandboxSender(channel) for channel in Channel}
    runtime = make_runtime(settings, FrozenClock(NOW), senders)
    yield runtime
    await runtime.close()


def sent_on(runtime: Runtime, channel: Channel) -> list[str]:
    sender = runtime.sender(channel)
    assert isinstance(sender, SandboxSender)
    return [message.address for message in sender.sent]


async def overdue(*contacts: tuple[Channel, bool]) -> Any:
    """A debtor 8 days overdue with these (channel, opted in) contact points."""
    debtor = await make_debtor("Bar Sport di Rossi", channels=())
    for channel, opted_in in contacts:
        await add_contact(debtor, channel, opted_in=opted_in)
    await make_invoice(debtor, TODAY - dt.timedelta(days=8), 123_456)
    return debtor


# --- the rule --------------------------------------------------------------------------------


def test_whatsapp_always_needs_an_opt_in_sms_and_email_only_under_consent() -> None:
    contract = load_policy(EXAMPLE_POLICY)
    consent = contract.model_copy(update={"consent": Consent(lawful_basis="consent")})
    assert contract.consent.lawful_basis == "contract"
    assert [c for c in Channel if needs_opt_in(c, contract)] == [Channel.WHATSAPP]
    assert {c for c in Channel if needs_opt_in(c, consent)} == {
        Channel.WHATSAPP,
        Channel.SMS,
        Channel.EMAIL,
    }
    point = ContactPoint(channel=Channel.TELEGRAM, address="1", opted_in_at=None)
    assert not consent_missing(point, consent)  # a Telegram chat is linked by the debtor


async def test_whatsapp_without_an_opt_in_is_not_sent_and_the_row_says_why(
    runtime: Runtime,
) -> None:
    debtor = await overdue((Channel.WHATSAPP, False))
    await plan(runtime)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.CANCELLED: 1}
    assert sent_on(runtime, Channel.WHATSAPP) == []
    row = await Message.get(debtor_id=debtor.id, direction=Direction.OUTBOUND)
    assert row.status is MessageStatus.CANCELLED
    assert row.last_error == "WhatsApp: no opt-in recorded"
    # The step stays planned: the next planning run does not queue it again and again.
    await plan(runtime)
    assert await Message.filter(debtor_id=debtor.id).count() == 1


async def test_whatsapp_without_an_opt_in_is_passed_over_for_the_next_channel(
    runtime: Runtime,
) -> None:
    await overdue((Channel.WHATSAPP, False), (Channel.SMS, False))
    await plan(runtime)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert sent_on(runtime, Channel.WHATSAPP) == []
    assert len(sent_on(runtime, Channel.SMS)) == 1  # the contract is the basis for SMS


async def test_whatsapp_with_an_opt_in_is_sent(runtime: Runtime) -> None:
    await overdue((Channel.WHATSAPP, True))
    await plan(runtime)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert len(sent_on(runtime, Channel.WHATSAPP)) == 1


async def test_under_consent_sms_and_email_need_an_opt_in_too(runtime: Runtime) -> None:
    consent_basis(runtime)
    await overdue((Channel.SMS, False), (Channel.EMAIL, True))
    await plan(runtime)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.SENT: 1}
    assert sent_on(runtime, Channel.SMS) == []
    assert len(sent_on(runtime, Channel.EMAIL)) == 1


async def test_under_consent_nothing_goes_without_any_opt_in(runtime: Runtime) -> None:
    consent_basis(runtime)
    debtor = await overdue((Channel.SMS, False), (Channel.EMAIL, False))
    await plan(runtime)
    assert await Dispatcher(runtime).drain() == {DispatchOutcome.CANCELLED: 1}
    row = await Message.get(debtor_id=debtor.id, direction=Direction.OUTBOUND)
    assert row.last_error == "E-mail: no opt-in recorded; SMS: no opt-in recorded"


# --- answers on WhatsApp ---------------------------------------------------------------------


async def test_an_answer_on_whatsapp_without_an_opt_in_is_not_sent(
    settings: Settings, db: str
) -> None:
    point = await debtor_with(Channel.WHATSAPP, opted_in=False)
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}", f"whatsapp:{WHATSAPP_FROM}", "Ciao"
        )
        assert (await stack.inbound(params)).status_code == 200
        assert stack.fake.requests == []
    [reply] = await Message.filter(contact_point_id=point.id, direction=Direction.OUTBOUND)
    assert reply.status is MessageStatus.CANCELLED
    assert reply.last_error == "WhatsApp: no opt-in recorded"


async def test_start_on_whatsapp_records_the_opt_in_and_its_source(
    settings: Settings, db: str
) -> None:
    point = await debtor_with(Channel.WHATSAPP, opted_in=False)
    async with twilio_stack(settings) as stack:
        params = stack.fake.inbound_params(
            f"whatsapp:{DEBTOR_PHONE}", f"whatsapp:{WHATSAPP_FROM}", "START"
        )
        assert (await stack.inbound(params)).status_code == 200
        [confirmation] = stack.fake.requests
    stored = await ContactPoint.get(id=point.id)
    assert stored.opted_in_at is not None and stored.opt_in_source == KEYWORD_OPT_IN_SOURCE
    assert confirmation["To"] == f"whatsapp:{DEBTOR_PHONE}"
    assert "Body" in confirmation  # the debtor just wrote: inside the 24-hour window


# --- preview and staff card ------------------------------------------------------------------


async def test_the_preview_says_which_contact_points_are_skipped_and_why(
    runtime: Runtime,
) -> None:
    only_whatsapp = await overdue((Channel.WHATSAPP, False))
    both = await overdue((Channel.WHATSAPP, False), (Channel.SMS, False))
    whatsapp = await ContactPoint.get(debtor_id=only_whatsapp.id)

    text = render_preview(await build_preview(runtime), runtime)

    assert await Message.all().count() == 0
    name = only_whatsapp.name
    why = "not sent: WhatsApp: no opt-in recorded"
    assert f"{name} (#{only_whatsapp.id})  overdue_1  {why}" in text
    assert f"{name} (#{both.id})  overdue_1  sms +39333" in text
    assert "Contact points skipped: 2" in text
    line = f"{name} (#{only_whatsapp.id}): WhatsApp: no opt-in recorded ({whatsapp.address})"
    assert line in text


@pytest.mark.parametrize(
    ("language", "words"),
    [("it", "WhatsApp: nessun consenso registrato"), ("en", "WhatsApp: no opt-in recorded")],
)
async def test_the_staff_card_says_why_a_contact_point_is_skipped(
    runtime: Runtime, language: str, words: str
) -> None:
    debtor = await overdue((Channel.WHATSAPP, False), (Channel.SMS, False))
    whatsapp = await ContactPoint.get(debtor_id=debtor.id, channel=Channel.WHATSAPP)
    card = render("staff/debtor.txt", language, **await debtor_report(debtor, runtime.policy))
    assert f"⛔ {words} ({whatsapp.address})" in card.splitlines()
    assert "SMS" not in card  # the contract is the basis for SMS: nothing to say

    await ContactPoint.filter(id=whatsapp.id).update(opted_in_at=NOW, opt_in_source="modulo web")
    card = render("staff/debtor.txt", language, **await debtor_report(debtor, runtime.policy))
    assert "⛔" not in card


# --- the policy ------------------------------------------------------------------------------


def test_the_policy_names_its_lawful_basis() -> None:
    text = EXAMPLE_POLICY.read_text()
    policy = parse_policy(text.replace('lawful_basis = "contract"', 'lawful_basis = "consent"'))
    assert policy.consent.lawful_basis == "consent"
    assert "Lawful basis: consent; a recorded opt-in is needed on WhatsApp, SMS and e-mail" in (
        describe_policy(policy)
    )
    assert "Lawful basis: contract; a recorded opt-in is needed on WhatsApp" in describe_policy(
        load_policy(EXAMPLE_POLICY)
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text.replace('lawful_basis = "contract"', 'lawful_basis = "legitimate"'))
    assert any("consent.lawful_basis" in error for error in caught.value.errors)


# --- the importer ----------------------------------------------------------------------------

HEADER = "external_ref,name,whatsapp,phone,email,whatsapp_opt_in_date,whatsapp_opt_in_source"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run(debtors: Path) -> ImportReport:
    return await run_import(
        debtors=debtors,
        invoices=None,
        dry_run=False,
        default_language="it",
        default_timezone="Europe/Rome",
    )


@pytest.fixture
def frozen(db: str) -> FrozenClock:
    clock = FrozenClock(NOW)
    product_clock.install(clock)
    return clock


async def test_the_importer_records_an_opt_in_at_noon_of_its_day_with_its_source(
    frozen: FrozenClock, tmp_path: Path
) -> None:
    file = write(
        tmp_path / "d.csv",
        HEADER,
        "C1,Bar Sport,+39 333 101 2034,,,12/03/2025,modulo d'ordine firmato",
        "C2,Trattoria,+39 333 101 2035,,,,",
    )
    report = await run(file)
    assert report.problems == [] and report.contact_points.created == 2
    signed = await ContactPoint.get(address="+393331012034")
    assert signed.opted_in_at == dt.datetime(2025, 3, 12, 11, 0, tzinfo=dt.UTC)  # 12:00 in Rome
    assert signed.opt_in_source == "modulo d'ordine firmato"
    unsigned = await ContactPoint.get(address="+393331012035")
    assert unsigned.opted_in_at is None and unsigned.opt_in_source == ""

    # Again with the opt-in for the second number and nothing for the first: one update.
    write(
        file,
        HEADER,
        "C1,Bar Sport,+39 333 101 2034,,,,",
        "C2,Trattoria,+39 333 101 2035,,,2025-09-02,richiesta al banco",
    )
    report = await run(file)
    assert report.problems == []
    assert (report.contact_points.updated, report.contact_points.unchanged) == (1, 1)
    assert (await ContactPoint.get(address="+393331012034")).opted_in_at == signed.opted_in_at
    second = await ContactPoint.get(address="+393331012035")
    assert second.opt_in_source == "richiesta al banco"
    assert second.opted_in_at == dt.datetime(2025, 9, 2, 10, 0, tzinfo=dt.UTC)  # summer time


async def test_bad_opt_in_values_are_named_with_their_line_and_nothing_is_written(
    frozen: FrozenClock, tmp_path: Path
) -> None:
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    file = write(
        tmp_path / "d.csv",
        HEADER + ",email_opt_in_date,email_opt_in_source",
        "C1,Uno,+39 333 101 2031,,,31/02/2025,modulo web,,",
        "C2,Due,+39 333 101 2032,,,,modulo web,,",
        "C3,Tre,+39 333 101 2033,,,2025-03-12,,,",
        "C4,Quattro,,+39 333 101 2034,,2025-03-12,modulo web,,",
        f"C5,Cinque,+39 333 101 2035,,,{tomorrow},modulo web,,",
        f"C6,Sei,+39 333 101 2036,,,2025-03-12,{'x' * 101},,",
        "C7,Sette,,,a@b.example,,,ieri,newsletter",
    )
    report = await run(file)
    assert [problem.render() for problem in sorted(report.problems)] == [
        f"{file}:2: whatsapp_opt_in_date: '31/02/2025' is not a real date",
        f"{file}:3: whatsapp_opt_in_date: the opt-in date is required with its source",
        f"{file}:4: whatsapp_opt_in_source: say how the opt-in was given (e.g. modulo web, "
        "contratto)",
        f"{file}:5: whatsapp_opt_in_date: an opt-in but no whatsapp address",
        f"{file}:6: whatsapp_opt_in_date: {tomorrow} is in the future",
        f"{file}:7: whatsapp_opt_in_source: longer than 100 characters",
        f"{file}:8: email_opt_in_date: 'ieri' is not a date (write 2026-11-23 or 23/11/2026)",
    ]
    assert await ContactPoint.all().count() == 0


async def test_the_example_file_gives_every_whatsapp_contact_an_opt_in(
    frozen: FrozenClock,
) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "debtors.csv"
    report = await run(examples)
    assert report.problems == []
    whatsapp = await ContactPoint.filter(channel=Channel.WHATSAPP)
    assert whatsapp and all(p.opted_in_at and p.opt_in_source for p in whatsapp)
