"""Who is using the app: the person behind the app session cookie, and the page answers the app's
routes share (sign-in redirect, error pages in the app's shell)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from ladeportal.enduser.app_sessions import AppPolicy, resolve_app_session
from ladeportal.enduser.models import AppSession
from ladeportal.errors import DomainError, NotFound
from ladeportal.members.models import User
from ladeportal.web.deps import SessionDep
from ladeportal.web.enduser.templating import render
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.security import app_session_token, settings_of


class AppLoginRequired(Exception):
    """A page of the app was asked for without a live app session."""


@dataclass(frozen=True)
class AppViewer:
    user: User
    app_session: AppSession


def app_policy(request: Request) -> AppPolicy:
    settings = settings_of(request)
    return AppPolicy(
        idle=timedelta(days=settings.app_session_idle_days), absolute=timedelta(days=settings.app_session_absolute_days)
    )


async def optional_app_viewer(request: Request, session: SessionDep) -> AppViewer | None:
    # Background requests of the page (the live stream) must not keep a forgotten phone signed in.
    row = await resolve_app_session(session, app_session_token(request), app_policy(request), touch=True)
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.anonymised_at is not None:
        return None
    return AppViewer(user, row)


async def required_app_viewer(request: Request, session: SessionDep) -> AppViewer:
    viewer = await optional_app_viewer(request, session)
    if viewer is None:
        raise AppLoginRequired()
    return viewer


OptionalAppViewer = Annotated[AppViewer | None, Depends(optional_app_viewer)]
SignedInApp = Annotated[AppViewer, Depends(required_app_viewer)]


def login_redirect(request: Request, exc: Exception) -> Response:
    if request.headers.get("accept", "").startswith("text/event-stream"):
        return Response(status_code=401)
    return RedirectResponse("/app/login", status_code=303)


def app_error(request: Request, exc: DomainError, *, back: str = "/app/") -> Response:
    """A domain error on a page of the app: 404 for anything not the person's own, else the reason."""
    status = 404 if isinstance(exc, NotFound) else 409
    message = error_text(exc) if status != 404 else None
    return render(
        request, "enduser/error.html", {"status": status, "message": message, "back": back}, status_code=status
    )
