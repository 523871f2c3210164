"""API tokens for integrations: per organisation, scoped, shown once, stored hashed, revocable.

A token is "lp_<prefix>_<secret>"; only sha256(token) is stored. Tokens are long random values, so a
fast hash is enough and lets every API request be checked without a slow KDF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.platform.audit import Actor, record

SCOPES = ("read", "write")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


@dataclass
class NewApiToken:
    token: ApiToken
    secret: str  # shown once


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def create_api_token(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, name: str, scopes: list[str]
) -> NewApiToken:
    clean = (name or "").strip()
    if not clean:
        raise ValidationFailed("Give the token a name (what uses it).", field="name", code="token.name_required")
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ValidationFailed(
            f"Scopes must be among {', '.join(SCOPES)}.",
            field="scopes",
            code="token.scopes_unknown",
            params={"scopes": ", ".join(SCOPES)},
        )
    prefix = secrets.token_hex(4)
    secret = f"lp_{prefix}_{secrets.token_urlsafe(32)}"
    async with unit_of_work(session):
        token = ApiToken(
            id=uuid.uuid4(),
            organization_id=org_id,
            name=clean[:80],
            prefix=prefix,
            token_hash=_digest(secret),
            scopes=sorted(set(scopes)),
            created_by_user_id=actor.user_id,
        )
        session.add(token)
        await session.flush()
        record(
            session,
            actor,
            "api_token.create",
            "api_token",
            token.id,
            organization_id=org_id,
            new={"name": clean, "scopes": token.scopes},
        )
    return NewApiToken(token, secret)


async def revoke_api_token(session: AsyncSession, actor: Actor, org_id: uuid.UUID, token_id: uuid.UUID) -> None:
    async with unit_of_work(session):
        token = await session.scalar(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.organization_id == org_id)
        )
        if token is None:
            raise NotFound("No such token.", code="token.not_found")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record(session, actor, "api_token.revoke", "api_token", token.id, organization_id=org_id)


async def list_api_tokens(session: AsyncSession, org_id: uuid.UUID) -> list[ApiToken]:
    return list(
        (
            await session.scalars(
                select(ApiToken).where(ApiToken.organization_id == org_id).order_by(ApiToken.created_at.desc())
            )
        ).all()
    )


async def authenticate_api_token(session: AsyncSession, secret: str) -> ApiToken | None:
    if not secret.startswith("lp_"):
        return None
    digest = _digest(secret)
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest):
        return None
    token.last_used_at = utcnow()
    await session.commit()
    return token
