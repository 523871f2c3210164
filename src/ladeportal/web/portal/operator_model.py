"""What platform staff see of one organisation: its sites with their chargers online and offline, how
many members it has and who its administrators are. Staff are not members of the organisations they
serve, so this page, not the organisation's own dashboard, is where they look.

Reads only, and only rows of the organisation asked for; a charger's connectivity is decided by the
same `state_of` as the chargers list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Organization, Site
from ladeportal.orgs.services import get_organization
from ladeportal.web.portal.readmodels import state_of


@dataclass
class SiteChargers:
    id: uuid.UUID
    name: str
    city: str | None
    price_area: str
    online: int = 0
    offline: int = 0
    pending: int = 0  # added but not yet activated: neither online nor an outage


@dataclass(frozen=True)
class AdminRow:
    name: str | None
    phone: str | None
    state: MembershipState
    activated_at: datetime | None


@dataclass
class OrganisationOverview:
    org: Organization
    sites: list[SiteChargers] = field(default_factory=list)
    members: int = 0
    admins: list[AdminRow] = field(default_factory=list)

    @property
    def online(self) -> int:
        return sum(site.online for site in self.sites)

    @property
    def offline(self) -> int:
        return sum(site.offline for site in self.sites)


async def organisation_overview(
    session: AsyncSession, org_id: uuid.UUID, heartbeat_seconds: int
) -> OrganisationOverview:
    overview = OrganisationOverview(await get_organization(session, org_id))
    sites = {
        site_id: SiteChargers(site_id, name, city, area)
        for site_id, name, city, area in (
            await session.execute(
                select(Site.id, Site.name, Site.city, Site.price_area)
                .where(Site.organization_id == org_id)
                .order_by(Site.name)
            )
        ).all()
    }
    now = utcnow()
    for site_id, commissioning, last_seen_at in (
        await session.execute(
            select(ChargePoint.site_id, ChargePoint.commissioning_state, ChargePoint.last_seen_at).where(
                ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired
            )
        )
    ).all():
        site = sites[site_id]
        # Connector statuses do not matter here: only whether the charger is connected.
        state = state_of(commissioning, last_seen_at, frozenset(), now, heartbeat_seconds)
        if state == "pending":
            site.pending += 1
        elif state == "offline":
            site.offline += 1
        else:
            site.online += 1
    overview.sites = list(sites.values())
    current = (Membership.organization_id == org_id, Membership.removed_at.is_(None))
    overview.members = int(await session.scalar(select(func.count()).select_from(Membership).where(*current)) or 0)
    overview.admins = [
        AdminRow(*row)
        for row in (
            await session.execute(
                select(Membership.name, User.phone, Membership.state, Membership.activated_at)
                .join(User, User.id == Membership.user_id)
                .where(*current, Membership.role == Role.org_admin)
                .order_by(Membership.name, User.phone)
            )
        ).all()
    ]
    return overview
