"""Users of an organisation: the searchable list, adding by mobile number, moving between groups,
and the export. Editing one member and the state changes are in members_user.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, current_language, gettext, ngettext
from ladeportal.members.export import export_members
from ladeportal.members.group_changes import move_members
from ladeportal.members.groups import list_groups
from ladeportal.members.models import User
from ladeportal.members.search import MemberFilter, MemberQuery, search_members
from ladeportal.members.services import MemberInput, add_member
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages import members_import, members_user
from ladeportal.web.portal.pages.members_common import parse_uuid, query_without
from ladeportal.web.portal.pages.members_messages import errors_of
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("users", N_("Users"), "/users", ORDER["users"], icon="users"))

PAGE_SIZE = 50
FILTER_LABELS = {
    MemberFilter.invited: N_("Invited"),
    MemberFilter.active: N_("Logged in"),
    MemberFilter.blocked: N_("Blocked"),
    MemberFilter.never_logged_in: N_("Never logged in"),
    MemberFilter.without_name: N_("Without a name"),
}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), 100_000))
    except ValueError:
        return 1


@router.get("/portal/o/{org_id}/users")
async def list_users(
    request: Request,
    here: StaffPage,
    session: SessionDep,
    q: str | None = None,
    group: str | None = None,
    state: str | None = None,
    tag: str | None = None,
    page: str | None = None,
) -> Response:
    # Unknown filter values (an old bookmark, a hand-edited URL) are ignored rather than refused.
    filters = {
        "q": (q or "").strip()[:100],
        "group": group or "",
        "tag": (tag or "").strip()[:40],
        "state": state if state in FILTER_LABELS else "",
    }
    group_id = parse_uuid(group)
    groups = await list_groups(session, here.org.id)
    if group_id not in {g.id for g in groups}:
        group_id, filters["group"] = None, ""
    result = await search_members(
        session,
        here.org.id,
        MemberQuery(
            text=filters["q"] or None,
            group_id=group_id,
            state=filters["state"] or None,
            tag=filters["tag"] or None,
            page=_page_number(page),
            page_size=PAGE_SIZE,
        ),
    )
    default_id = next((g.id for g in groups if g.is_default), None)
    return render(
        request,
        "portal/users/list.html",
        {
            "result": result,
            "filters": filters,
            "groups": groups,
            "filter_labels": FILTER_LABELS,
            "group_names": {g.id: g.name for g in groups},
            "default_group_id": default_id,
            "paging_query": query_without(request, "page"),
        },
    )


async def _new_form(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/users/new.html",
        {
            "values": values,
            "errors": errors,
            "groups": await list_groups(session, here.org.id),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/users/new")
async def new_user(request: Request, here: AdminPage, session: SessionDep) -> Response:
    return await _new_form(request, here, session, {"send_invite": "1"}, {})


@router.post("/portal/o/{org_id}/users/new")
async def create_user(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        group_id = parse_uuid(values.get("group_id"), field="group_id", message=N_("Choose a group from the list."))
        membership = await add_member(
            session,
            here.actor,
            here.org.id,
            MemberInput(
                phone=values.get("phone", ""),
                name=values.get("name") or None,
                group_id=group_id,
                send_invite=values.get("send_invite") == "1",
            ),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        return await _new_form(request, here, session, values, errors_of(exc), 422)
    # Only what this organisation typed: whether the number was known elsewhere shows nowhere.
    user = await session.get(User, membership.user_id)  # async: the relationship is not loaded
    who = membership.name or (user.phone if user is not None else "") or ""
    text = (
        gettext("%(who)s was added and gets an SMS invitation.")
        if values.get("send_invite") == "1"
        else gettext("%(who)s was added.")
    ) % {"who": who}
    return redirect(request, f"{here.base}/users/{membership.id}", text)


@router.post("/portal/o/{org_id}/users/move")
async def move_users(request: Request, here: AdminPage, session: SessionDep) -> Response:
    form = await request.form()
    back = f"{here.base}/users"
    raw_ids = [v for v in form.getlist("member") if isinstance(v, str)]
    ids = [parse_uuid(v) for v in raw_ids]
    if not raw_ids:
        return redirect(request, back, gettext("Select the members to move first."), "warning")
    if None in ids:
        raise NotFound("No such member.", code="member.not_found")
    target = form.get("group_id")
    group_id = parse_uuid(target if isinstance(target, str) else None)
    if group_id is None:
        return redirect(request, back, gettext("Choose the group to move the members to."), "warning")
    # Not-found members or group answer 404 through the portal's error handler; nothing moves then.
    moved = await move_members(session, here.actor, here.org.id, [i for i in ids if i is not None], group_id)
    return redirect(request, back, ngettext("%(num)d member moved.", "%(num)d members moved.", moved) % {"num": moved})


@router.get("/portal/o/{org_id}/users/export.{fmt}")
async def export(request: Request, fmt: str, here: StaffPage, session: SessionDep) -> Response:
    if fmt not in EXPORT_TYPES:
        raise NotFound("No such export.", code="export.not_found")
    content = await export_members(session, here.org.id, fmt, current_language())
    filename = f"members-{here.org.org_number}.{fmt}"
    return Response(
        content,
        media_type=EXPORT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# Last, because /users/{member_id} would otherwise catch /users/new, /users/import and the exports.
router.include_router(members_import.users_router)
router.include_router(members_user.router)
