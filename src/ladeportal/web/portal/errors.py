"""Portal error pages (404, 403, 500) and the sign-in redirect; other paths keep their JSON errors."""

from __future__ import annotations

import inspect
import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ladeportal.errors import DomainError, NotFound, PermissionDenied
from ladeportal.i18n import gettext
from ladeportal.logging_setup import mark_logged
from ladeportal.web.portal.access import LoginRequired
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.org_guard import ReadOnlyRefused, TermsRequired, read_only_page, terms_redirect
from ladeportal.web.portal.templating import render

log = logging.getLogger(__name__)


def is_portal(request: Request) -> bool:
    return request.url.path.startswith("/portal")


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    if request.headers.get("hx-request") == "true":
        # An HTMX swap shows a short message in place instead of a whole page inside the page.
        return PlainTextResponse(gettext(detail or "Something went wrong."), status_code=status_code)
    pages = {404: "portal/errors/404.html", 500: "portal/errors/500.html"}
    template = pages.get(status_code, "portal/errors/other.html")
    return render(
        request,
        template,
        {"status_code": status_code, "detail": gettext(detail) if detail else None},
        status_code=status_code,
    )


def install_portal_error_handlers(app: FastAPI) -> None:
    json_domain_handler = app.exception_handlers.get(DomainError)

    async def login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") == "true":
            # HTMX follows HX-Redirect with a full page load instead of swapping the login form in.
            return Response(status_code=401, headers={"HX-Redirect": "/portal/login"})
        return RedirectResponse(f"/portal/login?next={quote(target)}", status_code=303)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_portal(request):
            return await http_exception_handler(request, exc)
        detail = exc.detail if exc.status_code in (403, 429) and isinstance(exc.detail, str) else None
        return error_page(request, exc.status_code, detail)

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not is_portal(request):
            if json_domain_handler is None:
                raise exc
            answer = json_domain_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        # Pages catch validation errors next to their forms; what arrives here is a missing object.
        status = 404 if isinstance(exc, NotFound | PermissionDenied) else 409
        return error_page(request, status, None if status == 404 else error_text(exc))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("request failed: %s %s", request.method, request.url.path, exc_info=exc)
        mark_logged(exc)
        if not is_portal(request):
            return PlainTextResponse("Internal Server Error", status_code=500)
        try:
            return error_page(request, 500)
        except Exception:  # the error page itself must never fail
            return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(ReadOnlyRefused, read_only_page)
    app.add_exception_handler(TermsRequired, terms_redirect)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(Exception, server_error)
