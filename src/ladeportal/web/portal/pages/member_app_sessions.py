"""An administrator logs a member out of the end-user app: the member page lists the phones signed in,
and this confirmation and post revoke them all."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.enduser.app_sessions import member_app_sessions, revoke_member_sessions
from ladeportal.i18n import gettext
from ladeportal.members.lookup import get_membership
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import app_policy
from ladeportal.web.portal.access import AdminPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.templating import render

router = APIRouter()


@router.get("/portal/o/{org_id}/app-sessions/{member_id}/revoke")
async def confirm_revoke(request: Request, member_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    membership = await get_membership(session, here.org.id, member_id)
    phones = await member_app_sessions(session, here.org.id, membership.id, app_policy(request))
    return render(
        request, "portal/users/app_sessions_revoke.html", {"ms": membership, "user": membership.user, "phones": phones}
    )


@router.post("/portal/o/{org_id}/app-sessions/{member_id}/revoke")
async def revoke(request: Request, member_id: uuid.UUID, here: AdminPage, session: SessionDep) -> Response:
    membership = await get_membership(session, here.org.id, member_id)
    count = await revoke_member_sessions(session, here.actor, here.org.id, membership.id)
    return redirect(
        request,
        f"{here.base}/users/{member_id}",
        gettext("Logged out of the app on %(count)s phone(s).") % {"count": count},
    )
