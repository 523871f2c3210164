"""Who pays by which plan: a private plan per user group (at every site or at one site) and a public
plan for guests (for the whole organisation or one site). A site's own plan beats the one for all
sites; a group without a plan is priced by nobody's plan and its sessions are flagged for review."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import gettext
from ladeportal.members.groups import get_group, list_groups
from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Site
from ladeportal.orgs.services import get_site, list_sites
from ladeportal.pricing import assignments, services
from ladeportal.pricing.models import PricePlan
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.pages.price_removal import confirm_removal
from ladeportal.web.portal.templating import render

router = APIRouter()
_BASE = "/portal/o/{org_id}/prices/assignments"


@dataclass(frozen=True)
class Assignment:
    site: Site | None  # None: every site
    plan: PricePlan


@dataclass(frozen=True)
class GroupAssignments:
    group: UserGroup
    assignments: list[Assignment]


def _id(raw: str | None) -> uuid.UUID | None:
    """None when not chosen; a malformed id is as unknown as another organisation's: 404."""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such price plan.", code="plan.not_found") from None


async def _page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    plans = await services.list_plans(session, here.org.id, include_archived=True)
    by_id = {p.id: p for p in plans}
    sites = await list_sites(session, here.org.id)
    site_by_id = {s.id: s for s in sites}

    def ordered(rows: list[Assignment]) -> list[Assignment]:
        return sorted(rows, key=lambda a: (a.site is not None, a.site.name if a.site else ""))

    group_rows = await assignments.group_assignments(session, here.org.id)
    groups = [
        GroupAssignments(
            g,
            ordered(
                [
                    Assignment(site_by_id.get(r.site_id) if r.site_id else None, by_id[r.plan_id])
                    for r in group_rows
                    if r.group_id == g.id
                ]
            ),
        )
        for g in await list_groups(session, here.org.id)
    ]
    public = ordered(
        [
            Assignment(site_by_id.get(r.site_id) if r.site_id else None, by_id[r.plan_id])
            for r in await assignments.public_assignments(session, here.org.id)
        ]
    )
    return render(
        request,
        "portal/prices/assignments.html",
        {
            "groups": groups,
            "public": public,
            "sites": sites,
            "plans": [p for p in plans if p.archived_at is None],
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def _failed(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    values: dict[str, str],
    exc: ValidationFailed | Conflict,
    prefix: str,
) -> Response:
    await session.rollback()
    field = f"{prefix}_{exc.field}" if exc.field else f"{prefix}_plan_id"
    return await _page(request, here, session, values, {field: error_text(exc, time_zone=here.org.time_zone)}, 422)


@router.get(_BASE)
async def assignments_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    return await _page(request, here, session)


@router.post(f"{_BASE}/groups")
async def assign_group(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    group_id, site_id, plan_id = (_id(values.get(k)) for k in ("group_id", "group_site_id", "group_plan_id"))
    errors = {}
    if group_id is None:
        errors["group_group_id"] = gettext("Choose a group.")
    if plan_id is None:
        errors["group_plan_id"] = gettext("Choose a plan.")
    if group_id is None or plan_id is None:
        return await _page(request, here, session, values, errors, 422)
    try:
        await assignments.assign_group_plan(session, here.actor, here.org.id, group_id, plan_id, site_id=site_id)
    except (ValidationFailed, Conflict) as exc:
        return await _failed(request, here, session, values, exc, "group")
    return redirect(request, f"{here.base}/prices/assignments", gettext("The group's plan is saved."))


@router.get(f"{_BASE}/groups/remove")
async def confirm_unassign_group(
    request: Request, here: AdminPage, session: SessionDep, group_id: str | None = None, site_id: str | None = None
) -> Response:
    group_uuid, site_uuid = _id(group_id), _id(site_id)
    if group_uuid is None:
        raise NotFound("No such group.", code="group.not_found")
    group = await get_group(session, here.org.id, group_uuid)  # 404 for another organisation's group or site
    site = await get_site(session, here.org.id, site_uuid) if site_uuid is not None else None
    return await confirm_removal(
        request,
        here,
        session,
        group=group,
        site=site,
        action=f"{here.base}/prices/assignments/groups/remove",
        back=f"{here.base}/prices/assignments",
    )


@router.post(f"{_BASE}/groups/remove")
async def unassign_group(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    group_id, site_id = _id(values.get("group_id")), _id(values.get("site_id"))
    if group_id is None:
        raise NotFound("No such group.", code="group.not_found")
    await get_group(session, here.org.id, group_id)  # 404 for another organisation's group or site
    if site_id is not None:
        await get_site(session, here.org.id, site_id)
    try:
        await assignments.unassign_group_plan(session, here.actor, here.org.id, group_id, site_id=site_id)
    except NotFound as exc:  # already removed, e.g. in another tab
        await session.rollback()
        return redirect(
            request, f"{here.base}/prices/assignments", error_text(exc, time_zone=here.org.time_zone), "warning"
        )
    return redirect(request, f"{here.base}/prices/assignments", gettext("The group's plan is removed."))


@router.post(f"{_BASE}/public")
async def assign_public(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    site_id, plan_id = _id(values.get("public_site_id")), _id(values.get("public_plan_id"))
    if plan_id is None:
        return await _page(request, here, session, values, {"public_plan_id": gettext("Choose a plan.")}, 422)
    try:
        await assignments.assign_public_plan(session, here.actor, here.org.id, plan_id, site_id=site_id)
    except (ValidationFailed, Conflict) as exc:
        return await _failed(request, here, session, values, exc, "public")
    return redirect(request, f"{here.base}/prices/assignments", gettext("The public plan is saved."))


@router.get(f"{_BASE}/public/remove")
async def confirm_unassign_public(
    request: Request, here: AdminPage, session: SessionDep, site_id: str | None = None
) -> Response:
    site_uuid = _id(site_id)
    site = await get_site(session, here.org.id, site_uuid) if site_uuid is not None else None
    return await confirm_removal(
        request,
        here,
        session,
        group=None,
        site=site,
        action=f"{here.base}/prices/assignments/public/remove",
        back=f"{here.base}/prices/assignments",
    )


@router.post(f"{_BASE}/public/remove")
async def unassign_public(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    site_id = _id(values.get("site_id"))
    if site_id is not None:
        await get_site(session, here.org.id, site_id)  # 404 for another organisation's site
    try:
        await assignments.unassign_public_plan(session, here.actor, here.org.id, site_id=site_id)
    except NotFound as exc:  # already removed, e.g. in another tab
        await session.rollback()
        return redirect(
            request, f"{here.base}/prices/assignments", error_text(exc, time_zone=here.org.time_zone), "warning"
        )
    return redirect(request, f"{here.base}/prices/assignments", gettext("The public plan is removed."))
