"""A sign-in accepts the person's invitations: each membership learns that its member has logged in.

Organisations see "has logged in" from their own membership only (activated_at), never the person's
global last login, which would tell one organisation about the person's activity in another.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Membership, MembershipState


async def memberships_signed_in(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Part of the sign-in's transaction (the caller commits)."""
    current = (Membership.user_id == user_id, Membership.removed_at.is_(None))
    await session.execute(
        update(Membership)
        .where(*current, Membership.state == MembershipState.invited)
        .values(state=MembershipState.active)
    )
    await session.execute(
        update(Membership).where(*current, Membership.activated_at.is_(None)).values(activated_at=now)
    )
