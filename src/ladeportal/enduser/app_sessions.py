"""Signing in to the app with a mobile number and an SMS code, and the phones that stay signed in.

The code, its limits and its SMS are the portal's (auth/codes.py, auth/limits.py); only who may
sign in differs: any member of an organisation (not removed, not blocked), not only staff. An app
session lives for weeks (settings: idle and absolute days); the person lists and revokes their
phones in the app, an organisation's admin revokes a member's phones in the portal.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.codes import CodeSecrets, request_login_code, trust_device, verify_login_code
from ladeportal.auth.limits import Requester
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.enduser.models import AppSession
from ladeportal.errors import NotFound
from ladeportal.members.activation import memberships_signed_in
from ladeportal.members.models import Membership, MembershipState, User
from ladeportal.platform.audit import Actor, record

TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class AppPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class AppSignedIn:
    user: User
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def app_user(session: AsyncSession, phone: str) -> User | None:
    """The person behind the number if they are a member somewhere (any role) and may charge."""
    return await session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.phone == phone,
            User.anonymised_at.is_(None),
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
        .limit(1)
    )


async def request_app_code(session: AsyncSession, raw_phone: str, requester: Requester, secrets_: CodeSecrets) -> str:
    return await request_login_code(session, raw_phone, requester, secrets_, who=app_user)


async def app_sign_in(
    session: AsyncSession,
    phone: str,
    code: str,
    secrets_: CodeSecrets,
    policy: AppPolicy,
    user_agent: str | None = None,
    device_key: str | None = None,
) -> AppSignedIn:
    async with unit_of_work(session):
        user = await verify_login_code(session, phone, code, secrets_, who=app_user)
        now = utcnow()
        await trust_device(session, user.id, device_key, now)
        token = secrets.token_urlsafe(32)
        session.add(
            AppSession(
                id=uuid.uuid4(),
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.absolute,
                user_agent=(user_agent or "")[:200] or None,
            )
        )
        user.last_login_at = now
        await memberships_signed_in(session, user.id, now)
        record(session, Actor(label=f"user:{user.phone}", user_id=user.id), "app.sign_in", "user", user.id)
    return AppSignedIn(user, token)


async def resolve_app_session(
    session: AsyncSession, token: str | None, policy: AppPolicy, *, touch: bool = True
) -> AppSession | None:
    if not token:
        return None
    row = await session.scalar(select(AppSession).where(AppSession.token_hash == token_hash(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        await session.commit()
    return row


async def list_app_sessions(session: AsyncSession, user_id: uuid.UUID, policy: AppPolicy) -> list[AppSession]:
    """The person's phones that are still signed in, newest use first."""
    now = utcnow()
    rows = await session.scalars(
        select(AppSession)
        .where(AppSession.user_id == user_id, AppSession.revoked_at.is_(None), AppSession.expires_at > now)
        .order_by(AppSession.last_seen_at.desc())
    )
    return [row for row in rows if row.last_seen_at + policy.idle > now]


async def revoke_own(session: AsyncSession, user_id: uuid.UUID, app_session_id: uuid.UUID) -> None:
    """Log out one of the person's own phones (404 for anyone else's)."""
    async with unit_of_work(session):
        row = await session.scalar(
            select(AppSession).where(AppSession.id == app_session_id, AppSession.user_id == user_id)
        )
        if row is None:
            raise NotFound("No such signed-in phone.", code="app.session_not_found")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            row.revoked_by = "user"
        record(session, Actor(label="user", user_id=user_id), "app.sign_out", "app_session", row.id)


async def revoke_all_own(session: AsyncSession, user_id: uuid.UUID) -> int:
    async with unit_of_work(session):
        result = await session.execute(
            update(AppSession)
            .where(AppSession.user_id == user_id, AppSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by="user")
        )
        record(session, Actor(label="user", user_id=user_id), "app.sign_out_everywhere", "user", user_id)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _member_user(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID) -> uuid.UUID:
    user_id = await session.scalar(
        select(Membership.user_id).where(Membership.id == membership_id, Membership.organization_id == org_id)
    )
    if user_id is None:
        raise NotFound("No such member.", code="member.not_found")
    return user_id


async def member_app_sessions(
    session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID, policy: AppPolicy
) -> list[AppSession]:
    """A member's signed-in phones, for the organisation's admin (404 for another organisation's
    member)."""
    return await list_app_sessions(session, await _member_user(session, org_id, membership_id), policy)


async def revoke_member_sessions(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, membership_id: uuid.UUID
) -> int:
    """An admin logs a member out of the app on every phone: the person's app access is one login for
    all their organisations, so an admin who no longer trusts the phone ends all of them."""
    async with unit_of_work(session):
        user_id = await _member_user(session, org_id, membership_id)
        result = await session.execute(
            update(AppSession)
            .where(AppSession.user_id == user_id, AppSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by=f"admin:{membership_id}")
        )
        record(session, actor, "app.sessions_revoked", "membership", membership_id, organization_id=org_id)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def sign_out_app(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    async with unit_of_work(session):
        await session.execute(
            update(AppSession)
            .where(AppSession.token_hash == token_hash(token), AppSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by="user")
        )
