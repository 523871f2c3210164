"""Sites of an organisation: list, create, edit (address, price area, grid limit)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.chargers.power import grid_limit_w, live_power
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.orgs import services
from ladeportal.orgs.models import PRICE_AREAS, Site
from ladeportal.orgs.services import SiteInput
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values, optional_int, required_int
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("sites", N_("Sites"), "/sites", ORDER["sites"], icon="map-pin"))

FIELDS = ("name", "street", "postal_code", "city", "price_area", "grid_limit_amps", "grid_phases")


def _input(values: dict[str, str]) -> SiteInput:
    return SiteInput(
        name=values.get("name", ""),
        price_area=values.get("price_area", ""),
        street=values.get("street"),
        postal_code=values.get("postal_code"),
        city=values.get("city"),
        grid_limit_amps=optional_int(
            values.get("grid_limit_amps"),
            "grid_limit_amps",
            N_("The grid limit must be a whole number of amperes."),
            code="site.grid_limit_whole",
        ),
        grid_phases=required_int(
            values.get("grid_phases") or "3",
            "grid_phases",
            N_("The grid connection has 1 or 3 phases."),
            code="site.grid_phases",
        ),
    )


def _values(site: Site) -> dict[str, str]:
    return {f: "" if getattr(site, f) is None else str(getattr(site, f)) for f in FIELDS}


def _form(
    request: Request,
    here: OrgContext,
    values: dict[str, str],
    errors: dict[str, str],
    site: Site | None = None,
    status_code: int = 200,
) -> Response:
    areas = [a for a in PRICE_AREAS if a.startswith(here.org.country)]
    return render(
        request,
        "portal/sites/form.html",
        {"values": values, "errors": errors, "site": site, "price_areas": areas},
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/sites")
async def list_sites(request: Request, here: StaffPage, session: SessionDep) -> Response:
    # Live power per site beside its grid limit: two queries for all sites (chargers/power.py).
    return render(
        request,
        "portal/sites/list.html",
        {
            "sites": await services.list_sites(session, here.org.id),
            "power": await live_power(session, here.org.id),
            "grid_limit_w": grid_limit_w,
        },
    )


@router.get("/portal/o/{org_id}/sites/new")
async def new_site(request: Request, here: AdminPage) -> Response:
    default_area = "NO1" if here.org.country == "NO" else "SE3"
    return _form(request, here, {"price_area": default_area, "grid_phases": "3"}, {})


@router.post("/portal/o/{org_id}/sites/new")
async def create_site(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        site = await services.create_site(session, here.actor, here.org.id, _input(values))
    except (ValidationFailed, Conflict) as exc:
        return _form(request, here, values, field_errors(exc), status_code=422)
    return redirect(request, f"{here.base}/sites", gettext("Site %(name)s created.") % {"name": site.name})


@router.get("/portal/o/{org_id}/sites/{site_id}/edit")
async def edit_site(request: Request, site_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    site = await services.get_site(session, here.org.id, site_id)
    return _form(request, here, _values(site), {}, site)


@router.post("/portal/o/{org_id}/sites/{site_id}/edit")
async def update_site(request: Request, site_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    site = await services.get_site(session, here.org.id, site_id)
    values = await form_values(request)
    try:
        await services.update_site(session, here.actor, here.org.id, site.id, _input(values))
    except (ValidationFailed, Conflict) as exc:
        await session.rollback()
        return _form(request, here, values, field_errors(exc), site, status_code=422)
    return redirect(request, f"{here.base}/sites", gettext("Site %(name)s saved.") % {"name": values.get("name")})
