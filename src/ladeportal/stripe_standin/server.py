"""The Stripe stand-in server: a Starlette app on uvicorn in a background thread, on a free loopback port
unless told otherwise. Usable from sync and async code alike, since the server runs in its own thread:

    with StandinServer(StandinConfig(webhook_url=...)) as standin:      # or: async with
        client = stripe.StripeClient(standin.api_key, base_addresses={"api": standin.url, ...})
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from ladeportal.stripe_standin import (
    api_accounts,
    api_checkout,
    api_credits,
    api_customers,
    api_events,
    api_invoices,
    api_tax_rates,
    checkout_pages,
    control_routes,
    credit_note_pages,
    invoice_pages,
    onboarding_pages,
)
from ladeportal.stripe_standin.api import endpoint, unrecognized
from ladeportal.stripe_standin.clock import Clock
from ladeportal.stripe_standin.controls import Controls
from ladeportal.stripe_standin.idempotency import Idempotency
from ladeportal.stripe_standin.persistence import StateWriter, load_state
from ladeportal.stripe_standin.store import Store
from ladeportal.stripe_standin.time_effects import apply_time
from ladeportal.stripe_standin.webhooks import DEFAULT_RETRY_DELAYS, WebhookDispatcher

API_KEY = "sk_test_ladeportal_standin"
_TICK_SECONDS = 0.1  # how often real time is checked for verifications that are done
_ALL_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


@dataclass(frozen=True)
class StandinConfig:
    webhook_url: str | None = None  # None: events are only recorded
    # Defaults for tests that do not check signatures; the stand-in's own, not anybody's credentials.
    platform_webhook_secret: str = "whsec_standin_platform"  # noqa: S105
    connect_webhook_secret: str = "whsec_standin_connect"  # noqa: S105
    verify_delay_seconds: float = 0.0  # how long "Stripe" takes to verify submitted details
    state_file: Path | str | None = None  # JSON state kept across restarts
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    platform_name: str = "Ladeportal"  # the platform's business name on its own invoices


def create_app(store: Store, controls: Controls) -> Starlette:
    idempotency = Idempotency(store)

    def api(path: str, handler: Any, method: str) -> Route:
        return Route(path, endpoint(store, idempotency, handler), methods=[method])

    routes = [
        api("/v1/accounts", api_accounts.create_account, "POST"),
        api("/v1/accounts", api_accounts.list_accounts, "GET"),
        api("/v1/accounts/{account}", api_accounts.retrieve_account, "GET"),
        api("/v1/accounts/{account}", api_accounts.update_account, "POST"),
        api("/v1/accounts/{account}/login_links", api_accounts.create_login_link, "POST"),
        api("/v1/account_links", api_accounts.create_account_link, "POST"),
        api("/v1/customers", api_customers.create_customer, "POST"),
        api("/v1/customers", api_customers.list_customers, "GET"),
        api("/v1/customers/{customer}", api_customers.retrieve_customer, "GET"),
        api("/v1/customers/{customer}", api_customers.update_customer, "POST"),
        api("/v1/tax_rates", api_tax_rates.create_tax_rate, "POST"),
        api("/v1/tax_rates", api_tax_rates.list_tax_rates, "GET"),
        api("/v1/tax_rates/{tax_rate}", api_tax_rates.retrieve_tax_rate, "GET"),
        api("/v1/invoiceitems", api_invoices.create_invoice_item, "POST"),
        api("/v1/invoiceitems/{invoiceitem}", api_invoices.retrieve_invoice_item, "GET"),
        api("/v1/invoices", api_invoices.create_invoice, "POST"),
        api("/v1/invoices", api_invoices.list_invoices, "GET"),
        api("/v1/invoices/{invoice}", api_invoices.retrieve_invoice, "GET"),
        api("/v1/invoices/{invoice}", api_invoices.update_invoice, "POST"),
        api("/v1/invoices/{invoice}", api_invoices.delete_invoice, "DELETE"),
        api("/v1/invoices/{invoice}/lines", api_invoices.list_lines, "GET"),
        api("/v1/invoices/{invoice}/finalize", api_invoices.finalize_invoice, "POST"),
        api("/v1/invoices/{invoice}/send", api_invoices.send_invoice, "POST"),
        api("/v1/invoices/{invoice}/pay", api_invoices.pay_invoice, "POST"),
        api("/v1/invoices/{invoice}/void", api_invoices.void_invoice, "POST"),
        api("/v1/invoices/{invoice}/mark_uncollectible", api_invoices.mark_uncollectible, "POST"),
        api("/v1/payment_intents/{intent}", api_invoices.retrieve_payment_intent, "GET"),
        api("/v1/payment_intents/{intent}/capture", api_checkout.capture_intent, "POST"),
        api("/v1/payment_intents/{intent}/cancel", api_checkout.cancel_intent, "POST"),
        api("/v1/checkout/sessions", api_checkout.create_session, "POST"),
        api("/v1/checkout/sessions/{session}", api_checkout.retrieve_session, "GET"),
        api("/v1/checkout/sessions/{session}/line_items", api_checkout.list_line_items, "GET"),
        api("/v1/checkout/sessions/{session}/expire", api_checkout.expire_session, "POST"),
        api("/v1/credit_notes", api_credits.create_credit_note, "POST"),
        api("/v1/credit_notes", api_credits.list_credit_notes, "GET"),
        api("/v1/credit_notes/{credit_note}", api_credits.retrieve_credit_note, "GET"),
        api("/v1/credit_notes/{credit_note}/void", api_credits.void_credit_note, "POST"),
        api("/v1/refunds", api_credits.create_refund, "POST"),
        api("/v1/refunds/{refund}", api_credits.retrieve_refund, "GET"),
        api("/v1/payouts", api_credits.list_payouts, "GET"),
        api("/v1/payouts/{payout}", api_credits.retrieve_payout, "GET"),
        api("/v1/balance_transactions", api_credits.list_balance_transactions, "GET"),
        api("/v1/events", api_events.list_events, "GET"),
        api("/v1/events/{event}", api_events.retrieve_event, "GET"),
        *onboarding_pages.routes(store),
        *invoice_pages.routes(store),
        *checkout_pages.routes(store),
        *credit_note_pages.routes(store),
        *control_routes.routes(controls),
        # Anything else under the API answers Stripe's 404, never a made-up success.
        Route("/v1/{rest:path}", unrecognized(store), methods=_ALL_METHODS),
        Route("/v2/{rest:path}", unrecognized(store), methods=_ALL_METHODS),
    ]
    return Starlette(routes=routes)


class StandinServer:
    def __init__(self, config: StandinConfig | None = None) -> None:
        self.config = config or StandinConfig()
        self.store = Store(Clock())
        self.store.verify_delay_seconds = self.config.verify_delay_seconds
        self.store.platform_name = self.config.platform_name
        self._state_path = Path(self.config.state_file) if self.config.state_file else None
        self._dispatcher: WebhookDispatcher | None = None
        if self.config.webhook_url:
            parsed = urlparse(self.config.webhook_url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(f"webhook_url {self.config.webhook_url!r} is not an http(s) URL")
            self._dispatcher = WebhookDispatcher(
                self.config.webhook_url,
                platform_secret=self.config.platform_webhook_secret,
                connect_secret=self.config.connect_webhook_secret,
                retry_delays=self.config.webhook_retry_delays,
            )
            self.store.pending_webhooks = 1
            self.store.on_event(self._dispatcher.enqueue)
        self.controls = Controls(self.store, self._dispatcher)
        self._writer: StateWriter | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.url = ""
        self.api_key = API_KEY

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> StandinServer:
        # Bound first: a taken port fails before any thread runs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
            if self._state_path is not None:
                load_state(self.store, self._state_path)
        except (OSError, ValueError):
            sock.close()
            raise
        if self._state_path is not None:
            self._writer = StateWriter(self.store, self._state_path)
            self._writer.start()
        if self._dispatcher is not None:
            self._dispatcher.start()
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self.store.base_url = self.url
        config = uvicorn.Config(
            create_app(self.store, self.controls),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name="stripe-standin", daemon=True
        )
        self._thread.start()
        self._ticker = threading.Thread(target=self._tick, name="stripe-standin-clock", daemon=True)
        self._ticker.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the Stripe stand-in did not start")
            self._stopping.wait(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in (self._thread, self._ticker):
            if thread is not None:
                thread.join(timeout=10)
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._writer is not None:
            self._writer.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _tick(self) -> None:
        while not self._stopping.wait(_TICK_SECONDS):
            apply_time(self.store)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> StandinServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- helpers for tests and the demo -------------------------------------------------------

    def advance_time(self, seconds: float) -> float:
        return self.controls.advance_time(seconds)

    def now(self) -> int:
        """The stand-in's clock, in unix seconds (wall time plus what advance_time added)."""
        return self.controls.now()

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        return self.controls.events(type)

    def deliveries(self) -> list[dict[str, Any]]:
        return self.controls.deliveries()

    def wait_for_webhooks(self, timeout: float = 30.0) -> bool:
        return self.controls.wait_for_webhooks(timeout)

    async def wait_for_webhooks_async(self, within_seconds: float = 30.0) -> bool:
        return await asyncio.to_thread(self.controls.wait_for_webhooks, within_seconds)

    def account(self, account_id: str) -> dict[str, Any]:
        return self.controls.account(account_id)

    def set_requirements(
        self,
        account_id: str,
        currently_due: list[str],
        eventually_due: list[str] | None = None,
        current_deadline: int | None = None,
    ) -> dict[str, Any]:
        return self.controls.set_requirements(
            account_id, currently_due=currently_due, eventually_due=eventually_due, current_deadline=current_deadline
        )

    def complete_onboarding(self, account_id: str, leave_due: list[str] | None = None) -> dict[str, Any]:
        return self.controls.complete_onboarding(account_id, leave_due)

    def inject_failures(self, *statuses: int) -> None:
        self.controls.inject_failures(*statuses)

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        return self.controls.invoice(invoice_id)

    def pay_invoice(self, invoice_id: str, card: str = "4242424242424242") -> dict[str, Any]:
        """Pays an open invoice as its hosted page does, with one of Stripe's test cards; returns the payment
        intent (`requires_action` for a 3-D Secure card until `finish_3ds`)."""
        return self.controls.pay_invoice(invoice_id, card)

    def finish_3ds(self, invoice_id: str, passed: bool = True) -> dict[str, Any]:
        return self.controls.finish_3ds(invoice_id, passed)

    def pay_checkout(
        self, session_id: str, card: str = "4242424242424242", email: str = "guest@example.com"
    ) -> dict[str, Any]:
        """Pays an open Checkout Session as its hosted page does; returns the payment intent."""
        return self.controls.pay_checkout(session_id, card, email)

    def finish_checkout_3ds(self, session_id: str, passed: bool = True) -> dict[str, Any]:
        return self.controls.finish_checkout_3ds(session_id, passed)

    def application_fees(self) -> list[dict[str, Any]]:
        return self.controls.money_movements("application_fee")

    def transfers(self) -> list[dict[str, Any]]:
        return self.controls.money_movements("transfer")

    def transfer_reversals(self) -> list[dict[str, Any]]:
        return self.controls.money_movements("transfer_reversal")

    def make_payout(
        self, account_id: str, amount: int, currency: str = "nok", arrival_date: int | None = None
    ) -> dict[str, Any]:
        """A payout of a connected account to its bank: `payout.created`, then `payout.paid` (Connect events)."""
        return self.controls.make_payout(account_id, amount, currency, arrival_date)
