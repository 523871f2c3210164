"""The organisation's terms with the platform company: read, accept (administrators), or "later"
while the date has not passed. Administrators with terms waiting are sent here before any other page
(web/portal/org_guard.py)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal import i18n
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.i18n import gettext
from ladeportal.terms.acceptance import accept_terms
from ladeportal.terms.reading import terms_for
from ladeportal.terms.standing import local_today
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import TermsPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import GENERAL, form_values, safe_next
from ladeportal.web.portal.org_guard import defer, may_defer
from ladeportal.web.portal.security import client_address
from ladeportal.web.portal.templating import render

router = APIRouter()


async def _page(
    request: Request, here: TermsPage, session: SessionDep, errors: dict[str, str], status_code: int = 200
) -> Response:
    shown = await terms_for(session, here.org.id)
    waiting = [item for item in shown if not item.standing.accepted]
    return render(
        request,
        "portal/terms/page.html",
        {
            "shown": shown,
            "waiting": waiting,
            "today": local_today(here.org.time_zone),
            "can_defer": bool(waiting) and may_defer([item.standing for item in shown], here.org.time_zone),
            "language": i18n.current_language(),
            "next": safe_next(request.query_params.get("next"), f"{here.base}/"),
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/portal/o/{org_id}/terms")
async def terms_page(request: Request, here: TermsPage, session: SessionDep) -> Response:
    return await _page(request, here, session, {})


@router.post("/portal/o/{org_id}/terms/accept")
async def accept(request: Request, here: TermsPage, session: SessionDep) -> Response:
    values = await form_values(request)
    if not here.is_admin or here.staff_view:
        return await _page(request, here, session, {GENERAL: gettext("Only an administrator accepts terms.")}, 403)
    if values.get("confirm") != "1":
        errors = {"confirm": gettext("Confirm that you accept the terms on behalf of the organisation.")}
        return await _page(request, here, session, errors, 422)
    form = await request.form()
    try:
        ids = [uuid.UUID(str(v)) for v in form.getlist("version_id")]
    except ValueError:
        ids = []
    try:
        await accept_terms(session, here.actor, here.org.id, ids, client_address(request))
    except (ValidationFailed, Conflict) as exc:
        await session.rollback()
        return await _page(request, here, session, {GENERAL: error_text(exc)}, 422)
    target = safe_next(values.get("next"), f"{here.base}/")
    return redirect(request, target, gettext("Thank you. The terms are accepted for the organisation."))


@router.post("/portal/o/{org_id}/terms/later")
async def later(request: Request, here: TermsPage, session: SessionDep) -> Response:
    values = await form_values(request)
    shown = await terms_for(session, here.org.id)
    waiting = [item.standing.version_id for item in shown if not item.standing.accepted]
    if not may_defer([item.standing for item in shown], here.org.time_zone):
        errors = {GENERAL: gettext("The date to accept has passed; the terms must be accepted now.")}
        return await _page(request, here, session, errors, 422)
    response = redirect(
        request,
        safe_next(values.get("next"), f"{here.base}/"),
        gettext("You will be asked again next time you log in."),
        "info",
    )
    defer(request, response, waiting)
    return response
