"""Settings fail fast with a message that names the variable."""

from pathlib import Path

import pytest

from ladeportal.settings import SettingsError, load_settings


def test_defaults_are_the_embedded_dev_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LADEPORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LADEPORTAL_MODE", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.mode == "dev"
    assert settings.database_url == "sqlite+aiosqlite:///var/ladeportal.db"
    assert settings.is_sqlite


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_MODE", "production")
    monkeypatch.setenv("LADEPORTAL_SECRET_KEY", "changeme")
    with pytest.raises(SettingsError, match="LADEPORTAL_SECRET_KEY"):
        load_settings(_env_file=None)


def test_production_accepts_a_real_secret_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("k" * 48 + "\n")
    monkeypatch.setenv("LADEPORTAL_MODE", "production")
    monkeypatch.setenv("LADEPORTAL_SECRET_KEY", "changeme")
    monkeypatch.setenv("LADEPORTAL_SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("LADEPORTAL_SMS_PROVIDER", "http")  # production refuses the console provider
    monkeypatch.setenv("LADEPORTAL_SMS_API_TOKEN", "user:password")
    settings = load_settings(_env_file=None)
    assert settings.secret_key.get_secret_value() == "k" * 48


def test_unreadable_secret_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LADEPORTAL_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="LADEPORTAL_SECRET_KEY_FILE"):
        load_settings(_env_file=None)


def test_unknown_database_driver_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_DATABASE_URL", "mysql://x/y")
    with pytest.raises(SettingsError, match="LADEPORTAL_DATABASE_URL"):
        load_settings(_env_file=None)


def test_malformed_boolean_and_port_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_DATABASE_ECHO", "perhaps")
    monkeypatch.setenv("LADEPORTAL_PORT", "70000")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert "LADEPORTAL_DATABASE_ECHO" in str(err.value) and "LADEPORTAL_PORT" in str(err.value)


def test_sms_sender_must_be_a_valid_alphanumeric_sender_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_SMS_SENDER", "Solbakken")
    assert load_settings(_env_file=None).sms_sender == "Solbakken"
    monkeypatch.setenv("LADEPORTAL_SMS_SENDER", "Solbakken Borettslag")
    with pytest.raises(SettingsError, match="LADEPORTAL_SMS_SENDER"):
        load_settings(_env_file=None)


def test_production_over_https_requires_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_MODE", "production")
    monkeypatch.setenv("LADEPORTAL_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("LADEPORTAL_PUBLIC_URL", "https://lading.example")
    monkeypatch.setenv("LADEPORTAL_SMS_PROVIDER", "http")  # production refuses the console provider
    monkeypatch.setenv("LADEPORTAL_SMS_API_TOKEN", "user:password")
    with pytest.raises(SettingsError, match="LADEPORTAL_COOKIE_SECURE"):
        load_settings(_env_file=None)
    monkeypatch.setenv("LADEPORTAL_COOKIE_SECURE", "true")
    assert load_settings(_env_file=None).cookie_secure is True
