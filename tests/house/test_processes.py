"""The long-running processes as an operator starts them: `python -m bot run` and `serve`.

Each test starts the real command in a child process, talks to it over HTTP (and, for Telegram,
through the fake Bot API by long polling), then stops it with SIGTERM and expects a clean exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx

from tests.providers.telegram.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:process-test"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_environment(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEST_", "DATABASE", "TELEGRAM", "TWILIO", "STRIPE", "SMTP"))
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite://{tmp_path}/run.sqlite3",
        VAR_DIR=str(tmp_path / "var"),
        POLICY_FILE=str(ROOT / "policy.toml"),
        HTTP_PORT=str(port),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return environment


async def start(command: str, environment: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def migrate(environment: dict[str, str]) -> None:
    process = await start("migrate", environment)
    assert await process.wait() == 0


async def wait_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                _, err = await process.communicate()
                raise AssertionError(f"exited early: {err.decode()}")
            try:
                response = await client.get(f"http://127.0.0.1:{port}/health")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("never became healthy")


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, err.decode()


async def test_run_serves_health_polls_telegram_and_stops_cleanly(tmp_path: Path) -> None:
    fake = await FakeTelegram(TOKEN).start()
    port = free_port()
    environment = child_environment(
        tmp_path, port, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url
    )
    await migrate(environment)
    process = await start("run", environment)
    try:
        await wait_healthy(port, process)
        # No PUBLIC_BASE_URL: Telegram arrives by long polling. A stranger's /start gets a
        # polite answer that names nobody.
        chat = {"id": 5550001, "type": "private", "first_name": "Ada"}
        fake.push_update(
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": {"id": 5550001, "is_bot": False, "first_name": "Ada"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
        )
        deadline = time.monotonic() + 30
        while not fake.texts_to(5550001) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert fake.texts_to(5550001), "the polled /start got no answer"
        code, err = await stop(process)
        assert code == 0, err
        assert "Traceback" not in err
    finally:
        if process.returncode is None:
            process.kill()
        await fake.stop()


async def test_serve_registers_the_webhook_and_refuses_unsigned_calls(tmp_path: Path) -> None:
    fake = await FakeTelegram(TOKEN).start()
    port = free_port()
    environment = child_environment(
        tmp_path,
        port,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        PUBLIC_BASE_URL="https://sollecito.example",
        TWILIO_ACCOUNT_SID="AC00000000000000000000000000000000",
        TWILIO_AUTH_TOKEN="tok",
        TWILIO_SMS_FROM="+390212345678",
    )
    await migrate(environment)
    process = await start("serve", environment)
    try:
        await wait_healthy(port, process)
        assert fake.webhook.get("url") == "https://sollecito.example/telegram/webhook"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            forged = await client.post("/telegram/webhook", json={"update_id": 1})
            assert forged.status_code == 403
            unsigned = await client.post("/twilio/inbound", data={"From": "+393331234567"})
            assert unsigned.status_code == 403
        code, err = await stop(process)
        assert code == 0, err
    finally:
        if process.returncode is None:
            process.kill()
        await fake.stop()


async def test_an_unmigrated_database_stops_run_with_a_hint(tmp_path: Path) -> None:
    process = await start("run", child_environment(tmp_path, free_port()))
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "run `python -m bot migrate` first" in err.decode()
