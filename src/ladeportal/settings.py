"""One typed settings object, read from LADEPORTAL_* variables and an optional .env file.

Secrets may also come from files (LADEPORTAL_SECRET_KEY_FILE=/run/secrets/key), the usual way
container platforms hand them over. Outside dev mode placeholder secrets are refused at start-up,
so a production deployment never runs with the value from the README.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-secret-key-not-for-production"}
SECRET_FIELDS = ("secret_key", "stripe_api_key", "sms_api_token")
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
    public_url: str = "http://127.0.0.1:8000"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Background work
    run_worker_in_process: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)

    # OCPP
    ocpp_heartbeat_interval: int = Field(default=300, ge=10, le=86400)
    ocpp_max_frame_bytes: int = Field(default=65536, ge=1024)
    ocpp_command_timeout: float = Field(default=30.0, gt=0)
    ocpp_auth_failures_per_minute: int = Field(default=10, ge=1)

    # Portal sessions
    session_idle_minutes: int = Field(default=60, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    cookie_secure: bool = False

    # Integrations (stand-in servers in tests)
    sms_provider: Literal["console", "http"] = "console"
    sms_api_url: str = "https://api.example-sms.invalid"
    sms_api_token: SecretStr = SecretStr("")
    # The sender shown on the recipient's phone: 1-11 letters or digits (alphanumeric sender id).
    sms_sender: str = Field(default="Ladeportal", pattern=r"^[A-Za-z0-9]{1,11}$")
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str | None = None
    spot_price_url: str = "https://www.hvakosterstrommen.no/api/v1/prices"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "Ladeportal <noreply@ladeportal.invalid>"

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
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


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
