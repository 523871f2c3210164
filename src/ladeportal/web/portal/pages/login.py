"""Signing in with a mobile number and an SMS code; signing out here or everywhere."""

from __future__ import annotations

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from ladeportal.auth.codes import CODE_LIFETIME, CodeSecrets, LoginFailed, request_login_code
from ladeportal.auth.limits import RateLimited, Requester
from ladeportal.auth.sessions import sign_in, sign_out, sign_out_everywhere
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import LANGUAGES, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OptionalViewer, SignedInViewer, policy_of
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values, safe_next
from ladeportal.web.portal.security import (
    LANGUAGE_COOKIE,
    attach_csrf_cookie,
    attach_device_cookie,
    client_address,
    cookie_name,
    delete_cookie,
    device_id,
    renew_csrf,
    session_token,
    set_cookie,
    settings_of,
)
from ladeportal.web.portal.templating import render

router = APIRouter()
PENDING_COOKIE = "lp_login"


def _secrets(request: Request) -> CodeSecrets:
    settings = settings_of(request)
    return CodeSecrets(settings.secret_key.get_secret_value(), settings.public_url)


def _pending(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of(request).secret_key.get_secret_value(), salt="portal-login")


def _pending_phone(request: Request) -> str | None:
    raw = request.cookies.get(cookie_name(request, PENDING_COOKIE))
    if not raw:
        return None
    try:
        phone = _pending(request).loads(raw, max_age=int(CODE_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return str(phone)


@router.get("/portal/login")
async def login_form(request: Request, viewer: OptionalViewer, next: str | None = None) -> Response:
    if viewer is not None:
        return redirect(request, safe_next(next))
    device_id(request)  # a browser gets its device id with the form it asks for a code with
    response = render(request, "portal/login/phone.html", {"values": {}, "errors": {}, "next": safe_next(next, "")})
    attach_device_cookie(request, response)
    return response


def _requester(request: Request) -> Requester:
    return Requester.of(client_address(request), device_id(request))


@router.post("/portal/login")
async def request_code(request: Request, session: SessionDep) -> Response:
    values = await form_values(request)
    context = {"values": values, "next": safe_next(values.get("next"), "")}
    try:
        phone = await request_login_code(session, values.get("phone", ""), _requester(request), _secrets(request))
    except (ValidationFailed, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 422
        page = render(request, "portal/login/phone.html", {**context, "errors": field_errors(exc)}, status_code=status)
        attach_device_cookie(request, page)
        return page
    target = "/portal/login/code" + (f"?next={context['next']}" if context["next"] else "")
    response = redirect(request, target)
    attach_device_cookie(request, response)
    set_cookie(
        request, response, PENDING_COOKIE, _pending(request).dumps(phone), max_age=int(CODE_LIFETIME.total_seconds())
    )
    return response


@router.get("/portal/login/code")
async def code_form(request: Request, next: str | None = None) -> Response:
    phone = _pending_phone(request)
    if phone is None:
        return redirect(request, "/portal/login")
    return render(request, "portal/login/code.html", {"phone": phone, "errors": {}, "next": safe_next(next, "")})


@router.post("/portal/login/code")
async def check_code(request: Request, session: SessionDep) -> Response:
    values = await form_values(request)
    phone = _pending_phone(request)
    if phone is None:
        return redirect(request, "/portal/login", gettext("The code has expired. Ask for a new one."), "warning")
    try:
        signed_in = await sign_in(
            session,
            phone,
            values.get("code", ""),
            _secrets(request),
            policy_of(request),
            request.headers.get("user-agent"),
            _requester(request).device_key,
        )
    except LoginFailed as exc:
        return render(
            request,
            "portal/login/code.html",
            {"phone": phone, "errors": field_errors(exc), "next": safe_next(values.get("next"), "")},
            status_code=422,
        )
    settings = settings_of(request)
    response = redirect(request, safe_next(values.get("next")))
    set_cookie(request, response, "lp_session", signed_in.token, max_age=settings.session_absolute_hours * 3600)
    attach_device_cookie(request, response)
    delete_cookie(request, response, PENDING_COOKIE)
    renew_csrf(request)
    attach_csrf_cookie(request, response)
    if signed_in.user.language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            signed_in.user.language,
            max_age=365 * 86400,
            path="/",
            samesite="lax",
            secure=settings.cookie_secure,
        )
    return response


def _signed_out(request: Request, message: str) -> Response:
    response = redirect(request, "/portal/login", message, "info")
    delete_cookie(request, response, "lp_session")
    renew_csrf(request)
    attach_csrf_cookie(request, response)
    return response


@router.post("/portal/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    await sign_out(session, session_token(request))
    return _signed_out(request, gettext("You are signed out."))


@router.post("/portal/logout-everywhere")
async def logout_everywhere(request: Request, session: SessionDep, viewer: SignedInViewer) -> Response:
    await sign_out_everywhere(session, viewer.user.id)
    return _signed_out(request, gettext("You are signed out on every device."))
