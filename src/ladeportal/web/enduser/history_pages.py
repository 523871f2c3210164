"""History: my sessions, my invoices with the pay link, my RFID cards with "mark as lost"."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ladeportal.enduser.history import mark_tag_lost, my_invoices, my_sessions, my_tags
from ladeportal.errors import DomainError
from ladeportal.i18n import gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import SignedInApp, app_error
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.security import verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)])


@router.get("/app/history")
async def history(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    items = await my_sessions(session, viewer.user.id)
    return render(request, "enduser/history.html", {"items": items, "signed_in": True})


@router.get("/app/invoices")
async def invoices(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    items = await my_invoices(session, viewer.user.id)
    return render(request, "enduser/invoices.html", {"items": items, "signed_in": True})


@router.get("/app/tags")
async def tags(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    items = await my_tags(session, viewer.user.id)
    return render(request, "enduser/tags.html", {"items": items, "signed_in": True})


@router.get("/app/tags/{tag_id}/lost")
async def lost_confirm(request: Request, session: SessionDep, viewer: SignedInApp, tag_id: uuid.UUID) -> Response:
    item = next((t for t in await my_tags(session, viewer.user.id) if t.id == tag_id), None)
    if item is None:
        return render(
            request, "enduser/error.html", {"status": 404, "message": None, "back": "/app/tags"}, status_code=404
        )
    return render(request, "enduser/tag_lost.html", {"tag": item, "signed_in": True})


@router.post("/app/tags/{tag_id}/lost")
async def lost(request: Request, session: SessionDep, viewer: SignedInApp, tag_id: uuid.UUID) -> Response:
    try:
        await mark_tag_lost(session, viewer.user.id, tag_id)
    except DomainError as exc:
        return app_error(request, exc, back="/app/tags")
    return redirect(request, "/app/tags", gettext("The card is blocked. Nobody can charge with it any more."))
