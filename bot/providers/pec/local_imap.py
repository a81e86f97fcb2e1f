"""A small IMAP4rev1 server on 127.0.0.1 holding one mailbox in memory: the demo's PEC mailbox
and the tests' (tests/providers/pec/fake_imap.py). It speaks the wire protocol over a real socket
(optionally TLS, implicit or after STARTTLS): CAPABILITY, STARTTLS, LOGIN, SELECT/EXAMINE (with
UIDVALIDITY and UIDNEXT), UID SEARCH, UID FETCH of RFC822 / BODY[] / BODY.PEEK[], NOOP, LOGOUT.
What it does not know it answers BAD.
"""

from __future__ import annotations

import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

CAPABILITIES = "IMAP4rev1 AUTH=PLAIN LITERAL+"
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Mailbox:
    """The messages of one folder, with their UIDs, and the folder's UIDVALIDITY."""

    uidvalidity: int = 1700000001
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    next_uid: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, raw: bytes) -> int:
        with self.lock:
            uid = self.next_uid
            self.messages.append((uid, raw))
            self.next_uid += 1
            return uid

    def reset(self, uidvalidity: int) -> None:
        """The folder recreated: new UIDVALIDITY, UIDs start again (the client must re-read)."""
        with self.lock:
            self.uidvalidity = uidvalidity
            old = [raw for _, raw in self.messages]
            self.messages = []
            self.next_uid = 1
        for raw in old:
            self.add(raw)

    def snapshot(self) -> list[tuple[int, bytes]]:
        with self.lock:
            return list(self.messages)


def uid_set(spec: str, largest: int) -> set[int] | None:
    """RFC 3501 sequence set over UIDs ("5", "5:*", "1:3,7"); '*' is the largest UID in use."""
    chosen: set[int] = set()
    try:
        for part in spec.split(","):
            low, _, high = part.partition(":")
            a = largest if low == "*" else int(low)
            b = a if not high else (largest if high == "*" else int(high))
            chosen.add(a) if a == b else chosen.update(range(min(a, b), max(a, b) + 1))
    except ValueError:
        return None
    return chosen


def _words(line: str) -> list[str]:
    """A command line as words; a quoted string is one word, unquoted."""
    words = []
    for match in _TOKEN.finditer(line):
        quoted = match.group(1)
        words.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(2))
    return words


class _Session(socketserver.StreamRequestHandler):
    server: LocalImapServer

    def capabilities(self) -> str:
        offer = self.server.starttls is not None and not self.tls_on
        return CAPABILITIES + (" STARTTLS LOGINDISABLED" if offer else "")

    def handle(self) -> None:
        self.selected = False
        self.authed = False
        self.tls_on = self.server.tls is not None
        self.send("* OK [CAPABILITY " + self.capabilities() + "] local IMAP4rev1 ready")
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            self.server.transcript.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            words = _words(line.decode("utf-8", "replace"))
            if len(words) < 2:
                self.send("* BAD empty command")
                continue
            tag, command, args = words[0], words[1].upper(), words[2:]
            if not self.dispatch(tag, command, args):
                return

    def send(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def dispatch(self, tag: str, command: str, args: list[str]) -> bool:
        if command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        if command == "CAPABILITY":
            self.send("* CAPABILITY " + self.capabilities())
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "STARTTLS" and self.server.starttls is not None and not self.tls_on:
            self.send(f"{tag} OK begin TLS negotiation now")
            self.wfile.flush()
            self.request = self.server.starttls.wrap_socket(self.request, server_side=True)
            self.rfile = self.request.makefile("rb")
            self.wfile = self.request.makefile("wb", buffering=0)
            self.tls_on = True
        elif command == "LOGIN" and self.server.starttls is not None and not self.tls_on:
            self.send(f"{tag} NO [PRIVACYREQUIRED] STARTTLS first")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGIN":
            self.login(tag, args)
        elif not self.authed:
            self.send(f"{tag} NO not authenticated")
        elif command in ("SELECT", "EXAMINE"):
            self.select(tag, command, args)
        elif command == "UID" and self.selected and args:
            self.uid(tag, args[0].upper(), args[1:])
        else:
            self.send(f"{tag} BAD {command} not supported here")
        return True

    def login(self, tag: str, args: list[str]) -> None:
        if args[:2] == [self.server.user, self.server.password]:
            self.authed = True
            self.send(f"{tag} OK LOGIN completed")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")

    def select(self, tag: str, command: str, args: list[str]) -> None:
        if not args or args[0].upper() != self.server.folder.upper():
            self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
            return
        box = self.server.mailbox
        messages = box.snapshot()
        self.selected = True
        self.send(f"* {len(messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {box.next_uid}] predicted next UID")
        mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {command} completed")

    def uid(self, tag: str, sub: str, args: list[str]) -> None:
        messages = self.server.mailbox.snapshot()
        largest = messages[-1][0] if messages else 0
        if sub == "SEARCH":
            spec = (
                args[1] if len(args) > 1 and args[0].upper() == "UID" else (args[0] if args else "")
            )
            if args and args[0].upper() == "ALL":
                spec = "1:*"
            wanted = uid_set(spec, largest)
            if wanted is None:
                self.send(f"{tag} BAD UID SEARCH: a UID set expected")
                return
            found = " ".join(str(uid) for uid, _ in messages if uid in wanted)
            self.send(f"* SEARCH{' ' + found if found else ''}")
            self.send(f"{tag} OK UID SEARCH completed")
        elif sub == "FETCH" and len(args) >= 2:
            self.fetch(tag, messages, largest, args[0], " ".join(args[1:]).upper())
        else:
            self.send(f"{tag} BAD UID {sub} not supported here")

    def fetch(
        self, tag: str, messages: list[tuple[int, bytes]], largest: int, spec: str, items: str
    ) -> None:
        wanted = uid_set(spec, largest)
        if wanted is None or not any(k in items for k in ("RFC822", "BODY[]", "BODY.PEEK[]")):
            self.send(f"{tag} BAD UID FETCH: a UID set and RFC822 or BODY.PEEK[] expected")
            return
        name = "RFC822" if "RFC822" in items else "BODY[]"
        for seq, (uid, raw) in enumerate(messages, start=1):
            if uid in wanted:
                self.wfile.write(f"* {seq} FETCH (UID {uid} {name} {{{len(raw)}}}\r\n".encode())
                self.wfile.write(raw + b")\r\n")
        self.send(f"{tag} OK UID FETCH completed")


class LocalImapServer(socketserver.ThreadingTCPServer):
    """The server on 127.0.0.1 and a free port; `start()` serves in a thread, `stop()` ends it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        user: str,
        password: str,
        *,
        folder: str = "INBOX",
        tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
        mailbox: Mailbox | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.user, self.password, self.folder = user, password, folder
        self.tls = tls  # implicit TLS from the first byte (port 993's way)
        self.starttls = starttls  # plain first, TLS after STARTTLS; LOGIN refused before it
        self.mailbox = mailbox or Mailbox()
        self.transcript: list[str] = []
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address

    def start(self) -> LocalImapServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
