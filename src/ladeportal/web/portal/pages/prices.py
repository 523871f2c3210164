"""Prices: the organisation's plans in plain words with who pays by them, one plan's version history,
creating a plan, changing its prices (a new version from a chosen moment), withdrawing a scheduled
version and archiving a plan. Assignments are in prices_assign.py, the calculator in prices_calc.py.

Reads need staff (admin or finance), changes an admin; another organisation's plan ids are 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.i18n.formatting import local_datetime
from ladeportal.orgs.services import list_sites
from ladeportal.pricing import services
from ladeportal.pricing.overview import PlanOverview, plan_overview
from ladeportal.pricing.plans import PRICE_AREAS
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import GENERAL
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages.prices_assign import router as assignments_router
from ladeportal.web.portal.pages.prices_calc import calculator_context
from ladeportal.web.portal.pages.prices_calc import router as calculator_router
from ladeportal.web.portal.pages.prices_form import (
    ENERGY_LABELS,
    LOCAL_MINUTE,
    PlanForm,
    default_bands,
    domain_errors,
    form_from_definition,
    parse_plan,
    read_plan_form,
    shown_rows,
)
from ladeportal.web.portal.pages.prices_view import describe_locale, plan_card
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("prices", N_("Prices"), "/prices", ORDER["prices"], icon="currency"))
# The static paths (/prices/new, /prices/assignments, /prices/calculator) come before /prices/{plan_id}.
router.include_router(calculator_router)
router.include_router(assignments_router)

_BASE = "/portal/o/{org_id}/prices"


async def _overview(here: OrgContext, session: SessionDep, plan_id: uuid.UUID) -> PlanOverview:
    await services.get_plan(session, here.org.id, plan_id)  # 404 for another organisation's plan
    found = await plan_overview(session, here.org.id, locale=describe_locale(), include_archived=True)
    return next(p for p in found if p.plan.id == plan_id)


def _now_local(here: OrgContext) -> str:
    return utcnow().astimezone(ZoneInfo(here.org.time_zone)).strftime(LOCAL_MINUTE)


async def _form_page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    form: PlanForm,
    errors: dict[str, str],
    overview: PlanOverview | None = None,
    status_code: int = 200,
    at_least: int = 0,
) -> Response:
    sites = await list_sites(session, here.org.id)
    areas = sorted(PRICE_AREAS, key=lambda a: (not a.startswith(here.org.country), a))
    values = dict(form.values)
    if not values.get("spot_area"):
        values["spot_area"] = sites[0].price_area if sites else areas[0]
    if not values.get("effective_from"):
        values["effective_from"] = values["effective_default"] = _now_local(here)
    bands = shown_rows(form.bands, at_least)
    return render(
        request,
        "portal/prices/form.html",
        {
            "values": values,
            "bands": bands,
            "errors": errors,
            "overview": overview,
            "price_areas": areas,
            "site_areas": sorted({s.price_area for s in sites}),
            "energy_labels": ENERGY_LABELS,
            "day_names": [N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")],
        },
        status_code=status_code,
    )


def _added_band_row(values: dict[str, str]) -> int:
    try:
        return int(values.get("band_rows") or 0) + 1
    except ValueError:
        return 0


@router.get(_BASE)
async def prices_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    cards = [plan_card(p) for p in await plan_overview(session, here.org.id, locale=describe_locale())]
    calculator = await calculator_context(session, here, None)
    return render(request, "portal/prices/list.html", {"cards": cards, **calculator})


@router.get(f"{_BASE}/new")
async def new_plan(request: Request, here: AdminPage, session: SessionDep) -> Response:
    form = PlanForm({"energy_type": "fixed", "prices_include_vat": "incl", "spot_factor": "1"}, default_bands())
    return await _form_page(request, here, session, form, {})


@router.post(f"{_BASE}/new")
async def create_plan(request: Request, here: AdminPage, session: SessionDep) -> Response:
    form = read_plan_form(await request.form())
    if "add_band" in await request.form():
        return await _form_page(request, here, session, form, {}, at_least=_added_band_row(form.values))
    parsed = parse_plan(
        form, vat_rate_bp=here.org.vat_rate_bp, currency=here.org.currency, time_zone=here.org.time_zone
    )
    errors = dict(parsed.errors)
    if not form.values.get("name"):
        errors["name"] = gettext("The plan needs a name.")
    if not errors:
        try:
            plan = await services.create_plan(
                session,
                here.actor,
                here.org.id,
                form.values["name"],
                parsed.definition,
                description=form.values.get("description") or None,
                effective_from=parsed.effective_from,
            )
        except (ValidationFailed, Conflict) as exc:
            await session.rollback()
            errors = domain_errors(exc, here.org.time_zone)
        else:
            return redirect(
                request, f"{here.base}/prices/{plan.id}", gettext("Price plan %(name)s created.") % {"name": plan.name}
            )
    return await _form_page(request, here, session, form, errors, status_code=422)


@router.get(f"{_BASE}/{{plan_id}}")
async def plan_page(request: Request, plan_id: uuid.UUID, here: StaffPage, session: SessionDep) -> Response:
    card = plan_card(await _overview(here, session, plan_id))
    return render(request, "portal/prices/detail.html", {"card": card, "plan": card.overview.plan})


@router.get(f"{_BASE}/{{plan_id}}/edit")
async def edit_plan(request: Request, plan_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    overview = await _overview(here, session, plan_id)
    if overview.plan.archived_at is not None:
        return redirect(
            request,
            f"{here.base}/prices/{plan_id}",
            gettext("The plan is archived; create a new plan instead."),
            "warning",
        )
    # Start from the newest version: a change usually builds on the last one decided, even if scheduled.
    latest = overview.versions[-1].version
    return await _form_page(request, here, session, form_from_definition(latest.definition), {}, overview)


@router.post(f"{_BASE}/{{plan_id}}/edit")
async def add_version(request: Request, plan_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    overview = await _overview(here, session, plan_id)
    form = read_plan_form(await request.form())
    if "add_band" in await request.form():
        return await _form_page(request, here, session, form, {}, overview, at_least=_added_band_row(form.values))
    parsed = parse_plan(
        form, vat_rate_bp=here.org.vat_rate_bp, currency=here.org.currency, time_zone=here.org.time_zone
    )
    errors = dict(parsed.errors)
    if not errors:
        try:
            version = await services.add_version(
                session, here.actor, here.org.id, plan_id, parsed.definition, effective_from=parsed.effective_from
            )
        except (ValidationFailed, Conflict) as exc:
            await session.rollback()
            errors = domain_errors(exc, here.org.time_zone)
            overview = await _overview(here, session, plan_id)
        else:
            return redirect(request, f"{here.base}/prices/{plan_id}", _version_saved(version.effective_from, here))
    return await _form_page(request, here, session, form, errors, overview, status_code=422)


def _version_saved(effective_from: datetime, here: OrgContext) -> str:
    return gettext("New prices saved; they apply from %(when)s.") % {
        "when": local_datetime(effective_from, here.org.time_zone)
    }


@router.post(f"{_BASE}/{{plan_id}}/versions/{{version_id}}/delete")
async def withdraw_version(
    request: Request, plan_id: uuid.UUID, version_id: uuid.UUID, here: AdminPage, session: SessionDep
) -> Response:
    version = await services.get_version(session, here.org.id, plan_id, version_id)
    number = version.number
    try:
        await services.delete_version(session, here.actor, here.org.id, plan_id, version_id)
    except Conflict as exc:
        await session.rollback()
        return redirect(
            request, f"{here.base}/prices/{plan_id}", error_text(exc, time_zone=here.org.time_zone), "warning"
        )
    return redirect(
        request,
        f"{here.base}/prices/{plan_id}",
        gettext("Scheduled version %(number)s withdrawn.") % {"number": number},
    )


@router.get(f"{_BASE}/{{plan_id}}/archive")
async def confirm_archive(request: Request, plan_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    overview = await _overview(here, session, plan_id)
    return render(request, "portal/prices/archive.html", {"overview": overview, "errors": {}})


@router.post(f"{_BASE}/{{plan_id}}/archive")
async def archive(request: Request, plan_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    plan = await services.get_plan(session, here.org.id, plan_id)
    name = plan.name
    try:
        await services.archive_plan(session, here.actor, here.org.id, plan_id)
    except Conflict as exc:
        await session.rollback()
        overview = await _overview(here, session, plan_id)
        return render(
            request,
            "portal/prices/archive.html",
            {"overview": overview, "errors": {GENERAL: error_text(exc, time_zone=here.org.time_zone)}},
            status_code=409,
        )
    return redirect(request, f"{here.base}/prices", gettext("Price plan %(name)s archived.") % {"name": name})
