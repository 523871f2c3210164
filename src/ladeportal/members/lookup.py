"""Loading members through their organisation: other tenants' ids look exactly like missing ones."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.errors import NotFound
from ladeportal.members.models import Membership, User


async def get_user_by_phone(session: AsyncSession, e164: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.phone == e164)
    return await session.scalar(query.with_for_update() if for_update else query)


async def get_membership(session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    membership = await session.scalar(
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.id == membership_id, Membership.organization_id == org_id, Membership.removed_at.is_(None))
    )
    if membership is None:
        raise NotFound("No such member.", code="member.not_found")
    return membership
