"""User groups: list with member counts, create, edit (description, the sites and single chargers the
group may use), delete (never the default group; its members fall back to the default group)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.members.group_changes import GroupChanges, delete_group, update_group
from ladeportal.members.groups import create_group, get_group, group_charge_point_ids, group_site_ids
from ladeportal.members.models import UserGroup
from ladeportal.orgs.services import list_sites
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages.group_price import router as group_price_router
from ladeportal.web.portal.pages.members_common import parse_uuid
from ladeportal.web.portal.pages.members_messages import errors_of, text_of
from ladeportal.web.portal.pages.members_views import chargers_of, group_rows
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("groups", N_("Groups"), "/groups", ORDER["groups"], icon="users-group"))


@dataclass
class GroupForm:
    """What the form shows: text fields and the chosen sites and chargers (as strings)."""

    name: str = ""
    description: str = ""
    access: str = "all"  # "all" sites, or only the "chosen" sites and chargers
    site_ids: tuple[str, ...] = ()
    charge_point_ids: tuple[str, ...] = ()


async def _read_form(request: Request) -> GroupForm:
    form = await request.form()

    def text(key: str) -> str:
        value = form.get(key)
        return value.strip() if isinstance(value, str) else ""

    return GroupForm(
        name=text("name"),
        description=text("description"),
        access="chosen" if text("access") == "chosen" else "all",
        site_ids=tuple(v for v in form.getlist("site_ids") if isinstance(v, str)),
        charge_point_ids=tuple(v for v in form.getlist("charge_point_ids") if isinstance(v, str)),
    )


def _changes(form: GroupForm) -> GroupChanges:
    def ids(values: tuple[str, ...], field: str) -> list[uuid.UUID]:
        parsed = [parse_uuid(v) for v in values]
        if None in parsed:
            raise NotFound(
                "One or more sites do not exist in this organisation."
                if field == "site_ids"
                else "One or more chargers do not exist in this organisation.",
                field=field,
                code="site.some_missing" if field == "site_ids" else "charger.some_missing",
            )
        return [p for p in parsed if p is not None]

    if form.access == "all":
        return GroupChanges(form.name, form.description)
    sites, chargers = ids(form.site_ids, "site_ids"), ids(form.charge_point_ids, "charge_point_ids")
    if not sites and not chargers:
        raise ValidationFailed(
            N_("Choose at least one site or charger, or let the group use all sites."),
            field="site_ids",
            code="group.scope_required",
        )
    return GroupChanges(form.name, form.description, sites, chargers)


async def _form_page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    form: GroupForm,
    errors: dict[str, str],
    group: UserGroup | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/groups/form.html",
        {
            "form": form,
            "values": {"name": form.name, "description": form.description},
            "errors": errors,
            "group": group,
            "sites": await list_sites(session, here.org.id),
            "chargers": await chargers_of(session, here.org.id),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/groups")
async def list_groups_page(request: Request, here: StaffPage, session: SessionDep) -> Response:
    return render(request, "portal/groups/list.html", {"rows": await group_rows(session, here.org.id)})


@router.get("/portal/o/{org_id}/groups/new")
async def new_group(request: Request, here: AdminPage, session: SessionDep) -> Response:
    return await _form_page(request, here, session, GroupForm(), {})


@router.post("/portal/o/{org_id}/groups/new")
async def create(request: Request, here: AdminPage, session: SessionDep) -> Response:
    form = await _read_form(request)
    try:
        changes = _changes(form)
        group = await create_group(
            session,
            here.actor,
            here.org.id,
            changes.name,
            changes.description,
            changes.site_ids,
            changes.charge_point_ids,
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        return await _form_page(request, here, session, form, errors_of(exc), status_code=422)
    return redirect(request, f"{here.base}/groups", gettext("Group %(name)s created.") % {"name": group.name})


@router.get("/portal/o/{org_id}/groups/{group_id}/edit")
async def edit(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    form = GroupForm(
        group.name,
        group.description or "",
        "all" if group.all_sites else "chosen",
        tuple(str(s) for s in await group_site_ids(session, group)),
        tuple(str(c) for c in await group_charge_point_ids(session, group)),
    )
    return await _form_page(request, here, session, form, {}, group)


@router.post("/portal/o/{org_id}/groups/{group_id}/edit")
async def save(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    form = await _read_form(request)
    try:
        await update_group(session, here.actor, here.org.id, group.id, _changes(form))
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        group = await get_group(session, here.org.id, group_id)
        return await _form_page(request, here, session, form, errors_of(exc), group, 422)
    return redirect(request, f"{here.base}/groups", gettext("Group %(name)s saved.") % {"name": form.name})


@router.get("/portal/o/{org_id}/groups/{group_id}/delete")
async def confirm_delete(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    if group.is_default:
        return redirect(
            request,
            f"{here.base}/groups",
            gettext("The default group cannot be deleted; members without a group belong to it."),
            "warning",
        )
    rows = await group_rows(session, here.org.id)
    row = next(r for r in rows if r.group.id == group.id)
    default = next(r.group for r in rows if r.group.is_default)
    return render(request, "portal/groups/delete.html", {"row": row, "default": default})


@router.post("/portal/o/{org_id}/groups/{group_id}/delete")
async def delete(request: Request, group_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    group = await get_group(session, here.org.id, group_id)
    name = group.name
    try:
        await delete_group(session, here.actor, here.org.id, group.id)
    except Conflict as exc:
        await session.rollback()
        return redirect(request, f"{here.base}/groups", text_of(exc), "warning")
    return redirect(request, f"{here.base}/groups", gettext("Group %(name)s deleted.") % {"name": name})


# After the fixed paths above ("/groups/new"), so that "new" is never read as a group id.
router.include_router(group_price_router)
