"""The app's sign-in: mobile number, then the SMS code (the portal's codes and limits), then a
long-lived app session on this phone."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from ladeportal.auth.codes import CODE_LIFETIME, CodeSecrets, LoginFailed
from ladeportal.auth.limits import RateLimited, Requester
from ladeportal.enduser.app_sessions import app_sign_in, request_app_code, revoke_all_own, sign_out_app
from ladeportal.errors import ValidationFailed
from ladeportal.i18n import APP_LANGUAGES, gettext
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.app_access import OptionalAppViewer, SignedInApp, app_policy
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values
from ladeportal.web.portal.security import (
    APP_SESSION_COOKIE,
    LANGUAGE_COOKIE,
    app_session_token,
    attach_csrf_cookie,
    attach_device_cookie,
    client_address,
    cookie_name,
    delete_cookie,
    device_id,
    renew_csrf,
    set_cookie,
    settings_of,
    verify_csrf,
)

router = APIRouter(dependencies=[Depends(verify_csrf)])
PENDING_COOKIE = "lp_app_login"


def _secrets(request: Request) -> CodeSecrets:
    settings = settings_of(request)
    return CodeSecrets(settings.secret_key.get_secret_value(), settings.public_url)


def _pending(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of(request).secret_key.get_secret_value(), salt="app-login")


def _pending_phone(request: Request) -> str | None:
    raw = request.cookies.get(cookie_name(request, PENDING_COOKIE))
    if not raw:
        return None
    try:
        return str(_pending(request).loads(raw, max_age=int(CODE_LIFETIME.total_seconds())))
    except BadSignature:
        return None


def _requester(request: Request) -> Requester:
    return Requester.of(client_address(request), device_id(request))


@router.get("/app/login")
async def login_form(request: Request, viewer: OptionalAppViewer) -> Response:
    if viewer is not None:
        return redirect(request, "/app/")
    device_id(request)
    response = render(request, "enduser/login_phone.html", {"values": {}, "errors": {}})
    attach_device_cookie(request, response)
    return response


@router.post("/app/login")
async def request_code(request: Request, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        phone = await request_app_code(session, values.get("phone", ""), _requester(request), _secrets(request))
    except (ValidationFailed, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 422
        page = render(
            request, "enduser/login_phone.html", {"values": values, "errors": field_errors(exc)}, status_code=status
        )
        attach_device_cookie(request, page)
        return page
    response = redirect(request, "/app/login/code")
    attach_device_cookie(request, response)
    set_cookie(
        request, response, PENDING_COOKIE, _pending(request).dumps(phone), max_age=int(CODE_LIFETIME.total_seconds())
    )
    return response


@router.get("/app/login/code")
async def code_form(request: Request) -> Response:
    phone = _pending_phone(request)
    if phone is None:
        return redirect(request, "/app/login")
    return render(request, "enduser/login_code.html", {"phone": phone, "errors": {}})


@router.post("/app/login/code")
async def check_code(request: Request, session: SessionDep) -> Response:
    values = await form_values(request)
    phone = _pending_phone(request)
    if phone is None:
        return redirect(request, "/app/login", gettext("The code has expired. Ask for a new one."), "warning")
    try:
        signed_in = await app_sign_in(
            session,
            phone,
            values.get("code", ""),
            _secrets(request),
            app_policy(request),
            request.headers.get("user-agent"),
            _requester(request).device_key,
        )
    except LoginFailed as exc:
        return render(
            request, "enduser/login_code.html", {"phone": phone, "errors": field_errors(exc)}, status_code=422
        )
    settings = settings_of(request)
    response = redirect(request, "/app/")
    set_cookie(
        request, response, APP_SESSION_COOKIE, signed_in.token, max_age=settings.app_session_absolute_days * 86400
    )
    attach_device_cookie(request, response)
    delete_cookie(request, response, PENDING_COOKIE)
    renew_csrf(request)
    attach_csrf_cookie(request, response)
    if signed_in.user.language in APP_LANGUAGES and LANGUAGE_COOKIE not in request.cookies:
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
    response = redirect(request, "/app/login", message, "info")
    delete_cookie(request, response, APP_SESSION_COOKIE)
    renew_csrf(request)
    attach_csrf_cookie(request, response)
    return response


@router.post("/app/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    await sign_out_app(session, app_session_token(request))
    return _signed_out(request, gettext("This phone is logged out."))


@router.post("/app/logout-everywhere")
async def logout_everywhere(request: Request, session: SessionDep, viewer: SignedInApp) -> Response:
    await revoke_all_own(session, viewer.user.id)
    return _signed_out(request, gettext("You are logged out on every phone."))


@router.post("/app/language")
async def choose_language(request: Request) -> Response:
    values = await form_values(request)
    language = values.get("language", "")
    response = redirect(request, "/app/account")
    if language in APP_LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 86400,
            path="/",
            samesite="lax",
            secure=settings_of(request).cookie_secure,
        )
    return response
