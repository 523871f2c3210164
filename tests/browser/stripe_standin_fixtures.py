"""The Stripe stand-in beside the portal for browser tests: its port is chosen before the portal starts,
so the portal's settings (and the billing area's, read from the environment) point at it, and it
delivers its signed webhooks to the portal. A test module imports `standin` (and `standin_port`) and
names `standin` before `server` in its test's arguments; it may set `STANDIN_VERIFY_DELAY` (seconds the
stand-in takes to verify an account's details; none by default)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinConfig, StandinServer

API_KEY = "sk_test_browser"
PLATFORM_SECRET = "whsec_browser_platform"
CONNECT_SECRET = "whsec_browser_connect"


@pytest.fixture
def standin_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    for name, value in {
        "STRIPE_API_KEY": API_KEY,
        "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
        "STRIPE_WEBHOOK_SECRET": PLATFORM_SECRET,
        "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_SECRET,
    }.items():
        monkeypatch.setenv(f"LADEPORTAL_{name}", value)
    get_settings.cache_clear()
    yield port
    get_settings.cache_clear()


@pytest.fixture
def standin(standin_port: int, request: pytest.FixtureRequest) -> Iterator[StandinServer]:
    server: str = request.getfixturevalue("server")  # the portal, started with the settings above
    config = StandinConfig(
        webhook_url=f"{server}/webhooks/stripe",
        platform_webhook_secret=PLATFORM_SECRET,
        connect_webhook_secret=CONNECT_SECRET,
        verify_delay_seconds=float(getattr(request.module, "STANDIN_VERIFY_DELAY", 0.0)),
        port=standin_port,
    )
    with StandinServer(config) as running:
        yield running
