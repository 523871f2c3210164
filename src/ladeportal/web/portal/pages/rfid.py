"""RFID tags: the list with owners, registering by UID (for a member or as a group's visitor key),
editing, block/unblock, claiming UIDs that were swiped on the organisation's chargers, bulk import
(members_import.py), and each charger's local authorization list version and sync state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.members.access import TagRefusal
from ladeportal.members.groups import list_groups
from ladeportal.members.models import IdTag, TagState
from ladeportal.members.services import find_membership
from ladeportal.members.tag_state import refusal_of
from ladeportal.members.tags import TagChanges, TagInput, add_tag, get_tag, set_tag_state, update_tag
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage, OrgContext, StaffPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.nav import ORDER, NavSection, register_section
from ladeportal.web.portal.pages import members_import
from ladeportal.web.portal.pages.members_common import expiry_input, parse_expiry_date, parse_uuid
from ladeportal.web.portal.pages.members_messages import errors_of
from ladeportal.web.portal.pages.members_views import get_sighting, local_list_sync, tag_page, unknown_tags
from ladeportal.web.portal.templating import render

router = APIRouter()
register_section(NavSection("rfid", N_("RFID"), "/rfid", ORDER["rfid"], icon="id"))

STATE_FILTERS = {"active": N_("Active"), "blocked": N_("Blocked"), "visitor": N_("Visitor keys")}
SYNC_LABELS = {
    "in_sync": N_("Up to date"),
    "pending": N_("Being sent"),
    "failed": N_("Not accepted"),
    "never": N_("Never sent"),
}
# The domain names the owner membership_id/group_id; the form asks for a member's number or a group.
FIELD_NAMES = {"membership_id": "member", "phone": "member", "expires_at": "expires_on"}


@dataclass
class Owner:
    membership_id: uuid.UUID | None
    group_id: uuid.UUID | None


async def _owner(session: SessionDep, here: OrgContext, values: dict[str, str]) -> Owner:
    if values.get("owner") == "group":
        group_id = parse_uuid(
            values.get("group_id"),
            field="group_id",
            message="Choose a group from the list.",
            code="group.choice_invalid",
        )
        if group_id is None:
            raise ValidationFailed(
                "Choose the group the visitor key belongs to.", field="group_id", code="tag.group_choice_required"
            )
        return Owner(None, group_id)
    member = values.get("member", "")
    if not member:
        raise ValidationFailed("Give the member's mobile number.", field="member", code="tag.member_phone_required")
    try:
        membership = await find_membership(session, here.org.id, member)
    except NotFound as exc:
        raise ValidationFailed(exc.message, field="member", code=exc.code, params=exc.params) from None
    return Owner(membership.id, None)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or "1"), 100_000))
    except ValueError:
        return 1


async def _list_page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    *,
    q: str = "",
    state: str = "",
    page: int = 1,
    claim: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    version, sync_rows = await local_list_sync(session, here.org.id)
    return render(
        request,
        "portal/rfid/list.html",
        {
            "tags": await tag_page(session, here.org.id, text=q, state=state, page=page),
            "filters": {"q": q, "state": state},
            "state_filters": STATE_FILTERS,
            "unknown": await unknown_tags(session, here.org.id),
            "groups": await list_groups(session, here.org.id),
            "list_version": version,
            "sync_rows": sync_rows,
            "sync_labels": SYNC_LABELS,
            "claim": claim or {},
            "paging_query": "&".join(f"{k}={v}" for k, v in (("q", q), ("state", state)) if v),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/rfid")
async def list_tags_page(
    request: Request,
    here: StaffPage,
    session: SessionDep,
    q: str | None = None,
    state: str | None = None,
    page: str | None = None,
) -> Response:
    return await _list_page(
        request,
        here,
        session,
        q=(q or "").strip()[:40],
        state=state if state in STATE_FILTERS else "",
        page=_page_number(page),
    )


async def _form(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str],
    tag: IdTag | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/rfid/form.html",
        {
            "values": values,
            "errors": errors,
            "tag": tag,
            "refusal": _refusal(tag),
            "groups": await list_groups(session, here.org.id),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/rfid/new")
async def new_tag(
    request: Request, here: AdminPage, session: SessionDep, uid: str | None = None, member: str | None = None
) -> Response:
    return await _form(request, here, session, {"uid": uid or "", "member": member or "", "owner": "member"}, {})


@router.post("/portal/o/{org_id}/rfid/new")
async def register(request: Request, here: AdminPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        owner = await _owner(session, here, values)
        tag = await add_tag(
            session,
            here.actor,
            here.org.id,
            TagInput(
                uid=values.get("uid", ""),
                membership_id=owner.membership_id,
                group_id=owner.group_id,
                label=values.get("label"),
                expires_at=parse_expiry_date(values.get("expires_on"), here.org.time_zone),
            ),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        return await _form(request, here, session, values, errors_of(exc, FIELD_NAMES), status_code=422)
    return redirect(request, f"{here.base}/rfid", gettext("Tag %(uid)s registered.") % {"uid": tag.uid})


@router.post("/portal/o/{org_id}/rfid/unknown/{sighting_id}/claim")
async def claim(request: Request, sighting_id: int, here: AdminPage, session: SessionDep) -> Response:
    sighting = await get_sighting(session, here.org.id, sighting_id)
    if sighting is None:
        raise NotFound("No such tag.", code="tag.not_found")
    uid = sighting.uid
    values = await form_values(request)
    try:
        owner = await _owner(session, here, values)
        await add_tag(
            session,
            here.actor,
            here.org.id,
            TagInput(
                uid=uid,
                membership_id=owner.membership_id,
                group_id=owner.group_id,
                label=values.get("label"),
            ),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        claim_state = {"id": sighting_id, "values": values, "errors": errors_of(exc, FIELD_NAMES)}
        return await _list_page(request, here, session, claim=claim_state, status_code=422)
    return redirect(request, f"{here.base}/rfid", gettext("Tag %(uid)s registered.") % {"uid": uid})


def _values(tag: IdTag, time_zone: str) -> dict[str, str]:
    member = tag.membership.user.phone if tag.membership is not None and tag.membership.user else ""
    return {
        "uid": tag.uid,
        "owner": "group" if tag.membership_id is None else "member",
        "member": member or "",
        "group_id": str(tag.group_id or ""),
        "label": tag.label or "",
        "expires_on": expiry_input(tag.expires_at, time_zone),
    }


def _refusal(tag: IdTag | None) -> TagRefusal | None:
    """Why chargers refuse the tag (None when it works), for a tag loaded with its membership."""
    if tag is None:
        return None
    member = tag.membership if tag.membership_id is not None else None
    state = member.state if member is not None else None
    return refusal_of(tag, state, member is not None and member.removed_at is not None, utcnow())


async def _tag(session: SessionDep, here: OrgContext, tag_id: uuid.UUID) -> IdTag:
    tag = await get_tag(session, here.org.id, tag_id)
    if tag.membership_id is not None:
        await session.refresh(tag, ["membership"])
        if tag.membership is not None:
            await session.refresh(tag.membership, ["user"])
    return tag


@router.get("/portal/o/{org_id}/rfid/{tag_id}/edit")
async def edit_tag(request: Request, tag_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    tag = await _tag(session, here, tag_id)
    return await _form(request, here, session, _values(tag, here.org.time_zone), {}, tag)


@router.post("/portal/o/{org_id}/rfid/{tag_id}/edit")
async def save_tag(request: Request, tag_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    tag = await get_tag(session, here.org.id, tag_id)
    values = await form_values(request)
    try:
        owner = await _owner(session, here, values)
        await update_tag(
            session,
            here.actor,
            here.org.id,
            tag.id,
            TagChanges(
                membership_id=owner.membership_id,
                group_id=owner.group_id,
                label=values.get("label"),
                expires_at=parse_expiry_date(values.get("expires_on"), here.org.time_zone),
            ),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        tag = await _tag(session, here, tag_id)
        return await _form(request, here, session, {**values, "uid": tag.uid}, errors_of(exc, FIELD_NAMES), tag, 422)
    return redirect(request, f"{here.base}/rfid", gettext("Tag %(uid)s saved.") % {"uid": tag.uid})


@router.post("/portal/o/{org_id}/rfid/{tag_id}/block")
async def block_tag(request: Request, tag_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    tag = await set_tag_state(session, here.actor, here.org.id, tag_id, TagState.blocked)
    return redirect(request, f"{here.base}/rfid", gettext("Tag %(uid)s is blocked.") % {"uid": tag.uid})


@router.post("/portal/o/{org_id}/rfid/{tag_id}/unblock")
async def unblock_tag(request: Request, tag_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    tag = await set_tag_state(session, here.actor, here.org.id, tag_id, TagState.active)
    return redirect(request, f"{here.base}/rfid", gettext("Tag %(uid)s works again.") % {"uid": tag.uid})


router.include_router(members_import.rfid_router)
