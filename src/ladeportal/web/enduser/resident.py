"""The residents' part of the app: sign-in, places, charging, the live session, history and account,
plus the installable shell (manifest, service worker, offline page)."""

from __future__ import annotations

from fastapi import APIRouter

from ladeportal.web.enduser import account, charging_pages, history_pages, live_stream, login, shell

router = APIRouter()
for part in (shell, login, charging_pages, live_stream, history_pages, account):
    router.include_router(part.router)
