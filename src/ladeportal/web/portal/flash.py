"""One-time messages shown on the next page ("Site saved"), carried in a signed cookie."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.responses import RedirectResponse, Response

from ladeportal.web.portal.security import cookie_name, delete_cookie, set_cookie, settings_of

Level = Literal["success", "info", "warning", "danger"]
COOKIE = "lp_flash"


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(settings_of(request).secret_key.get_secret_value(), salt="portal-flash")


def redirect(request: Request, url: str, message: str | None = None, level: Level = "success") -> Response:
    """303 to `url` (the POST-redirect-GET step of every form), with an optional message for the next page.
    `message` should already be translated."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_cookie(request, response, COOKIE, _serializer(request).dumps([[level, message]]), max_age=300)
    return response


def take(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(cookie_name(request, COOKIE))
    if not raw:
        return []
    request.state.flash_consumed = True
    try:
        data = _serializer(request).loads(raw)
    except BadSignature:
        return []
    return [(str(level), str(text)) for level, text in data]


def clear_if_consumed(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_consumed", False):
        delete_cookie(request, response, COOKIE)
