"""The tests' PEC mailbox: the local IMAP4rev1 server of bot/providers/pec/local_imap.py (the demo
uses the same one) on 127.0.0.1, optionally over TLS with a certificate made for the test run, and
the receipts to fill it with (bot/providers/pec/sample_receipts.py), plus a hostile daticert.xml.
"""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from pathlib import Path

from bot.config import Settings
from bot.providers.pec.local_imap import LocalImapServer, Mailbox
from bot.providers.pec.sample_receipts import ReceiptSpec, receipt_email

USER = "diffide@pec.azienda.example.it"
PASSWORD = "pec-secret"

# A "billion laughs" daticert.xml: entities that expand to gigabytes if a parser lets them.
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE postacert [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<postacert tipo="avvenuta-consegna" errore="nessuno"><intestazione><mittente>&lol4;</mittente>
</intestazione><dati/></postacert>
"""
# An external entity: a parser that resolves it reads a local file into the receipt.
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE postacert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<postacert tipo="avvenuta-consegna" errore="nessuno"><intestazione><mittente>&secret;</mittente>
</intestazione><dati/></postacert>
"""


def start_server(
    *,
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    mailbox: Mailbox | None = None,
) -> LocalImapServer:
    return LocalImapServer(USER, PASSWORD, tls=tls, starttls=starttls, mailbox=mailbox).start()


def settings_for(settings: Settings, server: LocalImapServer, **more: object) -> Settings:
    update = {
        "pec_imap_host": "127.0.0.1",
        "pec_imap_port": server.port,
        "pec_imap_user": USER,
        "pec_imap_password": PASSWORD,
        "pec_imap_security": "tls" if server.tls else ("starttls" if server.starttls else "none"),
        **more,
    }
    return settings.model_copy(update=update)


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a certificate for 127.0.0.1 made by openssl, and its file (the
    client trusts it through PEC_IMAP_CA_FILE)."""
    cert, key = directory / "imap.crt", directory / "imap.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


def spec(kind: str, msgid: str, at: dt.datetime, **more: object) -> ReceiptSpec:
    base = {
        "kind": kind,
        "msgid": msgid,
        "sender": USER,
        "recipient": "rossi@pec.rossi.example.it",
        "subject": "Diffida ad adempiere - Rossi S.r.l.",
        "at": at,
        "identificativo": f"opec.{kind}.{int(at.timestamp())}@pec.example.it",
        **more,
    }
    return ReceiptSpec(**base)  # type: ignore[arg-type]


def receipt(kind: str, msgid: str, at: dt.datetime, **more: object) -> bytes:
    return receipt_email(spec(kind, msgid, at, **more))
