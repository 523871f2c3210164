"""`ladeportal stripe-standin`: the Stripe stand-in as a server of its own, for `make run` and manual tests."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from ladeportal.cli.output import fail


def register(app: typer.Typer) -> None:
    @app.command("stripe-standin")
    def stripe_standin(
        host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it on loopback)."),
        port: int = typer.Option(12111, min=0, max=65535, help="Port; 0 picks a free one."),
        webhook_url: str | None = typer.Option(None, help="Where signed events are sent; none: only recorded."),
        platform_webhook_secret: str = typer.Option("whsec_standin_platform", help="Signs the platform's events."),
        connect_webhook_secret: str = typer.Option("whsec_standin_connect", help="Signs Connect events."),
        verify_delay: float = typer.Option(0.0, min=0.0, help="Seconds until submitted details are verified."),
        state_file: Path | None = typer.Option(None, help="JSON file that keeps the state across restarts."),
    ) -> None:
        """Serve the Stripe stand-in: Stripe's Connect API for Express accounts, its hosted onboarding
        pages and signed webhooks, in test mode only (any sk_test_ key is accepted)."""
        from ladeportal.stripe_standin.server import StandinConfig, StandinServer

        config = StandinConfig(
            webhook_url=webhook_url,
            platform_webhook_secret=platform_webhook_secret,
            connect_webhook_secret=connect_webhook_secret,
            verify_delay_seconds=verify_delay,
            state_file=state_file,
            host=host,
            port=port,
        )
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        try:
            server = StandinServer(config)
            server.start()
        except (OSError, ValueError) as exc:
            fail(f"the Stripe stand-in could not start: {exc}")
        typer.echo(f"Stripe stand-in on {server.url} (API key: any sk_test_..., e.g. {server.api_key})")
        try:
            while not stopping.wait(0.5) and server.running:
                pass
        finally:
            server.stop()
