"""The FastAPI application factory: API, portal, health checks, the OCPP gateway and the worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from ladeportal import __version__
from ladeportal.db.engine import Database
from ladeportal.ocpp import asgi as ocpp_asgi
from ladeportal.settings import Settings, get_settings
from ladeportal.web import enduser, health, portal, webhooks
from ladeportal.web.api import router as api_router
from ladeportal.web.errors import install_error_handlers
from ladeportal.web.security_headers import SecurityHeadersMiddleware


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings.database_url, echo=settings.database_echo)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        worker_task = None
        if settings.run_worker_in_process:
            from ladeportal.jobs.worker import run_worker

            worker_task = asyncio.create_task(run_worker(database, stop, settings.worker_poll_seconds))
        async with contextlib.AsyncExitStack() as stack:
            for hook in app.state.lifespan_hooks:
                await stack.enter_async_context(hook(app))
            yield
        stop.set()
        if worker_task is not None:
            await worker_task
        if db is None:
            await database.dispose()

    # The API description maps every endpoint for a visitor too; production publishes it only on request.
    docs = settings.api_docs_enabled
    app = FastAPI(
        title="Ladeportal",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json" if docs else None,
        docs_url="/api/v1/docs" if docs else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.lifespan_hooks = []
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api_router, prefix="/api/v1")
    # Stripe's deliveries carry a signature, not a session: outside the portal and its CSRF check.
    app.include_router(webhooks.router)
    # The OCPP gateway shares the process and port with the portal; each installs its routes and
    # lifespan hooks.
    ocpp_asgi.install(app)
    portal.install(app)
    # The end-user app (/app) for residents and guests.
    enduser.install(app)
    # Added last, so it wraps everything else and sees every response, error pages included.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app
