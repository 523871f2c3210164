"""Shared look-ups for the members tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.jobs.models import OutboxTask


async def outbox(session: AsyncSession, kind: str) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(OutboxTask).where(OutboxTask.kind == kind).order_by(OutboxTask.id))).all()
    return [dict(r.payload, dedupe_key=r.dedupe_key) for r in rows]


def sync_tasks_for(tasks: list[dict[str, Any]], org_id: uuid.UUID) -> list[dict[str, Any]]:
    return [t for t in tasks if t["organization_id"] == str(org_id)]
