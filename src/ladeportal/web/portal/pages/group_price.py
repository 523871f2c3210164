"""A group's own page: where its members may charge and what they pay at each site, with the plan set
(or removed, after a confirmation that says what they pay afterwards) right there. Finance users
read it; changes are for administrators and go through `pricing.assignments`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import gettext
from ladeportal.members.groups import get_group
from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Site
from ladeportal.orgs.services import get_site, list_sites
from ladeportal.pricing import assignments, services
from ladeportal.pricing.group_prices import prices_by_site
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.pages.members_views import group_rows
from ladeportal.web.portal.pages.price_removal import confirm_removal, optional_id
from ladeportal.web.portal.pages.prices_view import describe_locale
from ladeportal.web.portal.templating import render

router = APIRouter()
_PAGE = "/portal/o/{org_id}/groups/{group_id}"


async def _page(
    request: Request,
    here: OrgContext,
    session: AsyncSession,
    group: UserGroup,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    row = next(r for r in await group_rows(session, here.org.id) if r.group.id == group.id)
    return render(
        request,
        "portal/groups/detail.html",
        {
            "row": row,
            "group": group,
            "prices": await prices_by_site(session, here.org.id, group.id, locale=describe_locale()),
            "sites": await list_sites(session, here.org.id),
            "plans": await services.list_plans(session, here.org.id),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def _site(session: AsyncSession, org_id: uuid.UUID, raw: str | None) -> Site | None:
    """The chosen site (empty: all sites); another organisation's or a malformed id is 404."""
    if not raw:
        return None
    site_id = optional_id(raw)
    if site_id is None:
        raise NotFound("No such site.", code="site.not_found")
    return await get_site(session, org_id, site_id)


@router.get(_PAGE)
async def group_page(request: Request, group_id: uuid.UUID, here: StaffPage, session: SessionDep) -> Response:
    return await _page(request, here, session, await get_group(session, here.org.id, group_id))


@router.post(f"{_PAGE}/price")
async def set_price(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    values = await form_values(request)
    site = await _site(session, here.org.id, values.get("site_id"))
    plan_id = optional_id(values.get("plan_id"))
    if not values.get("plan_id"):
        return await _page(request, here, session, group, values, {"plan_id": gettext("Choose a plan.")}, 422)
    if plan_id is None:
        raise NotFound("No such price plan.", code="plan.not_found")
    try:
        await assignments.assign_group_plan(
            session, here.actor, here.org.id, group.id, plan_id, site_id=site.id if site else None
        )
    except (ValidationFailed, Conflict) as exc:
        await session.rollback()
        group = await get_group(session, here.org.id, group_id)
        return await _page(
            request, here, session, group, values, {"plan_id": error_text(exc, time_zone=here.org.time_zone)}, 422
        )
    return redirect(request, f"{here.base}/groups/{group_id}", gettext("The group's plan is saved."))


@router.get(f"{_PAGE}/price/remove")
async def confirm_remove(
    request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep, site_id: str | None = None
) -> Response:
    group = await get_group(session, here.org.id, group_id)
    site = await _site(session, here.org.id, site_id)
    return await confirm_removal(
        request,
        here,
        session,
        group=group,
        site=site,
        action=f"{here.base}/groups/{group_id}/price/remove",
        back=f"{here.base}/groups/{group_id}",
    )


@router.post(f"{_PAGE}/price/remove")
async def remove_price(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    site = await _site(session, here.org.id, (await form_values(request)).get("site_id"))
    back = f"{here.base}/groups/{group_id}"
    try:
        await assignments.unassign_group_plan(
            session, here.actor, here.org.id, group.id, site_id=site.id if site else None
        )
    except NotFound as exc:  # already removed, e.g. in another tab
        await session.rollback()
        return redirect(request, back, error_text(exc, time_zone=here.org.time_zone), "warning")
    return redirect(request, back, gettext("The group's plan is removed."))
