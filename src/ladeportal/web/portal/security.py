"""Cookies and CSRF protection for the portal.

Session cookie: a random token, HttpOnly, SameSite=Lax, Secure when cookie_secure is set (then also
with the __Host- prefix, which forbids a sibling subdomain from planting it).
CSRF: a random value in an HttpOnly cookie, and in every form (and HTMX header) an HMAC of it and of
the browser's session token under the server secret. A forged cross-site form cannot know that HMAC;
the cookie is replaced at sign-in and sign-out so a token from before cannot be replayed across the
boundary, and because the session token is part of it, a token (and cookie) taken from one browser
session is refused in another, even by an attacker who can plant cookies from a sibling subdomain.
Device: a random id in a long-lived cookie; a browser that has signed in with a number gets its own
login-code allowance for that number (see auth/limits.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

from ladeportal.i18n import N_
from ladeportal.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LANGUAGE_COOKIE = "lp_lang"
CSRF_FAILED = N_("The form has expired. Reload the page and try again.")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def cookie_name(request: Request, base: str) -> str:
    return f"__Host-{base}" if settings_of(request).cookie_secure else base


def set_cookie(request: Request, response: Response, base: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings_of(request).cookie_secure,
    )


def delete_cookie(request: Request, response: Response, base: str) -> None:
    response.delete_cookie(
        cookie_name(request, base), path="/", httponly=True, samesite="lax", secure=settings_of(request).cookie_secure
    )


def session_token(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request, "lp_session"))


APP_SESSION_COOKIE = "lp_app"


def app_session_token(request: Request) -> str | None:
    """The end-user app's own session cookie (a phone signed in for weeks, apart from the portal)."""
    return request.cookies.get(cookie_name(request, APP_SESSION_COOKIE))


def _csrf_digest(request: Request, cookie_value: str) -> str:
    key = settings_of(request).secret_key.get_secret_value().encode()
    # Bound to both sessions a browser may hold: the portal's and the app's. Without either (a guest),
    # the token is bound to the CSRF cookie alone.
    bound_to = (session_token(request) or "").encode()
    app_token = app_session_token(request)
    if app_token:
        bound_to += b"\x00app:" + app_token.encode()
    return hmac.new(key, b"csrf:" + cookie_value.encode() + b"\x00" + bound_to, hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token to put into forms, creating the cookie value on the first page of a visit."""
    value = getattr(request.state, "csrf_cookie_new", None) or request.cookies.get(cookie_name(request, "lp_csrf"))
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.csrf_cookie_new = value
    return _csrf_digest(request, value)


def renew_csrf(request: Request) -> None:
    """Start a new CSRF value (at sign-in and sign-out); the response carries it."""
    request.state.csrf_cookie_new = secrets.token_urlsafe(24)


def attach_csrf_cookie(request: Request, response: Response) -> None:
    value = getattr(request.state, "csrf_cookie_new", None)
    if value:
        set_cookie(request, response, "lp_csrf", value, max_age=None)


def csrf_valid(request: Request, submitted: str | None) -> bool:
    value = request.cookies.get(cookie_name(request, "lp_csrf"))
    if not value or not submitted:
        return False
    return hmac.compare_digest(_csrf_digest(request, value), submitted)


async def verify_csrf(request: Request) -> None:
    """Router-wide dependency: every unsafe portal request carries a valid token (form or header)."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it; the route's Form() parameters reuse it
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_valid(request, submitted):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)


DEVICE_COOKIE = "lp_device"
DEVICE_COOKIE_MAX_AGE = 400 * 86400  # browsers cap cookie lifetimes at 400 days


def device_id(request: Request) -> str:
    """This browser's device id, creating one (sent with the response) on its first visit."""
    value = getattr(request.state, "device_new", None) or request.cookies.get(cookie_name(request, DEVICE_COOKIE))
    if not value or len(value) > 64:
        value = secrets.token_urlsafe(24)
        request.state.device_new = value
    return str(value)


def attach_device_cookie(request: Request, response: Response) -> None:
    value = getattr(request.state, "device_new", None)
    if value:
        set_cookie(request, response, DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_MAX_AGE)


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers (with --forwarded-allow-ips) fills request.client.
    return request.client.host if request.client else "unknown"
