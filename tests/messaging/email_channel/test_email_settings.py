"""E-mail settings: off unless configured outside development, never the console in production, and
an SMTP configuration that cannot work is refused at start-up with the variable to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladeportal.messaging.email_smtp import SmtpProvider
from ladeportal.settings import SettingsError, load_settings

PRODUCTION = {
    "mode": "production",
    "secret_key": "k" * 48,
    "sms_provider": "http",
    "sms_api_token": "user:api-password",
}
SMTP = {"email_provider": "smtp", "email_from_address": "noreply@solbakken.example"}


@pytest.fixture(autouse=True)
def _no_email_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EMAIL_PROVIDER", "EMAIL_FROM_ADDRESS", "SMTP_PASSWORD", "SMTP_PASSWORD_FILE", "SMTP_USERNAME"):
        monkeypatch.delenv(f"LADEPORTAL_{name}", raising=False)


def test_email_is_printed_in_development_and_off_elsewhere_until_configured() -> None:
    assert load_settings(_env_file=None, mode="dev").email_provider == "console"
    assert load_settings(_env_file=None, mode="test").email_provider == "none"
    assert load_settings(_env_file=None, **PRODUCTION).email_provider == "none"
    assert load_settings(_env_file=None, **PRODUCTION, **SMTP).email_provider == "smtp"


def test_production_refuses_the_console_provider() -> None:
    with pytest.raises(SettingsError, match="LADEPORTAL_EMAIL_PROVIDER"):
        load_settings(_env_file=None, **PRODUCTION, email_provider="console")


@pytest.mark.parametrize("sender", ["", "noreply", "Ladeportal <noreply@solbakken.example>"])
def test_smtp_needs_a_plain_sender_address(sender: str) -> None:
    with pytest.raises(SettingsError, match="LADEPORTAL_EMAIL_FROM_ADDRESS"):
        load_settings(_env_file=None, **{**SMTP, "email_from_address": sender})


def test_a_username_needs_a_password() -> None:
    with pytest.raises(SettingsError, match="LADEPORTAL_SMTP_PASSWORD"):
        load_settings(_env_file=None, **SMTP, smtp_username="solbakken")


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LADEPORTAL_SMTP_CA_FILE"):
        load_settings(_env_file=None, **SMTP, smtp_ca_file=str(tmp_path / "missing.pem"))


def test_the_password_may_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("from the file\n")
    monkeypatch.setenv("LADEPORTAL_SMTP_PASSWORD", "from the variable")
    monkeypatch.setenv("LADEPORTAL_SMTP_PASSWORD_FILE", str(secret))
    settings = load_settings(_env_file=None, **SMTP, smtp_username="solbakken")
    assert settings.smtp_password.get_secret_value() == "from the file"


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_the_port_follows_the_security_unless_set(security: str, port: int) -> None:
    settings = load_settings(_env_file=None, **SMTP, smtp_security=security)
    assert SmtpProvider.from_settings(settings).port == port
    assert SmtpProvider.from_settings(load_settings(_env_file=None, **SMTP, smtp_port=2525)).port == 2525
