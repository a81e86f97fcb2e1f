"""Settings: read once from the environment and an optional .env, validated, then passed down.

This is the only module that reads the environment. Everything else receives a `Settings`.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

DEFAULT_SQLITE_URL = "sqlite://var/sollecito.sqlite3"
SUPPORTED_LANGUAGES = ("it", "en")


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost): development only."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """A setting is malformed. The message is one line naming the variable and what is expected."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # An empty VAR= (as in .env.example) means "use the default", not "set to empty".
        env_ignore_empty=True,
    )

    # Core
    database_url: str = DEFAULT_SQLITE_URL
    timezone: str = "Europe/Rome"
    default_language: Literal["it", "en"] = "it"
    public_base_url: str = ""
    policy_file: Path = Path("policy.toml")
    secret_key: str = ""
    company_name: str = "Sollecito Demo S.r.l."
    # The number debtors may call, as they should read it ("+39 02 1234 5678"); e-mails and the
    # pay page give it next to the chat links (e-mail replies are not read by the product).
    company_phone: str = Field(default="", max_length=40)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    var_dir: Path = Path("var")

    # Telegram
    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: str = ""
    telegram_staff_chat_id: int | None = None
    telegram_bot_username: str = ""
    # How long a deep link that ties a Telegram chat to a debtor stays valid.
    telegram_link_ttl_days: int = Field(default=7, ge=1, le=365)

    # Twilio (SMS and WhatsApp)
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    # JSON object: template name -> Twilio Content SID of the approved WhatsApp template.
    twilio_whatsapp_content_sids: dict[str, str] = Field(default_factory=dict)

    # Stripe
    stripe_api_key: str = ""
    stripe_api_base: str = "https://api.stripe.com"
    stripe_webhook_secret: str = ""
    stripe_payment_method_types: list[str] = Field(default_factory=lambda: ["card"])

    # E-mail (SMTP; a PEC mailbox is SMTP over TLS too)
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_reply_to: str = ""
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"

    # PEC receipts: the certified mailbox the formal notices are sent from, read over IMAP
    # (bot/providers/pec/). IMAP over TLS (port 993) by default; "none" only for a local server.
    pec_imap_host: str = ""
    pec_imap_port: int = Field(default=993, ge=1, le=65535)
    pec_imap_user: str = ""
    pec_imap_password: str = ""
    pec_imap_folder: str = "INBOX"
    pec_imap_security: Literal["tls", "starttls", "none"] = "tls"
    pec_poll_minutes: int = Field(default=5, ge=1, le=1440)
    # A CA bundle for a mailbox whose certificate a private CA signed (default: the system's).
    pec_imap_ca_file: Path | None = None
    # The company's PEC mailbox (posta elettronica certificata), for formal notices: a PEC
    # provider's usual set-up is SMTP over implicit TLS on port 465 (docs/notice.md).
    pec_smtp_host: str = ""
    pec_smtp_port: int = Field(default=465, ge=1, le=65535)
    pec_smtp_user: str = ""
    pec_smtp_password: str = ""
    pec_smtp_from: str = ""
    pec_smtp_security: Literal["starttls", "tls", "none"] = "tls"

    # The letterhead of a formal notice (besides COMPANY_NAME and COMPANY_PHONE).
    company_address: str = Field(default="", max_length=300)
    company_vat_number: str = Field(default="", max_length=32)
    company_pec: str = Field(default="", max_length=200)

    # Bank transfer
    bank_iban: str = ""
    bank_bic: str = ""
    bank_beneficiary: str = ""

    # Conversations
    conversation_timeout_hours: int = Field(default=72, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Rome") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("a URL starting with sqlite:// or postgres://")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL, or empty")
        if value.startswith("http://") and not is_loopback_url(value):
            # Telegram's setWebhook takes HTTPS only, and webhooks carry debtors' data.
            raise ValueError(
                "an https:// URL (http:// only for loopback: 127.0.0.1, localhost, ::1)"
            )
        return value.rstrip("/")

    @field_validator("telegram_api_base_url", "twilio_api_base_url", "stripe_api_base")
    @classmethod
    def _endpoint_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("bank_iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        if not value:
            return value
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            return IBAN(value).compact
        except SchwiftyException as exc:
            raise ValueError(f"a valid IBAN ({exc})") from None

    @field_validator("bank_bic")
    @classmethod
    def _valid_bic(cls, value: str) -> str:
        if not value:
            return value
        from schwifty import BIC
        from schwifty.exceptions import SchwiftyException

        try:
            return BIC(value).compact
        except SchwiftyException as exc:
            raise ValueError(f"a valid BIC of 8 or 11 characters ({exc})") from None

    # --- derived facts -------------------------------------------------------------------------

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_sms_from)

    @property
    def whatsapp_enabled(self) -> bool:
        twilio = self.twilio_account_sid and self.twilio_auth_token
        return bool(twilio and self.twilio_whatsapp_from)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    @property
    def pec_enabled(self) -> bool:
        """Whether formal notices go out from the company's PEC mailbox (host and sender set)."""
        return bool(self.pec_smtp_host and self.pec_smtp_from)

    @property
    def pec_receipts_enabled(self) -> bool:
        """Whether the PEC mailbox is read for receipts (host and user set)."""
        return bool(self.pec_imap_host and self.pec_imap_user)

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_api_key)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def channel_summary(self) -> str:
        """One line for start-up: which channels are live and which are sandboxed."""
        live = {
            "telegram": self.telegram_enabled,
            "whatsapp": self.whatsapp_enabled,
            "sms": self.sms_enabled,
            "email": self.email_enabled,
            "stripe": self.stripe_enabled,
        }
        on = [name for name, enabled in live.items() if enabled]
        off = [name for name, enabled in live.items() if not enabled]
        parts = []
        if on:
            parts.append("live: " + ", ".join(on))
        if off:
            parts.append("sandbox (no credentials): " + ", ".join(off))
        return "channels " + "; ".join(parts)

    def signing_key(self) -> bytes:
        """The key for signed links. Without SECRET_KEY a random one is kept under var/.

        A persisted key keeps links valid across restarts of a single machine; several machines
        must share SECRET_KEY.
        """
        if self.secret_key:
            return self.secret_key.encode()
        path = self.var_dir / "secret.key"
        if path.exists():
            return path.read_bytes().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48).encode()
        path.write_bytes(key)
        path.chmod(0o600)
        return key


def _describe(error: dict[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "?"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = "expected " + message.removeprefix("Value error, ")
    given = error.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r})"
    return f"{field.upper()}: {message}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once at start-up; a malformed value raises ConfigError in one line.

    Call it before the database is opened: Tortoise writes its own TIMEZONE (UTC) into
    os.environ when it initialises, which would shadow ours if settings were read afterwards.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError("invalid setting " + _describe(first)) from None
    except SettingsError as exc:
        # List and dict settings are JSON; pydantic-settings names the variable it choked on.
        cause = exc.__cause__
        raise ConfigError(f"invalid setting: {exc} ({cause}); expected JSON") from None


@dataclass(frozen=True)
class TestSettings:
    """What the test suite reads from its environment (kept here: one place reads os.environ)."""

    database_url: str | None


def test_settings() -> TestSettings:
    class _Env(BaseSettings):
        model_config = SettingsConfigDict(extra="ignore")
        test_database_url: str | None = None

    return TestSettings(database_url=_Env().test_database_url)
