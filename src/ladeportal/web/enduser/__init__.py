"""The end-user app: a phone-first web app for residents and guests under /app.

`install(app)` (called by web/app.py) mounts the route modules below; each has a `router`. Residents
(members) sign in with their mobile number and an SMS code (resident pages); guests at a public charger
pay by card without an account (guest pages). Both call the same domain areas as the portal.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

ROUTE_MODULES = (
    "ladeportal.web.enduser.resident",
    "ladeportal.web.enduser.guest",
)


def install(app: FastAPI) -> None:
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        app.include_router(module.router, include_in_schema=False)
    from ladeportal.web.enduser.app_access import AppLoginRequired, login_redirect

    app.add_exception_handler(AppLoginRequired, login_redirect)
