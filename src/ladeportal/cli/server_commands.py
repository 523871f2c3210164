"""`ladeportal serve` (web, API, OCPP gateway and worker in one process) and `ladeportal worker`."""

from __future__ import annotations

import asyncio
import gc
import os
import signal

import typer

from ladeportal.cli.output import fail
from ladeportal.settings import SettingsError, get_settings

SERVE_GRACEFUL_SECONDS = 4


def use_address(host: str | None, port: int | None) -> None:
    """Make --host/--port the process's settings, so every reader of them (the chargers' OCPP URL, links
    in SMS, both derived from the public URL unless it is set) sees the address actually served."""
    for name, value in (("HOST", host), ("PORT", port)):
        if value is not None:
            os.environ[f"LADEPORTAL_{name}"] = str(value)
    get_settings.cache_clear()


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str | None = typer.Option(None, help="Defaults to LADEPORTAL_HOST (127.0.0.1)."),
        port: int | None = typer.Option(None, help="Defaults to LADEPORTAL_PORT (8000)."),
        migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="Apply migrations before starting."),
    ) -> None:
        """Serve the portal, the JSON API and the OCPP gateway; runs the background worker in-process."""
        import uvicorn

        from ladeportal.db.migrate import upgrade
        from ladeportal.logging_setup import configure_logging
        from ladeportal.ocpp.uvicorn_protocol import OcppWebSocketProtocol
        from ladeportal.web.app import create_app

        use_address(host, port)
        try:
            settings = get_settings()
        except SettingsError as exc:
            fail(str(exc), code=2)
            return
        configure_logging(settings.log_format, settings.log_level)
        if migrate_first:
            upgrade(settings.database_url)
        app = create_app(settings)
        # Objects that live as long as the process (modules, compiled schemas, templates) are moved
        # out of the collector's sight, so full collections stay short under request load.
        gc.collect()
        gc.freeze()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            ws=OcppWebSocketProtocol,
            ws_per_message_deflate=False,
            # The same frame limit as `ladeportal gateway`, from the one setting.
            ws_max_size=settings.ocpp_max_frame_bytes,
            proxy_headers=True,
            # SIGTERM: uvicorn stops accepting and closes charger sockets with 1012 (service restart);
            # requests still running after this are cancelled so the whole stop stays within 10 s,
            # leaving time for the worker to hand back its outbox tasks.
            timeout_graceful_shutdown=SERVE_GRACEFUL_SECONDS,
        )

    @app.command()
    def worker() -> None:
        """Run outbox tasks and periodic jobs (any number of workers may run at once)."""
        from ladeportal.db.engine import Database
        from ladeportal.jobs.worker import run_worker
        from ladeportal.logging_setup import configure_logging

        try:
            settings = get_settings()
        except SettingsError as exc:
            fail(str(exc), code=2)
            return
        configure_logging(settings.log_format, settings.log_level)

        async def main() -> None:
            db = Database(settings.database_url)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                await run_worker(db, stop, settings.worker_poll_seconds)
            finally:
                await db.dispose()

        asyncio.run(main())
