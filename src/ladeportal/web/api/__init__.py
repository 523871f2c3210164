"""The JSON API under /api/v1: thin translations between HTTP and the domain operations."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from ladeportal.web.api import chargers, members, orgs

router = APIRouter()
router.include_router(orgs.router)
router.include_router(chargers.router)
router.include_router(members.router)

# Routers of areas that register themselves (OCPP commands, pricing); each module has `router`.
for _name in (
    "ladeportal.web.api.chargers_commands",
    "ladeportal.web.api.chargers_tools",
    "ladeportal.web.api.pricing",
    "ladeportal.web.api.sessions",
    "ladeportal.web.api.payments",
    "ladeportal.web.api.invoicing",
    "ladeportal.web.api.reports",
):
    try:
        router.include_router(importlib.import_module(_name).router)
    except ModuleNotFoundError as exc:
        if exc.name is None or not _name.startswith(exc.name):
            raise
