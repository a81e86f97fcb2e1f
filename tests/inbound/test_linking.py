"""Deep-link tokens: signed, single-use, expiring, short enough for Telegram's start parameter."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.linking import (
    PLACEHOLDER_BOT_USERNAME,
    LinkOutcome,
    deep_link,
    issue_link,
    issue_token,
    redeem,
    sign,
    verified_nonce,
)
from bot.models import Channel, ContactPoint, Debtor, LinkToken

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
KEY = b"test-secret-key"


async def _debtor(ref: str = "C042") -> Debtor:
    return await Debtor.create(external_ref=ref, name="Rossi Impianti S.r.l.")


async def test_token_fits_telegrams_start_parameter(db: str) -> None:
    token = await issue_token(await _debtor(), KEY, NOW, WEEK)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    assert deep_link("@sollecito_bot", token) == f"https://t.me/sollecito_bot?start={token}"


@given(st.text(max_size=80))
def test_arbitrary_text_is_never_a_valid_token(text: str) -> None:
    assert verified_nonce(text, KEY) is None or text == sign(text[:22], KEY)


def test_a_token_signed_with_another_key_is_rejected() -> None:
    nonce = "A" * 22
    assert verified_nonce(sign(nonce, KEY), KEY) == nonce
    assert verified_nonce(sign(nonce, b"another key"), KEY) is None


async def test_a_token_links_once(db: str) -> None:
    debtor = await _debtor()
    token = await issue_token(debtor, KEY, NOW, WEEK)

    first = await redeem(token, "1001", KEY, NOW)
    assert first.outcome is LinkOutcome.LINKED and first.debtor and first.debtor.id == debtor.id
    point = await ContactPoint.get(debtor=debtor, channel=Channel.TELEGRAM)
    assert point.address == "1001" and point.verified_at == NOW

    second = await redeem(token, "2002", KEY, NOW + dt.timedelta(minutes=1))
    assert second.outcome is LinkOutcome.USED and second.debtor is None
    assert await ContactPoint.filter(channel=Channel.TELEGRAM).count() == 1


async def test_an_expired_token_does_not_link(db: str) -> None:
    debtor = await _debtor()
    token = await issue_token(debtor, KEY, NOW, WEEK)
    late = await redeem(token, "1001", KEY, NOW + WEEK + dt.timedelta(seconds=1))
    assert late.outcome is LinkOutcome.EXPIRED
    assert not await ContactPoint.exists(debtor=debtor)
    assert (await LinkToken.get(debtor=debtor)).used_at is None


async def test_forged_and_unknown_tokens_do_not_link(db: str) -> None:
    debtor = await _debtor()
    token = await issue_token(debtor, KEY, NOW, WEEK)
    tampered = ("B" if token[0] != "B" else "C") + token[1:]
    unknown = sign("Z" * 22, KEY)  # well signed, but never issued
    for candidate in (tampered, unknown, "", "x" * 64, token + "A"):
        assert (await redeem(candidate, "1001", KEY, NOW)).outcome is LinkOutcome.INVALID
    assert not await ContactPoint.exists(debtor=debtor)


async def test_relinking_a_blocked_chat_makes_it_reachable_again(db: str) -> None:
    debtor = await _debtor()
    await ContactPoint.create(
        debtor=debtor,
        channel=Channel.TELEGRAM,
        address="1001",
        unreachable_at=NOW - WEEK,
        unreachable_reason="telegram: Forbidden: bot was blocked by the user",
    )
    token = await issue_token(debtor, KEY, NOW, WEEK)
    assert (await redeem(token, "1001", KEY, NOW)).outcome is LinkOutcome.LINKED
    point = await ContactPoint.get(debtor=debtor)
    assert point.reachable and point.verified_at == NOW


async def test_issue_link_writes_a_qr_png(db: str, settings: Settings) -> None:
    await _debtor("C/042")
    link = await issue_link("C/042", settings, "sollecito_bot", NOW)
    assert link.url.startswith("https://t.me/sollecito_bot?start=")
    assert link.qr_path == settings.var_dir / "links" / "C_042.png"
    assert link.qr_path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert link.expires_at == NOW + dt.timedelta(days=settings.telegram_link_ttl_days)
    assert not link.placeholder_username


def _cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE"))}
    environment.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_link_command_prints_the_link_and_writes_the_qr(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite://{tmp_path}/cli.sqlite3",
        "SECRET_KEY": "cli-secret",
        "POLICY_FILE": str(ROOT / "policy.toml"),
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_BOT_USERNAME": "",
    }
    assert _cli("migrate", cwd=tmp_path, **env).returncode == 0
    (tmp_path / "debtors.csv").write_text("external_ref,name\nC1,Rossi Impianti\n")
    imported = _cli("import", "--debtors", "debtors.csv", cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    result = _cli("link", "C1", cwd=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    url = re.search(r"https://t\.me/\S+", result.stdout)
    assert url and url.group().startswith(f"https://t.me/{PLACEHOLDER_BOT_USERNAME}?start=")
    assert "placeholder" in result.stderr
    assert (tmp_path / "var" / "links" / "C1.png").read_bytes().startswith(b"\x89PNG")

    named = _cli("link", "C1", cwd=tmp_path, **{**env, "TELEGRAM_BOT_USERNAME": "sollecito_bot"})
    assert "https://t.me/sollecito_bot?start=" in named.stdout

    unknown = _cli("link", "NOPE", cwd=tmp_path, **env)
    assert unknown.returncode == 1 and "no debtor with reference 'NOPE'" in unknown.stderr
