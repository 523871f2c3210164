"""The installable shell: the web app manifest, the service worker (served under /app/ so its scope
is the app) and the offline page it shows when there is no network."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from ladeportal.i18n import gettext
from ladeportal.web.enduser.templating import app_asset_version, render
from ladeportal.web.portal.templating import STATIC_DIR

router = APIRouter()
THEME_COLOUR = "#0b6e4f"
SW_SOURCE = STATIC_DIR / "enduser" / "sw.js"


@router.get("/app/manifest.webmanifest")
async def manifest() -> Response:
    data = {
        "name": "Ladeportal",
        "short_name": "Lading",
        "description": gettext("Start charging, follow the session and see what it costs."),
        "id": "/app/",
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "background_color": "#f6f8fb",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": "/static/enduser/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/enduser/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/enduser/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JSONResponse(data, media_type="application/manifest+json", headers={"cache-control": "no-cache"})


@router.get("/app/sw.js")
async def service_worker() -> Response:
    source = SW_SOURCE.read_text(encoding="utf-8").replace("__APP_VERSION__", app_asset_version())
    # Browsers re-check the worker at most daily anyway; no-cache makes an upgrade reach phones at once.
    return Response(source, media_type="text/javascript", headers={"cache-control": "no-cache"})


@router.get("/app/offline")
async def offline(request: Request) -> Response:
    return render(request, "enduser/offline.html", headers={"cache-control": "no-cache"})
