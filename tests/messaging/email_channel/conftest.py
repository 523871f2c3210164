"""E-mail tests run the real client against aiosmtpd on loopback; settings come from the environment,
as in a deployment, and are re-read for each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ladeportal.messaging import email
from ladeportal.settings import get_settings
from tests.messaging.email_channel.smtp_server import (
    FROM_ADDRESS,
    Certificate,
    SmtpServer,
    make_certificate,
    start_server,
)

Configure = Callable[..., None]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Set LADEPORTAL_* variables (name=value without the prefix) and make the settings re-read."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LADEPORTAL_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()
    email.set_provider(None)


@pytest.fixture
def smtp_server(certificate: Certificate) -> Iterator[Callable[[str], SmtpServer]]:
    started: list[SmtpServer] = []

    def start(security: str = "none") -> SmtpServer:
        server = start_server(security, certificate)
        started.append(server)
        return server

    yield start
    for server in started:
        server.controller.stop()


@pytest.fixture
def use_server(configure: Configure, certificate: Certificate) -> Callable[..., None]:
    """Point the e-mail settings at a test server, with its certificate as the trusted CA."""

    def apply(server: SmtpServer, **extra: object) -> None:
        configure(
            email_provider="smtp",
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security=server.security,
            smtp_ca_file=certificate.cert,
            email_from_address=FROM_ADDRESS,
            email_from_name="Solbakken Borettslag",
            smtp_timeout=10,
            **extra,
        )

    return apply
