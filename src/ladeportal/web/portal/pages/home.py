"""The portal's entry: where a signed-in person lands, switching organisation, switching language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ladeportal import i18n
from ladeportal.auth.profile import set_language
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OptionalViewer, SignedInViewer
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import form_values, safe_next
from ladeportal.web.portal.security import LANGUAGE_COOKIE, settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()


@router.get("/", include_in_schema=False)
async def root() -> Response:
    return RedirectResponse("/portal/", status_code=303)


@router.get("/portal")
async def portal_no_slash() -> Response:
    return RedirectResponse("/portal/", status_code=303)


@router.get("/portal/")
async def start(request: Request, viewer: SignedInViewer) -> Response:
    """One organisation and no operator role: straight to its dashboard; otherwise a chooser."""
    if len(viewer.organizations) == 1 and not viewer.is_operator:
        org = viewer.organizations[0][0]
        return redirect(request, f"/portal/o/{org.id}/")
    return render(request, "portal/choose.html", {})


@router.post("/portal/language")
async def switch_language(request: Request, session: SessionDep, viewer: OptionalViewer) -> Response:
    values = await form_values(request)
    language = values.get("language", "")
    target = safe_next(values.get("next"), "/portal/")
    if language not in i18n.LANGUAGES:
        return redirect(request, target)
    if viewer is not None:
        await set_language(session, viewer.user.id, language)
    response = redirect(request, target)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 86400,
        path="/",
        samesite="lax",
        secure=settings_of(request).cookie_secure,
    )
    return response
