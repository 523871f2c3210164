"""The stand-in on loopback, the official SDK pointed at it, and a small webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from ladeportal.stripe_standin.server import StandinConfig, StandinServer

PLATFORM_SECRET = "whsec_test_platform_secret"
CONNECT_SECRET = "whsec_test_connect_secret"


@dataclass
class Received:
    body: str
    signature: str


@dataclass
class WebhookReceiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with 500 before accepting
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            with state.lock:
                state.received.append(Received(body, self.headers.get("Stripe-Signature", "")))
                failing = state.fail_next > 0
                state.fail_next -= 1 if failing else 0
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def config(**overrides: object) -> StandinConfig:
    values: dict[str, object] = {
        "platform_webhook_secret": PLATFORM_SECRET,
        "connect_webhook_secret": CONNECT_SECRET,
        "webhook_retry_delays": (0.05, 0.1, 0.2),
    }
    values.update(overrides)
    return StandinConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def standin() -> Iterator[StandinServer]:
    with StandinServer(config()) as server:
        yield server


def sdk_client(server: StandinServer, api_key: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key or server.api_key,
        base_addresses={"api": server.url, "connect": server.url, "files": server.url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=0,
    )


@pytest.fixture
def client(standin: StandinServer) -> stripe.StripeClient:
    return sdk_client(standin)


def new_account(client: stripe.StripeClient, **params: object) -> stripe.Account:
    base: dict[str, object] = {
        "type": "express",
        "country": "NO",
        "business_type": "company",
        "email": "styret@example.no",
        "company": {"name": "Solsiden borettslag"},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    }
    base.update(params)
    return client.v1.accounts.create(base)  # type: ignore[arg-type]
