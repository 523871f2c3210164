"""Lets the JSON API accept a signed-in browser (the portal's session cookie) besides API tokens.

A cookie travels with every request the browser makes, including ones another site triggers, so an
unsafe API request authenticated by cookie must also carry the CSRF header the portal's pages send.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import User
from ladeportal.web.deps import Identity, register_identity_resolver
from ladeportal.web.portal.access import BACKGROUND_HEADER, policy_of
from ladeportal.web.portal.security import CSRF_HEADER, SAFE_METHODS, csrf_valid, session_token


async def cookie_identity(request: Request, session: AsyncSession) -> Identity | None:
    token = session_token(request)
    if not token:
        return None
    if request.method not in SAFE_METHODS and not csrf_valid(request, request.headers.get(CSRF_HEADER)):
        return None
    from ladeportal.auth.sessions import resolve_session

    row = await resolve_session(session, token, policy_of(request), touch=request.headers.get(BACKGROUND_HEADER) != "1")
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.anonymised_at is not None:
        return None
    return Identity(user_id=user.id, label=f"user:{user.phone}")


def install_identity_resolver() -> None:
    register_identity_resolver(cookie_identity)
