"""A local PEC server for the demo (and the tests): SMTP over implicit TLS with login, as a PEC
provider runs it, on 127.0.0.1 and a free port, with a self-signed certificate made on the spot
for 127.0.0.1 (the `cryptography` package). It keeps every message it accepts.

Only the demo and the tests start it: aiosmtpd and cryptography are development dependencies
(`make demo` installs `.[dev]`).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import logging
import ssl
import warnings
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)

logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's per-connection chatter

USER = "bianchi@pec.example.it"
PASSWORD = "demo-pec-password"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1. OpenSSL checks the validity against the
    machine's real time, not the product clock (the demo's and the tests' are frozen elsewhere),
    so it is valid from 2000 to 2100 and reads no clock."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "pec-server.pem", folder / "pec-server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Mailbox:
    """The server's handler: accepts mail and keeps it (envelope recipients and the message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 2.0.0 Ok: queued"


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)


class PecServer(Controller):
    """aiosmtpd over implicit TLS on 127.0.0.1 and a free port (read back once it is up)."""

    def __init__(self, folder: Path) -> None:
        self.certificate, key = self_signed_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, key)
        self.mailbox = Mailbox()
        super().__init__(
            self.mailbox,
            hostname="127.0.0.1",
            port=0,
            ssl_context=context,
            authenticator=_login,
            auth_required=True,
            # The whole session is TLS (implicit TLS), which aiosmtpd's check does not see: it
            # only counts STARTTLS (and warns; that warning is silenced below).
            auth_require_tls=False,
        )

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        super()._trigger_server()
