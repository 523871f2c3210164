"""Rendering the app's pages with the portal's Jinja2 environment (same filters, same languages) but
the app's own shell, `enduser/base.html`, which has no organisation navigation.

Every page gets `csrf_token` (the same double-submit token as the portal's forms, bound to the app
session when there is one, and working for a visitor without any session), the languages the app
offers and a version stamp of the app's own static files."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from ladeportal import i18n
from ladeportal.web.portal import flash
from ladeportal.web.portal.security import attach_csrf_cookie, csrf_token
from ladeportal.web.portal.templating import STATIC_DIR, environment

# Pages, JSON and the live stream are private: never kept by the browser, a proxy or the service worker.
PRIVATE = {"cache-control": "no-store"}


@lru_cache(maxsize=1)
def app_asset_version() -> str:
    own = sorted((p.name, p.stat().st_mtime_ns) for p in (STATIC_DIR / "enduser").rglob("*") if p.is_file())
    return format(abs(hash(tuple(own))) % 10**8, "x")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    page = {
        "request": request,
        "lang": i18n.current_language(),
        "app_languages": i18n.APP_LANGUAGES,
        "csrf_token": csrf_token(request),
        "app_version": app_asset_version(),
        "flashes": flash.take(request),
        **(context or {}),
    }
    html = environment().get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code, headers={**PRIVATE, **(headers or {})})
    attach_csrf_cookie(request, response)
    flash.clear_if_consumed(request, response)
    return response
