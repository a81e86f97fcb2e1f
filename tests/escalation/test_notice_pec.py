"""The approved notice over the wire: the outbox worker sends it from the PEC mailbox (SMTP over
implicit TLS with login, certificate verified) to a local PEC server; what arrives is checked:
the recipient, the PDF attached byte for byte, and the Message-ID the PEC receipts will be matched
by, which is the outbox row's provider id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.sandbox import SandboxSender
from bot.decisions.notices import approve_notice
from bot.demo_pec_server import PASSWORD, USER, PecServer
from bot.models import Channel, FormalNotice, Message, MessageStatus, NoticeStatus, StaffMember
from bot.providers.email.pec import with_pec
from scheduler.cadence import plan
from scheduler.dispatch import Dispatcher
from tests.escalation.notice_data import debtor_at_final_step, notice_runtime, pdf_text, plain
from tests.support.scheduler_data import senders

# aiosmtpd counts only STARTTLS as TLS and warns about login over implicit TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def pec_server(tmp_path: Path) -> Iterator[PecServer]:
    server = PecServer(tmp_path / "tls")
    server.start()
    yield server
    server.stop()


async def test_the_notice_goes_by_pec_over_tls_with_the_pdf(settings, db, pec_server) -> None:
    chans = senders()
    runtime = notice_runtime(
        settings,
        chans,
        pec_smtp_host="127.0.0.1",
        pec_smtp_port=pec_server.port,
        pec_smtp_user=USER,
        pec_smtp_password=PASSWORD,
        pec_smtp_from=f"Forniture Bianchi <{USER}>",
        pec_smtp_security="tls",
    )
    pair = with_pec(runtime.settings, SandboxSender(Channel.EMAIL))
    pair.pec.cert_bundle = str(pec_server.certificate)  # type: ignore[attr-defined]
    runtime.senders[Channel.EMAIL] = pair
    case = await debtor_at_final_step()
    await plan(runtime)
    notice = await FormalNotice.get(debtor_id=case.debtor.id)
    staff = await StaffMember.create(telegram_user_id=7, name="Anna")
    await approve_notice(runtime, notice, staff)
    await Dispatcher(runtime).drain()

    ((recipients, received),) = pec_server.mailbox.received
    await notice.refresh_from_db()
    row = await Message.get(id=notice.message_id)
    assert row.status is MessageStatus.SENT and notice.status is NoticeStatus.SENT
    assert recipients == [notice.address] and notice.address.endswith(".pec@example.it")
    assert received["Message-ID"] == row.provider_id
    assert USER in received["From"]
    assert "2026/0001" in received["Subject"]
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "diffida-2026-0001.pdf"
    content = attachment.get_content()
    assert content == Path(notice.pdf_path).read_bytes()
    assert "a mezzo PEC: " + notice.address in plain(pdf_text(content))


async def test_a_refused_pec_login_fails_loudly(settings, db, pec_server) -> None:
    runtime = notice_runtime(
        settings,
        senders(),
        pec_smtp_host="127.0.0.1",
        pec_smtp_port=pec_server.port,
        pec_smtp_user=USER,
        pec_smtp_password="wrong",
        pec_smtp_from=USER,
    )
    pair = with_pec(runtime.settings, SandboxSender(Channel.EMAIL))
    pair.pec.cert_bundle = str(pec_server.certificate)  # type: ignore[attr-defined]
    runtime.senders[Channel.EMAIL] = pair
    await debtor_at_final_step(email=False)
    await plan(runtime)
    notice = await FormalNotice.get()
    await approve_notice(runtime, notice, await StaffMember.create(telegram_user_id=7, name="A"))
    await Dispatcher(runtime).run_once()
    row = await Message.get(id=(await FormalNotice.get(id=notice.id)).message_id)
    assert pec_server.mailbox.received == []
    # 535: no retry will fix a wrong password, and no other channel may carry a notice.
    assert row.status is MessageStatus.FAILED and "535" in row.last_error
    alerts = await Message.filter(audience="staff", template="staff/delivery_failed.txt")
    assert len(alerts) == 1
