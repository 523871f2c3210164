"""`ladeportal serve` (web, API, OCPP gateway and worker in one process) and `ladeportal worker`."""

from __future__ import annotations

import asyncio
import gc
import signal

import typer

from ladeportal.cli.output import fail
from ladeportal.settings import SettingsError, get_settings


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
        from ladeportal.web.app import create_app

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
            host=host or settings.host,
            port=port or settings.port,
            log_config=None,
            ws_per_message_deflate=False,
            proxy_headers=True,
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
