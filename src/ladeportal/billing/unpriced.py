"""Members' finished sessions that no price plan priced: no plan applied to the member's group at that
site when the session started, so the session costs nothing and is not billable. They are not waiting
for anything either (a plan added later does not reach back: past prices are never rewritten), so the
run's preview lists them apart, per site and group, for the finance user to add a plan for what comes
next, or a manual item for what was charged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Site
from ladeportal.pricing.models import SessionPricing
from ladeportal.sessions.models import ChargingSession, SessionState

CS = ChargingSession


@dataclass(frozen=True)
class UnpricedGroup:
    site_name: str
    group_name: str | None  # None: the session had no group
    sessions: int
    energy_wh: int
    first_ended_at: datetime
    last_ended_at: datetime


async def unpriced_sessions(session: AsyncSession, org_id: uuid.UUID, *, until: datetime) -> list[UnpricedGroup]:
    """The organisation's members' sessions finished by `until` that no plan priced, per site and group."""
    rows = await session.execute(
        select(
            Site.name,
            UserGroup.name,
            func.count(CS.id),
            func.coalesce(func.sum(CS.energy_wh), 0),
            func.min(CS.stopped_at),
            func.max(CS.stopped_at),
        )
        .join(SessionPricing, SessionPricing.session_id == CS.id)
        .join(Site, Site.id == CS.site_id)
        .outerjoin(UserGroup, UserGroup.id == CS.group_id)
        .where(
            CS.organization_id == org_id,
            CS.state == SessionState.stopped,
            CS.stopped_at.is_not(None),
            CS.stopped_at <= until,
            CS.membership_id.is_not(None),
            SessionPricing.organization_id == org_id,
            SessionPricing.plan_id.is_(None),
        )
        .group_by(Site.name, UserGroup.name)
        .order_by(Site.name, UserGroup.name)
    )
    found = []
    for site, group, count, energy, first, last in rows.all():
        assert first is not None and last is not None  # every session counted has ended
        found.append(
            UnpricedGroup(
                site_name=site,
                group_name=group,
                sessions=int(count),
                energy_wh=int(energy or 0),
                first_ended_at=first,
                last_ended_at=last,
            )
        )
    return found
