"""The public URL (links in SMS, the chargers' OCPP address) follows the server's host and port unless
LADEPORTAL_PUBLIC_URL sets it, so a server moved to another port still tells chargers where it is."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from ladeportal.chargers.services import ocpp_url
from ladeportal.cli.main import app as cli
from ladeportal.settings import get_settings, load_settings


@pytest.fixture(autouse=True)
def no_address_in_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LADEPORTAL_HOST", "LADEPORTAL_PORT", "LADEPORTAL_PUBLIC_URL"):
        # Set, then removed: monkeypatch then restores the variable even when `serve` writes it.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # the environment is restored after this; no stale copy survives


def test_without_a_port_the_public_url_is_the_default_address() -> None:
    assert load_settings(_env_file=None).public_url == "http://127.0.0.1:8000"


def test_the_public_url_follows_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_PORT", "8123")
    settings = load_settings(_env_file=None)
    assert settings.public_url == "http://127.0.0.1:8123"
    assert ocpp_url(settings.public_url, "CP-1") == "ws://127.0.0.1:8123/ocpp/CP-1"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("192.168.1.20", "http://192.168.1.20:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),  # every interface: reached through loopback from here
        ("::", "http://127.0.0.1:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_the_public_url_follows_the_host(monkeypatch: pytest.MonkeyPatch, host: str, expected: str) -> None:
    monkeypatch.setenv("LADEPORTAL_HOST", host)
    assert load_settings(_env_file=None).public_url == expected


def test_a_configured_public_url_wins_over_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADEPORTAL_PORT", "8123")
    monkeypatch.setenv("LADEPORTAL_PUBLIC_URL", "https://lading.example.no")
    settings = load_settings(_env_file=None)
    assert settings.public_url == "https://lading.example.no"
    assert ocpp_url(settings.public_url, "CP-1") == "wss://lading.example.no/ocpp/CP-1"


@pytest.mark.parametrize(
    ("environment", "options"),
    [
        ({"LADEPORTAL_PORT": "8124"}, []),
        ({}, ["--port", "8124"]),
        ({"LADEPORTAL_PORT": "9999"}, ["--port", "8124"]),  # the option wins, for every reader of the settings
    ],
)
def test_serve_listens_on_the_port_its_public_url_names(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], options: list[str]
) -> None:
    served: dict[str, Any] = {}

    def run(application: Any, **kwargs: Any) -> None:
        served.update(kwargs, settings=application.state.settings)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process keeps collecting its garbage
    monkeypatch.setattr("ladeportal.logging_setup.configure_logging", lambda *args: None)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(cli, ["serve", "--no-migrate", *options])

    assert result.exit_code == 0, result.output
    assert served["port"] == 8124 and served["host"] == "127.0.0.1"
    assert served["settings"].public_url == "http://127.0.0.1:8124"
    assert get_settings().public_url == "http://127.0.0.1:8124"  # SMS links and the CLI agree
