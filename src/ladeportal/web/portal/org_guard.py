"""What the portal's organisation dependency asks before every page: may this request change
anything (platform.read_only), must an administrator read new terms first, and does a staff member's
look at the organisation go into its audit trail.

An administrator with terms waiting is sent to the terms page before any other page, unless they
chose "later" in this browser session and the date has not passed. Requests a page makes by itself
(HTMX swaps, background polling) are never redirected.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import quote

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ladeportal.i18n import N_, gettext
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.platform.read_only import ReadOnly, refusal_of
from ladeportal.terms.standing import Standing, local_today, pending, standing
from ladeportal.web.portal.security import SAFE_METHODS, session_token, set_cookie, settings_of

LATER_COOKIE = "lp_terms_later"
BACKGROUND_HEADER = "x-background"


class ReadOnlyRefused(Exception):
    """An unsafe request to an organisation whose portal is read-only now; answered with a page."""

    def __init__(self, reason: ReadOnly) -> None:
        super().__init__(reason.value)
        self.reason = reason


class TermsRequired(Exception):
    """An administrator must read the organisation's new terms first; answered with a redirect."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(settings_of(request).secret_key.get_secret_value(), salt="terms-later")


def _session_key(request: Request) -> str:
    # Bound to the browser session, so "later" ends at sign-out and never passes to another person.
    return hashlib.sha256((session_token(request) or "").encode()).hexdigest()[:24]


def deferred_ids(request: Request) -> set[str]:
    raw = request.cookies.get(LATER_COOKIE)
    if not raw:
        return set()
    try:
        value = _serializer(request).loads(raw)
    except BadSignature:
        return set()
    if not isinstance(value, dict) or value.get("s") != _session_key(request):
        return set()
    return {str(v) for v in value.get("v", [])}


def defer(request: Request, response: Response, version_ids: list[uuid.UUID]) -> None:
    ids = sorted(deferred_ids(request) | {str(v) for v in version_ids})
    set_cookie(
        request, response, LATER_COOKIE, _serializer(request).dumps({"s": _session_key(request), "v": ids}), None
    )


def may_defer(items: list[Standing], time_zone: str) -> bool:
    today = local_today(time_zone)
    return all(not item.overdue(today) for item in pending(items))


def terms_url(org_id: uuid.UUID, request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/portal/o/{org_id}/terms?next={quote(target)}"


def _by_itself(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" or request.headers.get(BACKGROUND_HEADER) == "1"


async def guard(
    request: Request,
    session: AsyncSession,
    org: Organization,
    actor: Actor,
    *,
    is_admin: bool,
    staff_view: bool,
    terms_page: bool,
) -> ReadOnly | None:
    """Raise ReadOnlyRefused or TermsRequired, or return why the page is read-only (None: it is not)."""
    items = await standing(session, org.id)
    refusal = refusal_of(items, org.time_zone, staff_view=staff_view)
    if request.method not in SAFE_METHODS:
        # Accepting the terms is the way out of a terms lock, so the terms page takes it; staff never.
        if refusal is not None and not (terms_page and refusal == ReadOnly.terms_overdue):
            raise ReadOnlyRefused(refusal)
        return refusal
    if staff_view and not _by_itself(request):
        record(
            session,
            actor,
            "staff.viewed_portal",
            "organization",
            org.id,
            organization_id=org.id,
            new={"path": request.url.path[:300]},
        )
        await session.commit()
    if is_admin and not staff_view and not terms_page and not _by_itself(request):
        waiting = pending(items)
        if waiting and not (
            may_defer(items, org.time_zone) and {str(i.version_id) for i in waiting} <= deferred_ids(request)
        ):
            raise TermsRequired(terms_url(org.id, request))
    return refusal


READ_ONLY_TEXTS = {
    ReadOnly.staff_view: N_("Viewing as platform staff — read only. Changes go through the operator console."),
    ReadOnly.terms_overdue: N_(
        "The portal is read-only until an administrator accepts the new terms. Charging goes on as usual."
    ),
}


async def read_only_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReadOnlyRefused)
    from ladeportal.web.portal.templating import render

    text = gettext(READ_ONLY_TEXTS[exc.reason])
    if request.headers.get("hx-request") == "true":
        return PlainTextResponse(text, status_code=403)
    here = getattr(request.state, "org_context", None)
    return render(
        request,
        "portal/errors/read_only.html",
        {"text": text, "reason": exc.reason.value, "terms": f"{here.base}/terms" if here else None},
        status_code=403,
    )


async def terms_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TermsRequired)
    return RedirectResponse(exc.url, status_code=303)
