"""One typed settings object, read from LADEPORTAL_* variables and an optional .env file.

Secrets may also come from files (LADEPORTAL_SECRET_KEY_FILE=/run/secrets/key), the usual way
container platforms hand them over. Outside dev mode placeholder secrets are refused at start-up,
so a production deployment never runs with the value from the README.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-secret-key-not-for-production"}
SECRET_FIELDS = ("secret_key", "stripe_api_key", "sms_api_token", "smtp_password")
DEFAULT_DB_URL = "sqlite+aiosqlite:///var/ladeportal.db"


class SettingsError(ValueError):
    """Raised when the configuration cannot run; the message names the variable to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LADEPORTAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Literal["dev", "test", "production"] = "dev"
    database_url: str = DEFAULT_DB_URL
    database_echo: bool = False
    secret_key: SecretStr = SecretStr("dev-secret-key-not-for-production")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Base of links in SMS and of the chargers' OCPP URL. Left empty, it follows host and port, so a
    # server moved to another port still shows chargers an address that reaches it.
    public_url: str = ""
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Background work
    run_worker_in_process: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)

    # OCPP
    ocpp_heartbeat_interval: int = Field(default=300, ge=10, le=86400)
    # The largest OCPP-J frame accepted, by `serve` (uvicorn ws_max_size) and `gateway` (websockets max_size)
    # alike: a StopTransaction with a day of one-minute transactionData is 0.3-0.6 MB.
    ocpp_max_frame_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    ocpp_command_timeout: float = Field(default=30.0, gt=0)
    ocpp_auth_failures_per_minute: int = Field(default=10, ge=1)

    # Portal sessions
    session_idle_minutes: int = Field(default=60, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    # The end-user app on a phone stays signed in for weeks; each sign-in can be revoked.
    app_session_idle_days: int = Field(default=60, ge=1)
    app_session_absolute_days: int = Field(default=180, ge=1)
    # How long the app waits for the car's StartTransaction after the charger accepted a remote start.
    app_start_wait_seconds: float = Field(default=90.0, gt=0)
    # Live-session streams (SSE) one person may hold open at once.
    app_streams_per_user: int = Field(default=4, ge=1)
    cookie_secure: bool = False
    # The OpenAPI document and its browsable page; unset means on outside production.
    api_docs: bool | None = None

    # Integrations (stand-in servers in tests)
    sms_provider: Literal["console", "http"] = "console"
    sms_api_url: str = "https://api.example-sms.invalid"
    sms_api_token: SecretStr = SecretStr("")
    # The sender shown on the recipient's phone: 1-11 letters or digits (alphanumeric sender id).
    sms_sender: str = Field(default="Ladeportal", pattern=r"^[A-Za-z0-9]{1,11}$")
    # Stripe (billing/stripe_gateway.py). No key: payments are switched off and the portal says so.
    # stripe_api_base points the official SDK at another server (the project's stand-in in the demo
    # and the tests); unset means Stripe itself.
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str | None = None
    # Signing secrets of the two webhook endpoints: the platform's own events and Connect events
    # (events of the owners' connected accounts). POST /webhooks/stripe checks both.
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_connect_webhook_secret: SecretStr = SecretStr("")
    # Network errors, 409 lock timeouts, 5xx and what Stripe marks Stripe-Should-Retry are retried this many
    # times by the SDK, with back-off; rate limits (429) as often by billing/stripe_gateway.py.
    stripe_max_network_retries: int = Field(default=3, ge=0, le=10)
    # The platform's fee on each member invoice, in basis points of its total (100 = 1 %), unless staff
    # set another for an organisation (billing/invoice_settings.py). 0: no fee.
    invoice_platform_fee_bp: int = Field(default=0, ge=0, le=10000)
    spot_price_url: str = "https://www.hvakosterstrommen.no/api/v1/prices"
    # Day-ahead prices of the Swedish areas SE1-SE4, in SEK, in the same format.
    spot_price_url_se: str = "https://www.elprisetjustnu.se/api/v1/prices"
    # E-mail (messaging/email*.py): "none" sends nothing, "console" prints (development), "smtp" sends.
    # Unset: console in dev, none otherwise, so a deployment sends e-mail only once it is configured.
    email_provider: Literal["none", "console", "smtp"] | None = None
    smtp_host: str = "127.0.0.1"
    # Unset: 587 with starttls, 465 with tls, 25 with none.
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    # A CA bundle for a relay whose certificate is not signed by a public CA (an internal relay).
    smtp_ca_file: str | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    email_from_address: str = ""
    email_from_name: str = "Ladeportal"
    # Delivery records (recipient, template, outcome) are deleted this many days after they finished.
    email_delivery_retention_days: int = Field(default=30, ge=1, le=3650)
    # Sent and failed messages (phone numbers, texts) are deleted from the outbox after this many days.
    message_retention_days: int = Field(default=7, ge=1, le=365)
    # SMS that an organisation's staff can cause (invitations): at most this many a day per organisation.
    org_sms_per_day: int = Field(default=1000, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """LADEPORTAL_<NAME>_FILE points at a file holding the secret; it wins over the plain variable."""
        if not isinstance(data, dict):
            return data
        for name in SECRET_FIELDS:
            path = os.environ.get(f"LADEPORTAL_{name.upper()}_FILE") or data.get(f"{name}_file")
            if path:
                try:
                    data[name] = Path(path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ValueError(f"LADEPORTAL_{name.upper()}_FILE: cannot read {path}: {exc}") from exc
        return data

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                f"must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (got {value.split('://')[0]}://)"
            )
        return value

    @model_validator(mode="after")
    def _public_url_follows_the_server(self) -> Settings:
        if not self.public_url:
            self.public_url = local_url(self.host, self.port)
        return self

    @model_validator(mode="after")
    def _test_mode_only_under_tests(self) -> Settings:
        # Mode "test" relaxes nothing today, but a deployment that ends up in it by mistake would run
        # with development defaults unnoticed; tests run under pytest (subprocesses inherit its marker).
        if self.mode == "test" and "pytest" not in sys.modules and "PYTEST_CURRENT_TEST" not in os.environ:
            raise ValueError("LADEPORTAL_MODE=test is only for the test suite; use dev or production")
        return self

    @model_validator(mode="after")
    def _email_channel(self) -> Settings:
        if self.email_provider is None:
            self.email_provider = "console" if self.mode == "dev" else "none"
        if self.mode == "production" and self.email_provider == "console":
            # Console prints the e-mails (invitation links among them); in production nobody would get them.
            raise ValueError(
                "LADEPORTAL_EMAIL_PROVIDER must be smtp or none in production (console prints the e-mails)"
            )
        if self.email_provider == "smtp":
            from ladeportal.messaging.email_address import parsed_address

            if parsed_address(self.email_from_address) is None:
                raise ValueError(
                    "LADEPORTAL_EMAIL_FROM_ADDRESS must be the sender's address (noreply@example.no) "
                    "when LADEPORTAL_EMAIL_PROVIDER=smtp"
                )
            if self.smtp_username and not self.smtp_password.get_secret_value():
                raise ValueError(
                    "LADEPORTAL_SMTP_PASSWORD (or LADEPORTAL_SMTP_PASSWORD_FILE) must be set "
                    "when LADEPORTAL_SMTP_USERNAME is"
                )
            self.smtp_ca_file = self.smtp_ca_file or None
            if self.smtp_ca_file is not None and not Path(self.smtp_ca_file).is_file():
                raise ValueError(f"LADEPORTAL_SMTP_CA_FILE: {self.smtp_ca_file} is not a file")
        return self

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> Settings:
        if self.mode == "production":
            if (
                self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS
                or len(self.secret_key.get_secret_value()) < 32
            ):
                raise ValueError(
                    "LADEPORTAL_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            if self.public_url.startswith("https://") and not self.cookie_secure:
                # Served over HTTPS, a session cookie without Secure could still leak over plain HTTP.
                raise ValueError("LADEPORTAL_COOKIE_SECURE must be true when LADEPORTAL_PUBLIC_URL is https://")
            if self.sms_provider == "http" and self.sms_api_token.get_secret_value() in PLACEHOLDER_SECRETS:
                raise ValueError("LADEPORTAL_SMS_API_TOKEN must be set when LADEPORTAL_SMS_PROVIDER=http")
            if self.sms_provider == "console":
                # The console provider prints login codes; in production nobody would receive them.
                raise ValueError("LADEPORTAL_SMS_PROVIDER must be http in production (console prints the SMS)")
        return self

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.mode != "production"

    @model_validator(mode="after")
    def _json_logs_in_production(self) -> Settings:
        # Log collectors parse JSON lines; an explicit LADEPORTAL_LOG_FORMAT still wins.
        if self.mode == "production" and "log_format" not in self.model_fields_set:
            self.log_format = "json"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def local_url(host: str, port: int) -> str:
    """The address of a server listening on host:port, as seen from this machine: a server listening on
    every interface (0.0.0.0, ::) is reached through the loopback address."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{port}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error into one readable message per bad variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            name = f"LADEPORTAL_{loc.upper()}" if loc else "configuration"
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
