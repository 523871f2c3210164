"""Portal sessions: created at sign-in, ended by idle and absolute timeouts, by logging out, or by
"log out everywhere". The cookie carries a random token; the table holds only its hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.codes import CodeSecrets, trust_device, verify_login_code
from ladeportal.auth.limits import forget_idle_keys
from ladeportal.auth.models import LoginCode, PortalSession, TrustedDevice
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.members.activation import memberships_signed_in
from ladeportal.members.models import User
from ladeportal.platform.audit import Actor, record

# Writing last_seen_at on every request would turn HTMX polling into a write load; a minute of
# slack on the idle timeout is harmless.
TOUCH_EVERY = timedelta(minutes=1)
TRUSTED_DEVICE_IDLE = timedelta(days=180)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str  # goes into the cookie; never stored


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_in(
    session: AsyncSession,
    phone: str,
    code: str,
    secrets_: CodeSecrets,
    policy: SessionPolicy,
    user_agent: str | None = None,
    device_key: str | None = None,
) -> SignedIn:
    """Spend the code and open a new session in one transaction (a fresh token at every sign-in, so a
    token planted before sign-in is worthless). The browser (`device_key`, see auth/limits.py) becomes
    trusted for this person's login codes."""
    async with unit_of_work(session):
        user = await verify_login_code(session, phone, code, secrets_)
        now = utcnow()
        await trust_device(session, user.id, device_key, now)
        token = secrets.token_urlsafe(32)
        session.add(
            PortalSession(
                id=uuid.uuid4(),
                token_hash=_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.absolute,
                user_agent=(user_agent or "")[:200] or None,
            )
        )
        user.last_login_at = now
        # An invitation is accepted by signing in; each membership records its own activation.
        await memberships_signed_in(session, user.id, now)
        record(session, Actor(label=f"user:{user.phone}", user_id=user.id), "auth.sign_in", "user", user.id)
    return SignedIn(user, token)


async def resolve_session(
    session: AsyncSession, token: str | None, policy: SessionPolicy, *, touch: bool = True
) -> PortalSession | None:
    """The live session for a cookie token, or None. `touch=False` for background polling, which must
    not keep an unattended browser signed in."""
    if not token:
        return None
    row = await session.scalar(select(PortalSession).where(PortalSession.token_hash == _hash(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        await session.commit()
    return row


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    async with unit_of_work(session):
        await session.execute(
            update(PortalSession)
            .where(PortalSession.token_hash == _hash(token), PortalSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


async def sign_out_everywhere(session: AsyncSession, user_id: uuid.UUID) -> int:
    async with unit_of_work(session):
        result = await session.execute(
            update(PortalSession)
            .where(PortalSession.user_id == user_id, PortalSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        record(session, Actor(label="user", user_id=user_id), "auth.sign_out_everywhere", "user", user_id)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> None:
    """Drop spent codes and dead sessions after a day: they hold phone numbers and addresses."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    async with unit_of_work(session):
        await session.execute(delete(LoginCode).where(LoginCode.created_at < cutoff))
        await session.execute(delete(PortalSession).where(PortalSession.expires_at < cutoff))
        await session.execute(delete(PortalSession).where(PortalSession.revoked_at < cutoff))
        await forget_idle_keys(session, now or utcnow())
        # A browser unused for a long time is treated like any other again.
        await session.execute(delete(TrustedDevice).where(TrustedDevice.last_used_at < cutoff - TRUSTED_DEVICE_IDLE))
