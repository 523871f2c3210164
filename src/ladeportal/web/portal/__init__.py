"""The owner portal: server-rendered pages (Jinja2 + HTMX + Tabler) under /portal.

`install(app)` (called by web/app.py) mounts the pages, static files, error pages, the language and
security-header middleware, and teaches the JSON API to accept a signed-in browser.

Extending the portal from another area (see nav.py, templating.py, forms.py, flash.py, access.py):

    router = APIRouter()
    register_section(NavSection("groups", N_("Groups"), "/groups", ORDER["groups"]))

    @router.get("/portal/o/{org_id}/groups")
    async def groups(request: Request, here: StaffPage, session: SessionDep) -> Response:
        return render(request, "portal/groups/list.html", {"groups": ...})

and add the module's dotted name to PAGE_MODULES (or call `include_pages(app, router)` from it).
"""

from __future__ import annotations

import importlib
import logging

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from ladeportal.web.portal.api_identity import install_identity_resolver
from ladeportal.web.portal.errors import install_portal_error_handlers
from ladeportal.web.portal.middleware import PortalMiddleware
from ladeportal.web.portal.security import verify_csrf
from ladeportal.web.portal.templating import STATIC_DIR

log = logging.getLogger(__name__)

# Page modules, each with a `router`; a module that is not there yet is skipped, so an area's pages
# appear (with their navigation entry) the day its module lands.
PAGE_MODULES = (
    "ladeportal.web.portal.pages.login",
    "ladeportal.web.portal.pages.home",
    "ladeportal.web.portal.pages.dashboard",
    "ladeportal.web.portal.pages.sites",
    "ladeportal.web.portal.pages.chargers",
    "ladeportal.web.portal.pages.charger_detail",
    "ladeportal.web.portal.pages.charger_tools",
    "ladeportal.web.portal.pages.settings",
    "ladeportal.web.portal.pages.operator",
    "ladeportal.web.portal.pages.users",
    "ladeportal.web.portal.pages.member_app_sessions",
    "ladeportal.web.portal.pages.groups",
    "ladeportal.web.portal.pages.rfid",
    "ladeportal.web.portal.pages.prices",
    "ladeportal.web.portal.pages.public_charging",
    "ladeportal.web.portal.pages.sessions",
    "ladeportal.web.portal.pages.session_review",
    "ladeportal.web.portal.pages.payments",
    "ladeportal.web.portal.pages.operator_payments",
    "ladeportal.web.portal.pages.invoicing",
    "ladeportal.web.portal.pages.invoicing_invoices",
    "ladeportal.web.portal.pages.invoicing_money",
    "ladeportal.web.portal.pages.reports",
    "ladeportal.web.portal.pages.statement",
    "ladeportal.web.portal.pages.subscription",
    "ladeportal.web.portal.pages.operator_subscriptions",
    "ladeportal.web.portal.pages.terms",
    "ladeportal.web.portal.pages.operator_console",
    "ladeportal.web.portal.pages.operator_terms",
)


def include_pages(app: FastAPI, router: APIRouter) -> None:
    """Mount a router of portal pages with the portal's CSRF check on every unsafe request."""
    app.include_router(router, dependencies=[Depends(verify_csrf)], include_in_schema=False)


def install(app: FastAPI) -> None:
    for name in PAGE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        include_pages(app, module.router)
    if not (STATIC_DIR / "vendor" / "versions.json").exists():
        log.warning("portal styles missing: run `npm ci && node scripts/copy-vendor.mjs`")
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    app.add_middleware(PortalMiddleware)
    install_portal_error_handlers(app)
    install_identity_resolver()
