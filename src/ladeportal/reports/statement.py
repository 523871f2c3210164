"""A member's own monthly statement: their finished sessions of a month, with energy and cost, and the
month's totals per site. Everything is read for one membership of one organisation, so nothing of
another member can appear; the sessions page's figures for the same sessions are the same numbers.

The month is the organisation's calendar month in its time zone, a session belonging to the month it
started in. Reads the sessions themselves (a member has tens of sessions a month, found by the
membership index), so a statement is right the moment a session stops.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization, Site
from ladeportal.reports.periods import PeriodKind, period_of
from ladeportal.sessions.models import ChargingSession, SessionState


@dataclass(frozen=True)
class StatementSession:
    id: int
    started_at: datetime
    stopped_at: datetime | None
    site_name: str
    charger_name: str
    energy_wh: int
    cost_minor: int | None  # None while the session is not priced


@dataclass
class SiteTotal:
    site_id: uuid.UUID
    name: str
    sessions: int = 0
    energy_wh: int = 0
    cost_minor: int = 0


@dataclass
class Statement:
    month: date  # first day
    time_zone: str
    currency: str
    sessions: list[StatementSession]
    by_site: list[SiteTotal] = field(default_factory=list)

    @property
    def energy_wh(self) -> int:
        return sum(s.energy_wh for s in self.sessions)

    @property
    def cost_minor(self) -> int:
        return sum(s.cost_minor or 0 for s in self.sessions)

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month.isoformat()[:7],
            "time_zone": self.time_zone,
            "currency": self.currency,
            "sessions": len(self.sessions),
            "energy_wh": self.energy_wh,
            "cost_minor": self.cost_minor,
            "by_site": [
                {
                    "site_id": str(s.site_id),
                    "name": s.name,
                    "sessions": s.sessions,
                    "energy_wh": s.energy_wh,
                    "cost_minor": s.cost_minor,
                }
                for s in self.by_site
            ],
            "items": [
                {
                    "id": s.id,
                    "started_at": s.started_at.isoformat(),
                    "stopped_at": s.stopped_at.isoformat() if s.stopped_at else None,
                    "site": s.site_name,
                    "charger": s.charger_name,
                    "energy_wh": s.energy_wh,
                    "cost_minor": s.cost_minor,
                }
                for s in self.sessions
            ],
        }


def parse_month(raw: str | None, today: date) -> date:
    """YYYY-MM (this month when empty) as its first day."""
    text = (raw or "").strip()
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed(
            N_("Give the month as YYYY-MM, e.g. 2026-03."), field="month", code="reports.month_invalid"
        ) from None


async def member_statement(
    session: AsyncSession, org_id: uuid.UUID, membership_id: uuid.UUID, month: date
) -> Statement:
    """The statement of one membership of this organisation for the month holding `month`."""
    org = await session.get(Organization, org_id)
    member = await session.scalar(
        select(Membership.id).where(Membership.id == membership_id, Membership.organization_id == org_id)
    )
    if org is None or member is None:
        raise NotFound("No such member.", code="member.not_found")
    start, end = period_of(PeriodKind.month, month).bounds(org.time_zone)
    cs = ChargingSession
    rows = await session.execute(
        select(cs, Site.name, ChargePoint.name, ChargePoint.ocpp_id)
        .join(Site, Site.id == cs.site_id)
        .join(ChargePoint, ChargePoint.id == cs.charge_point_id)
        .where(
            cs.organization_id == org_id,
            cs.membership_id == membership_id,
            cs.state == SessionState.stopped,
            cs.started_at >= start,
            cs.started_at < end,
        )
        .order_by(cs.started_at, cs.id)
    )
    sessions: list[StatementSession] = []
    sites: dict[uuid.UUID, SiteTotal] = {}
    for row, site_name, charger_name, ocpp_id in rows:
        item = StatementSession(
            id=row.id,
            started_at=row.started_at,
            stopped_at=row.stopped_at,
            site_name=site_name,
            charger_name=charger_name or ocpp_id,
            energy_wh=max(0, row.energy_wh or 0),
            cost_minor=row.cost_total_minor,
        )
        sessions.append(item)
        total = sites.setdefault(row.site_id, SiteTotal(row.site_id, site_name))
        total.sessions += 1
        total.energy_wh += item.energy_wh
        total.cost_minor += item.cost_minor or 0
    return Statement(
        month=month.replace(day=1),
        time_zone=org.time_zone,
        currency=org.currency,
        sessions=sessions,
        by_site=sorted(sites.values(), key=lambda s: s.name),
    )
