"""Channel benchmarks: sending within the providers' limits, and inbound webhook throughput.

    .venv/bin/python bench/send.py [--seconds 60] [--parts telegram_send,telegram_inbound]
                                   [--inbound-rate 300] [--database-url URL] [--profile FILE]

Parts (each a function in PARTS; a channel adds its own there):
- telegram_send: the Telegram sender (python-telegram-bot with its AIORateLimiter) sends to many
  chats for --seconds against the fake Bot API server (tests/providers/telegram/fake_telegram.py),
  which enforces Telegram's 30 messages per second over a sliding one-second window and answers 429
  beyond it.
  Goal (issue 3): at least 28.5 messages/s achieved, zero 429s.
- telegram_inbound: the web process runs as production runs it, in its own process
  (bench/inbound_server.py: bot.processes.serve_web, uvicorn with httptools on uvloop), so the
  load generator does not share its CPU. This process migrates and seeds the database (SQLite
  file, or --database-url, whose public schema is DROPPED), runs the fake Bot API, starts the
  server and waits for GET /health. Updates then go over HTTP/1.1 keep-alive on 127.0.0.1, with
  the real secret header, through a minimal hand-written client (httpx would cost ~0.5 ms of CPU
  per request on a machine whose cores the server needs): first one at a time, then open loop at
  --inbound-rate per second, each update due at start + n/rate whatever the previous one's
  latency. Latency counts from the due time, so waiting for a connection counts (no coordinated
  omission); service time counts from the request's write. Each update goes through the shape
  check, the webhook's direct path (bot/providers/telegram/events.py: the bench's texts and button
  presses are all plain debtor updates; PTB's Application takes the rest), the inbound
  normalisation, the database and the flow engine. The server's CPU
  (utime + stime from /proc/<pid>/stat) is measured over the open-loop run. Replies are recorded
  by the server's sandbox sender: at 300 updates/s the replies are bound by Telegram's 30/s
  outbound limit and belong to the outbox, not to the webhook's latency. Button presses are
  answered in the webhook's response (answerCallbackQuery for Telegram to make), as production
  does; `callback_answers` counts those. Goal: at least 300 updates/s
  with p95 latency under 20 ms, in one web process. With --profile FILE the server runs under
  cProfile and writes its stats there (bench/inbound_server.py tells how to read them; its CPU
  and latency figures are then the profiler's, not the product's).

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake servers live in tests/

from bench.inbound_server import SECRET, TOKEN, bench_settings  # noqa: E402
from bench.sms import percentile  # noqa: E402
from bot import db  # noqa: E402
from bot.channels.base import OutgoingMessage, SendError  # noqa: E402
from bot.models import Channel, ContactPoint, Debtor, Invoice  # noqa: E402
from bot.processes import run_main  # noqa: E402
from bot.providers.telegram.sender import TelegramSender  # noqa: E402
from bot.providers.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH  # noqa: E402
from tests.providers.telegram.fake_telegram import FakeTelegram  # noqa: E402
from tests.providers.telegram.telegram_updates import button_update, message_update  # noqa: E402

TELEGRAM_LIMIT = 30  # messages per second, as Telegram documents it
SEND_WORKERS = 8  # concurrent senders: enough to keep the limiter busy, few to drain at the end
LINKED_CHATS = 200
CALIBRATION = 200  # updates timed one at a time before the open-loop run
MAX_CONNECTIONS = 256  # to the server under test; more updates in flight wait for one


async def telegram_send(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fake = await FakeTelegram(TOKEN, max_messages_per_second=TELEGRAM_LIMIT).start()
    settings = bench_settings("sqlite://:memory:", fake.base_url, workdir)
    sender = TelegramSender.from_settings(settings)
    errors: dict[str, int] = {}
    sent = 0
    deadline = 0.0

    async def worker(number: int) -> None:
        nonlocal sent
        chat = 100_000 + number
        while time.monotonic() < deadline:
            message = OutgoingMessage(
                channel=Channel.TELEGRAM, address=str(chat), text=f"Promemoria {sent}"
            )
            try:
                await sender.send(message)
                sent += 1
            except SendError as exc:
                errors[exc.outcome.value] = errors.get(exc.outcome.value, 0) + 1
            chat += SEND_WORKERS

    await sender.bot.initialize()  # getMe before the clock starts
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(*(worker(n) for n in range(SEND_WORKERS)))
    elapsed = time.monotonic() - started
    await sender.close()
    await fake.stop()
    rate = sent / elapsed
    # As Telegram would see it: messages per second between the first and the last arrival.
    arrivals = [call.at for call in fake.calls_to("sendMessage")]
    steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    print(f"telegram send: {sent} in {elapsed:.1f} s = {rate:.2f}/s, 429s: {fake.rate_limited}")
    return {
        "seconds": round(elapsed, 1),
        "messages": sent,
        "messages_per_second": round(rate, 2),
        "messages_per_second_at_server": round(steady, 2),
        "server_429s": fake.rate_limited,
        "send_errors": errors,
        "goal_met": rate >= 28.5 and fake.rate_limited == 0 and not errors,
    }


def _update(number: int) -> dict[str, Any]:
    """Mostly linked debtors writing (each owes an overdue invoice: "ho pagato ieri" starts a
    payment claim, and the next message finds it waiting for a receipt), some pressing "pay now"
    (a pay link is made), some strangers."""
    kind = number % 10
    if kind == 0:
        return button_update(number, 500_000 + number % LINKED_CHATS, "pay_now")
    if kind == 1:
        return message_update(number, 900_000 + number, "chi siete?")
    return message_update(number, 500_000 + number % LINKED_CHATS, "ho pagato ieri")


async def _seed_database(url: str) -> None:
    """A fresh, migrated database with the linked debtors, each owing an overdue invoice; closed
    again for the server's use."""
    await db.recreate(url)
    await db.connect(url)
    try:
        for number in range(LINKED_CHATS):
            debtor = await Debtor.create(external_ref=f"B{number:04d}", name=f"Cliente {number}")
            await ContactPoint.create(
                debtor=debtor, channel=Channel.TELEGRAM, address=str(500_000 + number)
            )
            await Invoice.create(
                number=f"FB-{number:04d}",
                debtor=debtor,
                issue_date=dt.date(2026, 9, 1),
                due_date=dt.date(2026, 10, 1),
                amount_cents=120_000 + number,
            )
    finally:
        await db.close()


class _HttpConnection:
    """One keep-alive HTTP/1.1 connection, as little as a load generator needs.

    Requests arrive encoded; a response must carry Content-Length (Starlette's always do).
    httpx costs ~0.5 ms of CPU per request, which on two cores would come out of the server's.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reusable = True
        self.exchanges = 0  # completed on this connection

    @classmethod
    async def open(cls, port: int) -> _HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])  # b"HTTP/1.1 200 OK"
        length: int | None = None
        for line in head[:-4].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.reusable = False
        if length is None:
            raise RuntimeError(f"response without Content-Length: {head!r}")
        body = await self.reader.readexactly(length) if length else b""
        self.exchanges += 1
        return status, body

    def close(self) -> None:
        self.reusable = False
        self.writer.close()


class _ConnectionPool:
    """Idle connections reused last-in first-out; a new one when none is idle, up to `limit`."""

    def __init__(self, port: int, limit: int) -> None:
        self.port = port
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[_HttpConnection] = []
        self.opened = 0
        self.stale_retries = 0  # idle connections the server had closed (keep-alive timeout)

    async def _take(self) -> _HttpConnection:
        while self.idle:
            connection = self.idle.pop()
            if not connection.reader.at_eof():
                return connection
            connection.close()
        self.opened += 1
        return await _HttpConnection.open(self.port)

    async def exchange(self, request: bytes) -> tuple[int, bytes, float]:
        """Status, body and when the request was written (perf_counter)."""
        async with self.slots:
            while True:
                connection = await self._take()
                sent_at = time.perf_counter()
                try:
                    status, body = await connection.exchange(request)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    connection.close()
                    nothing_read = not isinstance(exc, asyncio.IncompleteReadError) or (
                        not exc.partial
                    )
                    if connection.exchanges and nothing_read:
                        # Closed by the server while idle, before it read the request: resend.
                        self.stale_retries += 1
                        continue
                    raise
                except BaseException:
                    connection.close()
                    raise
                if connection.reusable:
                    self.idle.append(connection)
                else:
                    connection.close()
                return status, body, sent_at

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process, all its threads, from /proc/<pid>/stat (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds spent busy on all cores since boot, from /proc/stat (everything but idle)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = ticks[3], ticks[4]
    busy = sum(ticks[:8]) - idle - iowait  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _InboundServer:
    """bench/inbound_server.py in its own process: the production web process, sandboxed senders."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, stderr_path: Path) -> None:
        self.process = process
        self.port = port
        self.stderr_path = stderr_path

    @classmethod
    async def start(
        cls, database_url: str, telegram_base_url: str, workdir: Path, profile: str | None = None
    ) -> _InboundServer:
        port = _free_port()
        stderr_path = workdir / "inbound_server.stderr"
        extra = ["--profile", str(Path(profile).resolve())] if profile else []
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bench" / "inbound_server.py"),
                "--database-url",
                database_url,
                "--port",
                str(port),
                "--telegram-base-url",
                telegram_base_url,
                *extra,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        return cls(process, port, stderr_path)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace").strip()

    def failure(self, what: str) -> RuntimeError:
        code = self.process.returncode
        state = "still running" if code is None else f"exit code {code}"
        pid = self.process.pid
        return RuntimeError(
            f"inbound server (pid {pid}) {what} ({state}); stderr:\n{self.stderr()}"
        )

    async def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise self.failure("died before it answered /health")
            try:
                connection = await _HttpConnection.open(self.port)
            except ConnectionError:
                await asyncio.sleep(0.05)
                continue
            try:
                status, _body = await connection.exchange(
                    f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()
                )
            except (asyncio.IncompleteReadError, ConnectionError):
                status = 0
            finally:
                connection.close()
            if status == 200:
                return
            await asyncio.sleep(0.05)
        raise self.failure(f"not healthy after {timeout:.0f} s")

    def alive_or_fail(self) -> None:
        if self.process.returncode is not None:
            raise self.failure("died during the run")

    async def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, and the JSON line it printed on the way out."""
        self.process.send_signal(signal.SIGTERM)
        try:
            stdout, _ = await asyncio.wait_for(self.process.communicate(), timeout=30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise self.failure("did not stop within 30 s of SIGTERM") from None
        lines = stdout.decode(errors="replace").strip().splitlines()
        if self.process.returncode != 0 or not lines:
            raise self.failure("stopped without its closing report")
        report: dict[str, Any] = json.loads(lines[-1])
        return report

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def _request(port: int, update: dict[str, Any]) -> bytes:
    body = json.dumps(update, separators=(",", ":")).encode()
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"{SECRET_HEADER}: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


async def telegram_inbound(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite://{workdir}/inbound.sqlite3"
    await _seed_database(url)
    fake = await FakeTelegram(TOKEN).start()
    server = await _InboundServer.start(url, fake.base_url, workdir, args.profile)
    try:
        await server.wait_healthy(timeout=60)
        try:
            figures = await _drive_inbound(args, server)
        except (OSError, asyncio.IncompleteReadError) as exc:
            # A broken connection: most likely the server died. Say so, with its stderr.
            try:
                await asyncio.wait_for(server.process.wait(), timeout=2)
            except TimeoutError:
                raise server.failure(f"broke a connection ({exc!r})") from exc
            raise server.failure("died during the run") from exc
        figures["replies_recorded"] = (await server.stop())["replies_recorded"]
    finally:
        await server.kill()
        await fake.stop()
    log_lines = server.stderr().splitlines()
    if log_lines:  # handler errors and warnings: shown, not hidden in the figures
        print("inbound server stderr (last 20 lines):", *log_lines[-20:], sep="\n", file=sys.stderr)
    figures["server_log_lines"] = len(log_lines)
    # Answered in the webhook's response; calls on the fake would mean the server made its own.
    figures["callback_answers"] += len(fake.calls_to("answerCallbackQuery"))
    figures["database"] = "postgres" if db.is_postgres_url(url) else "sqlite"
    return figures


async def _drive_inbound(args: argparse.Namespace, server: _InboundServer) -> dict[str, Any]:
    pid = server.process.pid
    pool = _ConnectionPool(server.port, MAX_CONNECTIONS)
    latencies: list[float] = []  # from each update's due time: waiting for a connection counts
    service: list[float] = []  # from the moment its request was written
    statuses: dict[int, int] = {}
    callback_answers = 0

    async def post(request: bytes, due: float) -> None:
        nonlocal callback_answers
        status, body, sent_at = await pool.exchange(request)
        done = time.perf_counter()
        latencies.append(done - due)
        service.append(done - sent_at)
        statuses[status] = statuses.get(status, 0) + 1
        callback_answers += b'"answerCallbackQuery"' in body

    try:
        await post(_request(server.port, _update(1)), time.perf_counter())  # warm-up
        # One update at a time: the whole round trip, and the server's CPU for each.
        calibration = [_request(server.port, _update(2_000_000 + n)) for n in range(CALIBRATION)]
        server_cpu = _cpu_seconds(pid)
        began = time.perf_counter()
        for request in calibration:
            await post(request, time.perf_counter())
        sequential_ms = (time.perf_counter() - began) / CALIBRATION * 1000
        sequential_server_cpu_ms = (_cpu_seconds(pid) - server_cpu) / CALIBRATION * 1000
        server.alive_or_fail()
        latencies.clear()
        service.clear()
        statuses.clear()
        callback_answers = 0

        total = int(args.seconds * args.inbound_rate)
        requests = [_request(server.port, _update(10 + n)) for n in range(total)]  # off the clock
        tasks = []
        own_cpu = time.process_time()
        server_cpu = _cpu_seconds(pid)
        machine_busy = _machine_busy_seconds()
        started = time.perf_counter()
        for number, request in enumerate(requests):
            due = started + number / args.inbound_rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(request, due)))
            if number % 100 == 0:
                server.alive_or_fail()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        server_cpu_seconds = _cpu_seconds(pid) - server_cpu
        own_cpu_seconds = time.process_time() - own_cpu
        other_cpu_seconds = _machine_busy_seconds() - machine_busy
        other_cpu_seconds -= server_cpu_seconds + own_cpu_seconds
        server.alive_or_fail()
    finally:
        pool.close()

    handled = statuses.get(200, 0)
    rate = handled / elapsed
    p50 = percentile(latencies, 0.50) * 1000
    p95 = percentile(latencies, 0.95) * 1000
    print(
        f"telegram inbound: {handled} updates in {elapsed:.1f} s = {rate:.0f}/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, statuses {statuses}, "
        f"server CPU {server_cpu_seconds / elapsed:.0%}"
    )
    return {
        "transport": "HTTP/1.1 keep-alive over 127.0.0.1 to uvicorn (uvloop, httptools), "
        "the production web process (bot.processes.serve_web) in its own process",
        "seconds": round(elapsed, 1),
        "offered_per_second": args.inbound_rate,
        "updates": handled,
        "updates_per_second": round(rate, 1),
        "latency_ms": {
            "p50": round(p50, 2),
            "p95": round(p95, 2),
            "p99": round(percentile(latencies, 0.99) * 1000, 2),
            "mean": round(statistics.fmean(latencies) * 1000, 2),
        },
        "service_ms": {
            "p50": round(percentile(service, 0.50) * 1000, 2),
            "p95": round(percentile(service, 0.95) * 1000, 2),
            "p99": round(percentile(service, 0.99) * 1000, 2),
        },
        "sequential_ms_per_update": round(sequential_ms, 2),
        "sequential_server_cpu_ms_per_update": round(sequential_server_cpu_ms, 2),
        # The server process alone (all its threads: event loop, aiosqlite, PTB): one such
        # process serves at most 1000 / this many updates per second, however they arrive.
        "server_cpu_ms_per_update": round(server_cpu_seconds / max(handled, 1) * 1000, 2),
        "server_cpu_utilisation": round(server_cpu_seconds / elapsed, 2),
        # The bench process: load generator plus the fake Bot API answering button presses.
        "bench_cpu_ms_per_update": round(own_cpu_seconds / max(handled, 1) * 1000, 2),
        # Everything else on the machine, in cores (PostgreSQL's backends, the kernel's network
        # work, anything else running): the server competes with it for the cores.
        "other_cpu_utilisation": round(max(other_cpu_seconds, 0.0) / elapsed, 2),
        "cores": os.cpu_count(),
        "connections_opened": pool.opened,
        "stale_connection_retries": pool.stale_retries,
        "statuses": {str(code): count for code, count in statuses.items()},
        "callback_answers": callback_answers,
        # Open loop at the offered rate: the server kept up when every update was answered 200
        # with a bounded p95 measured from its due time (falling behind makes the queue, and so
        # the latency, grow without bound). Throughput measured over the run's wall time stays
        # a hair under the offered rate: the last update's own latency ends the run.
        "goal_met": args.inbound_rate >= 300
        and handled == total
        and p95 < 20
        and set(statuses) == {200},
    }


Part = Callable[[argparse.Namespace, Path], Awaitable[dict[str, Any]]]
PARTS: dict[str, Part] = {
    "telegram_send": telegram_send,
    "telegram_inbound": telegram_inbound,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each timed part")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}"
    )
    parser.add_argument("--inbound-rate", type=float, default=300.0, help="updates offered per s")
    parser.add_argument("--database-url", help="PostgreSQL scratch database (schema is DROPPED)")
    parser.add_argument("--profile", help="telegram_inbound: the server's cProfile stats file")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.parts.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")

    figures: dict[str, Any] = {"bench": "send", "seconds_per_part": args.seconds}
    with tempfile.TemporaryDirectory(prefix="sollecito-bench-") as tmp:
        for name in chosen:
            figures[name] = run_main(PARTS[name](args, Path(tmp)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
