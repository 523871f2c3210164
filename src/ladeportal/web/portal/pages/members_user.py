"""One member: edit (name, e-mail, notes, role, group, parking spot: this organisation's record of
them, never the person's own), resend the invitation,
block/unblock and remove, each state change behind a confirmation page (a plain form, so it works
without JavaScript and a misclick cannot lock a resident out)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.billing.overdue_block import overdue_block
from ladeportal.db.base import utcnow
from ladeportal.enduser.app_sessions import member_app_sessions
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.members import services
from ladeportal.members.groups import list_groups
from ladeportal.members.invites import CHANNELS, can_email_invite, resend_invite
from ladeportal.members.lookup import get_membership
from ladeportal.members.member_edit import MemberChanges, edit_member
from ladeportal.members.models import Membership, MembershipState, Role
from ladeportal.members.tag_state import refusal_of
from ladeportal.members.tags import list_tags
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import app_policy
from ladeportal.web.portal.access import AdminPage, OrgContext
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values
from ladeportal.web.portal.pages.members_common import parse_uuid
from ladeportal.web.portal.pages.members_messages import errors_of, text_of
from ladeportal.web.portal.templating import render

router = APIRouter()

ROLE_LABELS = {Role.member: N_("Member"), Role.org_admin: N_("Administrator"), Role.finance: N_("Finance")}
STATE_LABELS = {
    MembershipState.invited: N_("Invited"),
    MembershipState.active: N_("Logged in"),
    MembershipState.blocked: N_("Blocked"),
}
# The confirmation pages: what the button says and what happens.
ACTIONS = {
    "block": (N_("Block member"), N_("Block")),
    "unblock": (N_("Unblock member"), N_("Unblock")),
    "remove": (N_("Remove member"), N_("Remove")),
}


def _values(membership: Membership) -> dict[str, str]:
    return {
        "name": membership.name or "",
        "email": membership.email or "",
        "notes": membership.notes or "",
        "role": membership.role.value,
        "group_id": str(membership.group_id or ""),
        "parking_spot": membership.parking_spot or "",
    }


async def _edit_page(
    request: Request,
    here: OrgContext,
    session: SessionDep,
    membership: Membership,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    groups = await list_groups(session, here.org.id)
    default_id = next((str(g.id) for g in groups if g.is_default), "")
    tags = await list_tags(session, here.org.id, membership_id=membership.id)
    now = utcnow()
    refusals = {t.id: refusal_of(t, membership.state, membership.removed_at is not None, now) for t in tags}
    return render(
        request,
        "portal/users/edit.html",
        {
            "ms": membership,
            "user": membership.user,
            "values": values,
            "errors": errors,
            "groups": groups,
            "default_group_id": default_id,
            "role_labels": ROLE_LABELS,
            "state_labels": STATE_LABELS,
            "tags": tags,
            "tag_refusals": refusals,
            "invoice_blocked": await overdue_block(session, here.org.id, membership.id, now),
            "is_self": membership.user_id == here.viewer.user.id,
            "invite_by_email": can_email_invite(membership),
            # The phones signed in to the end-user app, which the admin can log out.
            "app_phones": await member_app_sessions(session, here.org.id, membership.id, app_policy(request)),
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/users/{member_id}")
async def show_member(request: Request, member_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    membership = await get_membership(session, here.org.id, member_id)
    return await _edit_page(request, here, session, membership, _values(membership), {})


@router.post("/portal/o/{org_id}/users/{member_id}")
async def save_member(request: Request, member_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    membership = await get_membership(session, here.org.id, member_id)
    values = await form_values(request)
    try:
        role = values.get("role", membership.role.value)
        if membership.user_id == here.viewer.user.id and role != membership.role.value:
            # An admin who demotes themselves loses this page halfway through; another admin can.
            raise ValidationFailed(
                "You cannot change your own role; ask another administrator.", field="role", code="member.own_role"
            )
        group_id = parse_uuid(
            values.get("group_id"),
            field="group_id",
            message="Choose a group from the list.",
            code="group.choice_invalid",
        )
        await edit_member(
            session,
            here.actor,
            here.org.id,
            membership.id,
            MemberChanges(
                name=values.get("name"),
                email=values.get("email"),
                notes=values.get("notes"),
                role=role,
                group_id=group_id,
                parking_spot=values.get("parking_spot"),
            ),
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        await session.rollback()
        # Fresh objects: the rollback expired the loaded ones, and their lazy reloads would need IO
        # while the template renders.
        session.expunge_all()
        membership = await get_membership(session, here.org.id, member_id)
        return await _edit_page(request, here, session, membership, values, errors_of(exc), 422)
    return redirect(
        request,
        f"{here.base}/users",
        gettext("Changes to %(who)s saved.") % {"who": values.get("name") or membership.user.phone},
    )


@router.post("/portal/o/{org_id}/users/{member_id}/invite")
async def resend(request: Request, member_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    back = f"{here.base}/users/{member_id}"
    values = await form_values(request)
    if values.get("back") == "list":
        back = f"{here.base}/users"
    # The list's button and the API send by every channel there is; the user page lets the admin choose.
    channel = next((c for c in CHANNELS if c == values.get("channel", "both")), None)
    try:
        if channel is None:
            raise ValidationFailed("Choose SMS, e-mail or both.", field="channel", code="invite.channel_unknown")
        membership = await resend_invite(session, here.actor, here.org.id, member_id, channel=channel)
    except (Conflict, ValidationFailed) as exc:
        await session.rollback()
        return redirect(request, back, text_of(exc), "warning")
    if channel == "email":
        message = gettext("A new invitation was sent to %(email)s.") % {"email": membership.email}
    elif channel == "both" and can_email_invite(membership):
        message = gettext("A new invitation was sent to %(phone)s and %(email)s.") % {
            "phone": membership.user.phone,
            "email": membership.email,
        }
    else:
        message = gettext("A new invitation was sent to %(phone)s.") % {"phone": membership.user.phone}
    return redirect(request, back, message)


def _allowed(action: str, membership: Membership) -> bool:
    if action == "block":
        return membership.state != MembershipState.blocked
    if action == "unblock":
        return membership.state == MembershipState.blocked
    return action == "remove"


@router.get("/portal/o/{org_id}/users/{member_id}/{action}")
async def confirm(
    request: Request, member_id: uuid.UUID, action: str, here: AdminPage, session: SessionDep
) -> Response:
    if action not in ACTIONS:
        raise NotFound("No such page.", code="page.not_found")
    membership = await get_membership(session, here.org.id, member_id)
    if not _allowed(action, membership):
        return redirect(request, f"{here.base}/users/{member_id}")
    tags = await list_tags(session, here.org.id, membership_id=membership.id)
    title, button = ACTIONS[action]
    return render(
        request,
        "portal/users/confirm.html",
        {
            "ms": membership,
            "user": membership.user,
            "action": action,
            "title": title,
            "button": button,
            "tag_count": len(tags),
            "is_self": membership.user_id == here.viewer.user.id,
        },
    )


@router.post("/portal/o/{org_id}/users/{member_id}/{action}")
async def change_state(
    request: Request, member_id: uuid.UUID, action: str, here: AdminPage, session: SessionDep
) -> Response:
    if action not in ACTIONS:
        raise NotFound("No such page.", code="page.not_found")
    membership = await get_membership(session, here.org.id, member_id)
    who = membership.name or membership.user.phone or ""
    if membership.user_id == here.viewer.user.id and action != "unblock":
        return redirect(
            request,
            f"{here.base}/users/{member_id}",
            gettext("You cannot block or remove yourself; ask another administrator."),
            "warning",
        )
    if not _allowed(action, membership):
        return redirect(request, f"{here.base}/users/{member_id}")
    if action == "block":
        await services.block_member(session, here.actor, here.org.id, membership.id)
        message = gettext("%(who)s is blocked; their tags no longer work.")
    elif action == "unblock":
        await services.unblock_member(session, here.actor, here.org.id, membership.id)
        message = gettext("%(who)s is unblocked.")
    else:
        await services.remove_member(session, here.actor, here.org.id, membership.id)
        message = gettext("%(who)s was removed.")
    return redirect(request, f"{here.base}/users", message % {"who": who})
