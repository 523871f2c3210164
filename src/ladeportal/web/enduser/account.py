"""My account in the app: the phones signed in (log out one, or all), and the language."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ladeportal.enduser.app_sessions import list_app_sessions, revoke_own
from ladeportal.enduser.places import memberships_of
from ladeportal.errors import DomainError
from ladeportal.i18n import gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import SignedInApp, app_error, app_policy
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.security import verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)])


@router.get("/app/account")
async def account(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    phones = await list_app_sessions(session, viewer.user.id, app_policy(request))
    memberships = await memberships_of(session, viewer.user.id)
    return render(
        request,
        "enduser/account.html",
        {
            "phones": phones,
            "this_phone": viewer.app_session.id,
            "user": viewer.user,
            "memberships": memberships,
            "time_zone": memberships[0].org.time_zone if memberships else "Europe/Oslo",
            "signed_in": True,
        },
    )


@router.post("/app/account/phones/{app_session_id}/logout")
async def logout_phone(
    request: Request, session: SessionDep, viewer: SignedInApp, app_session_id: uuid.UUID
) -> Response:
    try:
        await revoke_own(session, viewer.user.id, app_session_id)
    except DomainError as exc:
        return app_error(request, exc, back="/app/account")
    if app_session_id == viewer.app_session.id:
        return redirect(request, "/app/login", gettext("This phone is logged out."), "info")
    return redirect(request, "/app/account", gettext("That phone is logged out."))
