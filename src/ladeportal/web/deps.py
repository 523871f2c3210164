"""FastAPI dependencies: the database session and WHO is calling, checked against the organisation.

Every organisation-scoped route takes `org_id` from the path and one of the role dependencies below.
A caller who is not a member of that organisation (or lacks the role) gets 404, exactly as if the
organisation did not exist, so ids of other tenants reveal nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.errors import Conflict
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Organization
from ladeportal.platform.api_tokens import authenticate_api_token
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import OperatorAccount
from ladeportal.platform.read_only import write_refusal


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: a signed-in person, or an organisation's API token."""

    user_id: uuid.UUID | None
    label: str
    token_org_id: uuid.UUID | None = None
    token_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Principal:
    """An identity acting in one organisation with one role."""

    organization_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None
    actor: Actor


# Other modules (the portal's cookie sessions) add ways to identify a caller; the first that
# recognises the request wins.
IdentityResolver = Callable[[Request, AsyncSession], Awaitable[Identity | None]]
_RESOLVERS: list[IdentityResolver] = []


def register_identity_resolver(resolver: IdentityResolver) -> None:
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_db(request).session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def _bearer_identity(request: Request, session: AsyncSession) -> Identity | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    token = await authenticate_api_token(session, value.strip())
    if token is None:
        raise HTTPException(
            status_code=401, detail="Invalid or revoked API token.", headers={"WWW-Authenticate": "Bearer"}
        )
    return Identity(
        user_id=None, label=f"token:{token.name}", token_org_id=token.organization_id, token_scopes=tuple(token.scopes)
    )


async def current_identity(request: Request, session: SessionDep) -> Identity:
    identity = await _bearer_identity(request, session)
    if identity is None:
        for resolver in _RESOLVERS:
            identity = await resolver(request, session)
            if identity is not None:
                break
    if identity is None:
        raise HTTPException(
            status_code=401, detail="Sign in or send an API token.", headers={"WWW-Authenticate": "Bearer"}
        )
    return identity


IdentityDep = Annotated[Identity, Depends(current_identity)]


async def principal_in(session: AsyncSession, identity: Identity, org_id: uuid.UUID) -> Principal | None:
    if identity.token_org_id is not None:
        if identity.token_org_id != org_id:
            return None
        role = Role.org_admin if "write" in identity.token_scopes else Role.finance
        return Principal(org_id, role, None, Actor(label=identity.label))
    membership = await session.scalar(
        select(Membership).where(
            Membership.organization_id == org_id,
            Membership.user_id == identity.user_id,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
    )
    if membership is None:
        return None
    return Principal(org_id, membership.role, identity.user_id, Actor(label=identity.label, user_id=identity.user_id))


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    async def dependency(org_id: uuid.UUID, request: Request, identity: IdentityDep, session: SessionDep) -> Principal:
        principal = await principal_in(session, identity, org_id)
        if principal is None or principal.role not in roles:
            # 404, not 403: a stranger must not learn that the organisation exists.
            raise HTTPException(status_code=404, detail="Not found.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await refuse_when_read_only(session, org_id)
        return principal

    return dependency


async def refuse_when_read_only(session: AsyncSession, org_id: uuid.UUID) -> None:
    """The API's side of platform.read_only: a write to a locked organisation is refused."""
    time_zone = await session.scalar(select(Organization.time_zone).where(Organization.id == org_id))
    if time_zone is not None and await write_refusal(session, org_id, time_zone) is not None:
        raise Conflict(
            "The organisation is read-only until an administrator accepts the new terms in the portal.",
            code="org.read_only_terms",
        )


org_admin = require_roles(Role.org_admin)
org_staff = require_roles(Role.org_admin, Role.finance)
OrgAdmin = Annotated[Principal, Depends(org_admin)]
OrgStaff = Annotated[Principal, Depends(org_staff)]


async def operator_identity(identity: IdentityDep, session: SessionDep) -> Identity:
    if (
        identity.user_id is None
        or await session.scalar(
            select(OperatorAccount.id).where(
                OperatorAccount.user_id == identity.user_id, OperatorAccount.active.is_(True)
            )
        )
        is None
    ):
        raise HTTPException(status_code=404, detail="Not found.")
    return identity


async def load_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)
