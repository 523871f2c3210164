"""One organisation's history for staff: its audit trail, newest first, paged (the index on
(organization_id, at) serves both the page and the count)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.platform.models import AuditEvent

HISTORY_PAGE = 50


async def org_history(session: AsyncSession, org_id: uuid.UUID, page: int) -> tuple[list[AuditEvent], int]:
    where = AuditEvent.organization_id == org_id
    total = int(await session.scalar(select(func.count()).select_from(AuditEvent).where(where)) or 0)
    events = await session.scalars(
        select(AuditEvent)
        .where(where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * HISTORY_PAGE)
        .limit(HISTORY_PAGE)
    )
    return list(events), total
