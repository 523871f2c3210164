"""Chargers: the live list (HTMX polling of one partial), commissioning and activation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.chargers import services
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.orgs.services import list_sites
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal import readmodels
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values, optional_int, required_int
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("chargers", N_("Chargers"), "/chargers", ORDER["chargers"], icon="plug"))


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@router.get("/portal/o/{org_id}/chargers")
async def list_chargers(
    request: Request,
    here: StaffPage,
    session: SessionDep,
    site: str | None = None,
    state: str | None = None,
    q: str | None = None,
    partial: str | None = None,
) -> Response:
    site_id = _uuid_or_none(site)
    rows = await readmodels.charger_rows(
        session,
        here.org.id,
        settings_of(request).ocpp_heartbeat_interval,
        site_id=site_id,
        state=state if state in readmodels.STATES else None,
        search=(q or "").strip() or None,
    )
    context = {
        "rows": rows,
        "state_labels": readmodels.STATE_LABELS,
        "states": readmodels.STATES,
        "connector_labels": readmodels.CONNECTOR_LABELS,
        "filters": {"site": str(site_id) if site_id else "", "state": state or "", "q": q or ""},
        "query": request.url.query,
    }
    if partial == "rows":
        # The same rows the page shows, alone, for the polling tbody.
        return render(request, "portal/chargers/_rows.html", context)
    context["sites"] = await list_sites(session, here.org.id)
    return render(request, "portal/chargers/list.html", context)


async def _commission_form(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/chargers/new.html",
        {"values": values, "errors": errors, "sites": await list_sites(session, here.org.id)},
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/chargers/new")
async def new_charger(request: Request, here: AdminPage, session: SessionDep, site: str | None = None) -> Response:
    return await _commission_form(
        request, here, session, {"site_id": site or "", "connectors": "2", "max_power_kw": "22"}, {}
    )


@router.post("/portal/o/{org_id}/chargers/new")
async def commission(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        site_id = _uuid_or_none(values.get("site_id"))
        if site_id is None:
            raise ValidationFailed(
                N_("Choose the site the charger is installed at."), field="site_id", code="charger.site_required"
            )
        kw = optional_int(
            values.get("max_power_kw"),
            "max_power_kw",
            N_("Max power must be a whole number of kW."),
            code="charger.max_power_whole",
        )
        new = await services.add_charge_point(
            session,
            here.actor,
            here.org.id,
            site_id,
            values.get("ocpp_id", ""),
            name=values.get("name"),
            connectors=required_int(
                values.get("connectors"),
                "connectors",
                N_("A charger has between 1 and 10 connectors."),
                code="charger.connectors_range",
            ),
            max_power_w=kw * 1000 if kw is not None else None,
        )
    except (ValidationFailed, Conflict) as exc:
        errors = field_errors(exc)
        if "max_power_w" in errors:  # the form asks for kW
            errors["max_power_kw"] = errors.pop("max_power_w")
        return await _commission_form(request, here, session, values, errors, 422)
    cp = new.charge_point
    return render(
        request,
        "portal/chargers/commissioned.html",
        {
            "cp": cp,
            "password": new.password,
            "ocpp_url": services.ocpp_url(settings_of(request).public_url, cp.ocpp_id),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/portal/o/{org_id}/chargers/{charger_id}/activate")
async def activate(request: Request, charger_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    cp = await services.activate_charge_point(session, here.actor, here.org.id, charger_id)
    return redirect(
        request,
        f"{here.base}/chargers/{cp.id}",
        gettext("%(name)s is active and may now be used.") % {"name": cp.name or cp.ocpp_id},
    )
