"""What staff see of the terms: every version with how many organisations accepted it, and for one
version who accepted it, when and from which address (paged)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import User
from ladeportal.orgs.models import Organization
from ladeportal.terms.models import TermsAcceptance, TermsVersion
from ladeportal.terms.versions import list_versions


@dataclass(frozen=True)
class AcceptanceRow:
    organization_id: uuid.UUID
    organization: str
    phone: str | None
    accepted_at: datetime
    ip_address: str


async def versions_with_counts(session: AsyncSession) -> tuple[list[TermsVersion], dict[uuid.UUID, int], int]:
    versions = await list_versions(session)
    counts = dict(
        (
            await session.execute(select(TermsAcceptance.version_id, func.count()).group_by(TermsAcceptance.version_id))
        ).all()
    )
    orgs = int(await session.scalar(select(func.count()).where(Organization.archived_at.is_(None))) or 0)
    return versions, {k: int(v) for k, v in counts.items()}, orgs


async def acceptances(
    session: AsyncSession, version_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[AcceptanceRow], int]:
    where = TermsAcceptance.version_id == version_id
    total = int(await session.scalar(select(func.count()).select_from(TermsAcceptance).where(where)) or 0)
    rows = await session.execute(
        select(
            TermsAcceptance.organization_id,
            Organization.legal_name,
            User.phone,
            TermsAcceptance.accepted_at,
            TermsAcceptance.ip_address,
        )
        .join(Organization, Organization.id == TermsAcceptance.organization_id)
        .join(User, User.id == TermsAcceptance.accepted_by_user_id)
        .where(where)
        .order_by(TermsAcceptance.accepted_at.desc(), TermsAcceptance.id)
        .offset(offset)
        .limit(limit)
    )
    return [AcceptanceRow(*row) for row in rows.all()], total
