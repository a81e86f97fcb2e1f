"""Settings: defaults, channel enablement, and one clear line for every malformed value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.policy import load_policy
from bot.runtime import Runtime


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read .env from the working directory: run each test in an empty one.
    monkeypatch.chdir(tmp_path)
    # Tortoise writes TIMEZONE=UTC into os.environ when it initialises (see bot/config.py).
    monkeypatch.delenv("TIMEZONE", raising=False)


def test_defaults_run_on_sqlite_with_every_channel_sandboxed() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite://")
    assert settings.timezone == "Europe/Rome"
    assert settings.default_language == "it"
    assert not (settings.telegram_enabled or settings.sms_enabled or settings.email_enabled)
    assert settings.channel_summary() == (
        "channels sandbox (no credentials): telegram, whatsapp, sms, email, stripe"
    )


def test_a_channel_is_live_only_with_all_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret")
    assert not load_settings().sms_enabled  # no sender number yet
    monkeypatch.setenv("TWILIO_SMS_FROM", "+390212345678")
    settings = load_settings()
    assert settings.sms_enabled and not settings.whatsapp_enabled
    assert "live: sms" in settings.channel_summary()


def test_values_come_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TIMEZONE=Europe/London\nTELEGRAM_BOT_TOKEN=1:abc\n")
    settings = load_settings()
    assert settings.timezone == "Europe/London"
    assert settings.telegram_enabled


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: expected an IANA time zone"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected a URL starting with sqlite://"),
        ("PUBLIC_BASE_URL", "sollecito.example", "PUBLIC_BASE_URL: expected an http://"),
        ("HTTP_PORT", "eighty", "HTTP_PORT"),
        ("TELEGRAM_STAFF_CHAT_ID", "staff", "TELEGRAM_STAFF_CHAT_ID"),
        ("BANK_IBAN", "IT60X0542811101000000123457", "BANK_IBAN: expected a valid IBAN"),
        ("STRIPE_PAYMENT_METHOD_TYPES", "[card", "stripe_payment_method_types"),
    ],
)
def test_a_malformed_value_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_iban_is_kept_in_compact_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANK_IBAN", "IT60 X054 2811 1010 0000 0123 456")
    assert load_settings().bank_iban == "IT60X0542811101000000123456"


def test_signing_key_is_persisted_when_not_configured(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var")
    key = settings.signing_key()
    assert len(key) >= 32
    assert load_settings(var_dir=tmp_path / "var").signing_key() == key
    assert load_settings(secret_key="configured").signing_key() == b"configured"


def test_the_cli_refuses_to_start_on_a_malformed_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    assert main(["policy", "check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: invalid setting TIMEZONE")
    assert len(err.splitlines()) == 1


def test_env_example_lists_every_setting() -> None:
    from bot.config import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    listed = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in listed]
    assert not missing, f".env.example lacks {missing}"


def test_a_copied_env_example_starts_with_defaults(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    settings = load_settings()
    assert settings.telegram_staff_chat_id is None
    assert settings.channel_summary().startswith("channels sandbox")


@pytest.mark.parametrize(
    ("utc", "today"),
    [
        ("2026-11-23T22:59:00+00:00", "2026-11-23"),
        ("2026-11-23T23:30:00+00:00", "2026-11-24"),  # past midnight in Rome (UTC+1)
        ("2026-07-01T22:30:00+00:00", "2026-07-02"),  # summer time: UTC+2
    ],
)
def test_today_is_the_companys_calendar_day(settings: Settings, utc: str, today: str) -> None:
    company = settings.model_copy(update={"timezone": "Europe/Rome"})
    runtime = Runtime(
        settings=company,
        policy=load_policy(company.policy_file),
        now=lambda: dt.datetime.fromisoformat(utc),
    )
    assert runtime.today() == dt.date.fromisoformat(today)
