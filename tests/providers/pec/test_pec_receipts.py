"""PEC receipts read over IMAP from a local IMAP4rev1 server, built to the published format:
recognised, matched to the notice's outbound e-mail row, stored with their files, told to staff;
nothing read twice, nothing missed after a restart or a new UIDVALIDITY; hostile XML refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.escalation.evidence import case_folder
from bot.escalation.pec_format import read_receipt
from bot.escalation.pec_receipts import poll_mailbox
from bot.models import Channel, Debtor, Direction, Message, MessageStatus, PecMailbox, PecReceipt
from bot.providers.pec.imap import ImapError
from bot.providers.pec.local_imap import LocalImapServer
from bot.providers.pec.sample_receipts import ordinary_email
from bot.texts import render
from scheduler.rendering import as_dates
from tests.providers.pec.fake_imap import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    USER,
    receipt,
    self_signed,
    settings_for,
    spec,
    start_server,
)
from tests.providers.pec.fake_imap import receipt_email as build

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
ROME_WINTER = dt.timezone(dt.timedelta(hours=1))
AT = dt.datetime(2026, 12, 3, 10, 15, 2, tzinfo=ROME_WINTER)
MSGID = "<5f1c0e.sollecito@azienda.example.it>"
OTHER_MSGID = "<77aa01.sollecito@azienda.example.it>"


@pytest.fixture
def server() -> Iterator[LocalImapServer]:
    imap = start_server()
    yield imap
    imap.stop()


async def _notice(ref: str, msgid: str) -> tuple[Debtor, Message]:
    debtor = await Debtor.create(external_ref=ref, name=f"Debitore {ref} S.r.l.")
    row = await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        channel=Channel.EMAIL,
        template="escalation/notice",
        status=MessageStatus.SENT,
        provider_id=msgid,
        sent_at=NOW,
    )
    return debtor, row


def _alerts() -> list[Message]:
    return Message.filter(audience="staff").order_by("id")  # type: ignore[return-value]


def test_a_receipt_is_read_from_its_headers_and_daticert() -> None:
    parsed = read_receipt(receipt("avvenuta-consegna", MSGID, AT))
    assert parsed is not None and parsed.problem == ""
    assert parsed.kind == "avvenuta-consegna" and parsed.referenced_msgid == MSGID
    assert parsed.daticert is not None
    assert parsed.daticert.issued_at == AT
    assert parsed.daticert.msgid == MSGID
    assert parsed.recipient == "rossi@pec.rossi.example.it"
    assert parsed.daticert.provider == "Gestore PEC di esempio S.p.A."
    assert read_receipt(ordinary_email("a@b.it", USER, "Ciao", AT)) is None


@pytest.mark.parametrize(
    ("xml", "why"), [(BILLION_LAUGHS, "DTDForbidden"), (EXTERNAL_ENTITY, "DTDForbidden")]
)
def test_hostile_xml_is_refused_never_expanded(xml: bytes, why: str) -> None:
    parsed = read_receipt(build(spec("avvenuta-consegna", MSGID, AT), xml=xml))
    assert parsed is not None and parsed.daticert is None
    assert why in parsed.problem and "daticert.xml refused" in parsed.problem
    assert "lol" not in parsed.problem and "root:" not in parsed.problem


def test_a_daticert_whose_tipo_contradicts_the_header_is_not_trusted() -> None:
    xml = receipt("errore-consegna", MSGID, AT).split(b"daticert.xml")[0]  # any bytes: rebuilt
    assert xml
    forged = build(spec("avvenuta-consegna", MSGID, AT), xml=_daticert_of("errore-consegna"))
    parsed = read_receipt(forged)
    assert parsed is not None and "tipo='errore-consegna'" in parsed.problem


def _daticert_of(kind: str) -> bytes:
    from bot.providers.pec.sample_receipts import daticert_xml

    return daticert_xml(spec(kind, MSGID, AT))


async def test_poll_records_matches_files_and_tells_staff(
    db: str, settings: Settings, server: LocalImapServer
) -> None:
    rossi, notice = await _notice("C-001", MSGID)
    bianchi, other = await _notice("C-002", OTHER_MSGID)
    delivered = receipt("avvenuta-consegna", MSGID, AT + dt.timedelta(minutes=1))
    for raw in (
        receipt("accettazione", MSGID, AT),
        delivered,
        delivered,  # the same receipt twice in the mailbox
        ordinary_email("cliente@example.it", USER, "Una domanda", AT),
        receipt(
            "errore-consegna",
            OTHER_MSGID,
            AT,
            recipient="bianchi@pec.bianchi.example.it",
            errore="no-dest",
            error_text="5.1.1 - casella inesistente",
        ),
        receipt("avvenuta-consegna", "<not-ours@elsewhere.example.it>", AT),
        build(
            spec("avvenuta-consegna", MSGID, AT, identificativo="x"),
            xml=BILLION_LAUGHS,
            own_id="<hostile@pec.example.it>",
        ),
    ):
        server.mailbox.add(raw)
    pec = settings_for(settings, server)

    counts = await poll_mailbox(pec, lambda: NOW)

    assert counts == {"recorded": 3, "duplicate": 1, "not_receipt": 1, "unmatched": 1, "refused": 1}
    rows = await PecReceipt.all().order_by("id")
    assert [(r.kind, r.message_id, r.debtor_id) for r in rows[:3]] == [  # type: ignore[attr-defined]
        ("accettazione", notice.id, rossi.id),
        ("avvenuta-consegna", notice.id, rossi.id),
        ("errore-consegna", other.id, bianchi.id),
    ]
    consegna = rows[1]
    assert consegna.issued_at == AT + dt.timedelta(minutes=1)
    assert consegna.recipient == "rossi@pec.rossi.example.it"
    folder = case_folder(pec.var_dir, "C-001") / "receipts"
    assert Path(consegna.eml_path).parent == folder
    assert Path(consegna.eml_path).read_bytes() == delivered
    assert b'tipo="avvenuta-consegna"' in Path(consegna.xml_path).read_bytes()
    unmatched, hostile = rows[3], rows[4]
    assert unmatched.message_id is None and Path(unmatched.eml_path).exists()  # type: ignore[attr-defined]
    assert hostile.error == "refused" and hostile.xml_path == ""
    assert "unmatched" in hostile.eml_path

    alerts = await _alerts()
    assert [a.template for a in alerts] == [
        "staff/pec_delivered.txt",
        "staff/pec_failed.txt",
        "staff/pec_unmatched.txt",
        "staff/pec_unmatched.txt",
    ]
    texts = [render(a.template, "it", **as_dates(a.context)) for a in alerts]
    assert "Debitore C-001 S.r.l. (C-001)" in texts[0]
    assert (
        "consegnata all'indirizzo rossi@pec.rossi.example.it il 3 dicembre 2026 alle 10:16:02 +0100"
        in texts[0]
    )
    assert consegna.eml_path in texts[0]
    assert "bianchi@pec.bianchi.example.it" in texts[1] and "no-dest" in texts[1]
    assert "casella inesistente" in texts[1] and "invii di nuovo" in texts[1]
    assert "<not-ours@elsewhere.example.it>" in texts[2] and "non è stata scartata" in texts[2]
    assert "DTDForbidden" in texts[3]
    english = render(alerts[0].template, "en", **as_dates(alerts[0].context))
    assert "delivered to rossi@pec.rossi.example.it on 3 December 2026 at 10:16:02 +0100" in english


async def test_nothing_is_read_twice_nor_missed_after_a_restart(
    db: str, settings: Settings, server: LocalImapServer
) -> None:
    await _notice("C-001", MSGID)
    pec = settings_for(settings, server)
    server.mailbox.add(receipt("accettazione", MSGID, AT))
    assert await poll_mailbox(pec, lambda: NOW) == {"recorded": 1}
    cursor = await PecMailbox.get()
    assert (cursor.uidvalidity, cursor.last_uid) == (server.mailbox.uidvalidity, 1)

    # Nothing new: "2:*" matches UID 1 (the largest) by RFC 3501, and it is not read again.
    assert await poll_mailbox(pec, lambda: NOW) == {}
    assert any(line.endswith("UID SEARCH UID 2:*") for line in server.transcript)
    assert not any("FETCH 1 " in line for line in server.transcript[-3:])

    server.mailbox.add(receipt("avvenuta-consegna", MSGID, AT))
    assert await poll_mailbox(pec, lambda: NOW) == {"recorded": 1}
    assert await PecReceipt.all().count() == 2

    # The folder recreated with a new UIDVALIDITY: all read again, each one known already.
    server.mailbox.reset(uidvalidity=1800000000)
    assert await poll_mailbox(pec, lambda: NOW) == {"duplicate": 2}
    cursor = await PecMailbox.get()
    assert (cursor.uidvalidity, cursor.last_uid) == (1800000000, 2)
    assert await PecReceipt.all().count() == 2


async def test_the_mailbox_over_tls_and_a_wrong_password(
    db: str, settings: Settings, tmp_path: Path
) -> None:
    await _notice("C-001", MSGID)
    context, cert = self_signed(tmp_path)
    imap = start_server(tls=context)
    try:
        imap.mailbox.add(receipt("avvenuta-consegna", MSGID, AT))
        pec = settings_for(settings, imap, pec_imap_ca_file=cert)
        assert await poll_mailbox(pec, lambda: NOW) == {"recorded": 1}
        with pytest.raises(ImapError, match=r"AUTHENTICATIONFAILED\] invalid credentials"):
            await poll_mailbox(pec.model_copy(update={"pec_imap_password": "wrong"}), lambda: NOW)
        # Without trusting the certificate the connection is refused, not made in the clear.
        with pytest.raises(ImapError, match="connect"):
            await poll_mailbox(pec.model_copy(update={"pec_imap_ca_file": None}), lambda: NOW)
    finally:
        imap.stop()


async def test_the_mailbox_after_starttls(db: str, settings: Settings, tmp_path: Path) -> None:
    await _notice("C-001", MSGID)
    context, cert = self_signed(tmp_path)
    imap = start_server(starttls=context)
    try:
        imap.mailbox.add(receipt("avvenuta-consegna", MSGID, AT))
        pec = settings_for(settings, imap, pec_imap_ca_file=cert)
        assert pec.pec_imap_security == "starttls"
        # Without STARTTLS the password is not sent in the clear: the server refuses the LOGIN.
        with pytest.raises(ImapError, match="PRIVACYREQUIRED"):
            await poll_mailbox(pec.model_copy(update={"pec_imap_security": "none"}), lambda: NOW)
        assert await poll_mailbox(pec, lambda: NOW) == {"recorded": 1}
        assert any(line.endswith("STARTTLS") for line in imap.transcript)
    finally:
        imap.stop()
