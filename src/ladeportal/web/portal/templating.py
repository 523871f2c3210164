"""Rendering portal pages: one Jinja2 environment, and `render()` that every page calls.

`render(request, "portal/x.html", {...})` adds what every page needs (the signed-in person, the
organisation and its navigation, the CSRF token, flash messages, the language and formatters), so a
page module only passes its own data. A template partial rendered alone (HTMX) goes through the same
function with `partial=True`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse

from ladeportal import i18n
from ladeportal.i18n import formatting
from ladeportal.members.phone import display_mobile
from ladeportal.web.portal import flash
from ladeportal.web.portal.nav import sections_for
from ladeportal.web.portal.ocpp_words import ocpp_word
from ladeportal.web.portal.security import CSRF_FIELD, attach_csrf_cookie, csrf_token

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
# Tabler colour of each charger state's badge (a global: the badge is drawn once per listed charger).
STATE_COLOURS = {
    "available": "green",
    "charging": "blue",
    "faulted": "red",
    "offline": "secondary",
    "occupied": "azure",
    "unavailable": "orange",
    "pending": "yellow",
    "unknown": "secondary",
    "retired": "secondary",
}


@lru_cache(maxsize=1)
def asset_version() -> str:
    """Appended to static URLs so browsers fetch new files after an upgrade."""
    versions = STATIC_DIR / "vendor" / "versions.json"
    stamp = versions.read_text(encoding="utf-8") if versions.exists() else ""
    own = sorted(p.stat().st_mtime_ns for p in (STATIC_DIR / "portal").glob("*") if p.is_file())
    return format(abs(hash((stamp, tuple(own)))) % 10**8, "x")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The callables read the request's language from a context variable, so one environment serves
    # every language; newstyle gettext escapes and %-formats safely.
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        money=formatting.money,
        number=formatting.number,
        kwh=formatting.energy_kwh,
        kw=formatting.power_kw,
        datetime=formatting.local_datetime,
        time=formatting.local_time,
        date=formatting.local_date,
        phone=display_mobile,
        ocpp=ocpp_word,
        tojson_attr=lambda value: json.dumps(value),
    )
    env.globals.update(
        languages=i18n.LANGUAGES, asset_version=asset_version, csrf_field=CSRF_FIELD, state_colours=STATE_COLOURS
    )
    return env


def page_context(request: Request, extra: dict[str, Any]) -> dict[str, Any]:
    viewer = getattr(request.state, "viewer", None)
    here = getattr(request.state, "org_context", None)
    return {
        "request": request,
        "viewer": viewer,
        "here": here,
        "nav": sections_for(here.role) if here is not None else [],
        "csrf_token": csrf_token(request),
        "flashes": flash.take(request),
        "lang": i18n.current_language(),
        "dev_mode": request.app.state.settings.mode == "dev",
        **extra,
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    html = environment().get_template(template).render(page_context(request, context or {}))
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    attach_csrf_cookie(request, response)
    flash.clear_if_consumed(request, response)
    return response
