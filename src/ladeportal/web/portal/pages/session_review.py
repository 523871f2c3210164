"""Marking a session's flagged meter values as reviewed: a confirmation page, then the change
(administrators only; another organisation's session is not found)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound
from ladeportal.i18n import gettext
from ladeportal.limits import MAX_INT32
from ladeportal.sessions.detail import get_session_detail
from ladeportal.sessions.labels import FLAG_LABELS
from ladeportal.sessions.review import mark_reviewed, review_state
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import AdminPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.templating import render

router = APIRouter()


def _session_id(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_INT32:
        raise NotFound("No such session.", code="session.not_found")
    return int(raw)


@router.get("/portal/o/{org_id}/sessions/{session_id}/review")
async def confirm_review(request: Request, session_id: str, here: AdminPage, session: SessionDep) -> Response:
    detail = await get_session_detail(session, here.org.id, _session_id(session_id))
    state = await review_state(session, here.org.id, detail.row.id)
    return render(
        request,
        "portal/sessions/review.html",
        {"s": detail.row, "review": state, "flag_labels": FLAG_LABELS},
    )


@router.post("/portal/o/{org_id}/sessions/{session_id}/review")
async def review(request: Request, session_id: str, here: AdminPage, session: SessionDep) -> Response:
    number = _session_id(session_id)
    page = f"{here.base}/sessions/{number}"
    try:
        await mark_reviewed(session, here.actor, here.org.id, number)
    except Conflict as exc:
        return redirect(request, page, error_text(exc), level="warning")
    return redirect(request, page, gettext("The session's meter values are marked as reviewed."))
