"""My places: the person's memberships, and for each the sites and chargers its group may use, with
each connector's live state and the member's price there in plain words.

What a member may use follows the access decision's group rules (members/groups.group_may_use): the
whole site when the group has all sites or that site, or single chargers given to the group.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.base import utcnow
from ladeportal.errors import NotFound
from ladeportal.members.groups import effective_group
from ladeportal.members.models import GroupChargePoint, GroupSite, Membership, MembershipState, UserGroup
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.group_prices import prices_by_site
from ladeportal.web.portal.readmodels import offline_after

# What the app calls a connector, from its OCPP status and whether the charger is reachable.
CONNECTOR_STATES = {
    "Available": "available",
    "Preparing": "occupied",
    "Finishing": "occupied",
    "Reserved": "occupied",
    "Charging": "charging",
    "SuspendedEV": "charging",
    "SuspendedEVSE": "charging",
    "Faulted": "faulted",
    "Unavailable": "faulted",
}


@dataclass(frozen=True)
class MemberOf:
    membership: Membership
    org: Organization


@dataclass
class ConnectorView:
    number: int
    state: str  # available, occupied, charging, faulted, offline
    parking_spot: str | None = None


@dataclass
class ChargerView:
    id: uuid.UUID
    name: str
    connectors: list[ConnectorView] = field(default_factory=list)


@dataclass
class SiteView:
    id: uuid.UUID
    name: str
    price: str | None
    chargers: list[ChargerView] = field(default_factory=list)


@dataclass
class PlacesOf:
    member_of: MemberOf
    sites: list[SiteView]


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[MemberOf]:
    """The person's live memberships (not removed), by organisation name."""
    rows = await session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id, Membership.removed_at.is_(None))
        .order_by(Organization.legal_name)
    )
    return [MemberOf(m, o) for m, o in rows.all()]


async def membership_of(session: AsyncSession, user_id: uuid.UUID, membership_id: uuid.UUID) -> MemberOf:
    """One of the person's own memberships; anyone else's is indistinguishable from a missing one."""
    for item in await memberships_of(session, user_id):
        if item.membership.id == membership_id:
            return item
    raise NotFound("No such membership.", code="app.membership_not_found")


def connector_state(status: str, online: bool) -> str:
    if not online:
        return "offline"
    return CONNECTOR_STATES.get(status, "offline")


def is_online(cp: ChargePoint, now: datetime, heartbeat_seconds: int) -> bool:
    return cp.last_seen_at is not None and now - cp.last_seen_at <= offline_after(heartbeat_seconds)


async def _allowed(
    session: AsyncSession, group: UserGroup, org_id: uuid.UUID
) -> tuple[bool, set[uuid.UUID], set[uuid.UUID]]:
    if group.all_sites:
        return True, set(), set()
    sites = set(await session.scalars(select(GroupSite.site_id).where(GroupSite.group_id == group.id)))
    chargers = set(
        await session.scalars(select(GroupChargePoint.charge_point_id).where(GroupChargePoint.group_id == group.id))
    )
    return False, sites, chargers


async def places_for(
    session: AsyncSession, item: MemberOf, *, locale: str, heartbeat_seconds: int, now: datetime | None = None
) -> PlacesOf:
    now = now or utcnow()
    if item.membership.state == MembershipState.blocked:
        return PlacesOf(item, [])
    group = await effective_group(session, item.membership)
    all_sites, site_ids, charger_ids = await _allowed(session, group, item.org.id)
    chargers = (
        await session.scalars(
            select(ChargePoint)
            .options(selectinload(ChargePoint.connectors))
            .where(
                ChargePoint.organization_id == item.org.id,
                ChargePoint.commissioning_state == CommissioningState.active,
            )
            .order_by(ChargePoint.name, ChargePoint.ocpp_id)
        )
    ).all()
    usable = [cp for cp in chargers if all_sites or cp.site_id in site_ids or cp.id in charger_ids]
    prices = {
        p.site.id: p.description
        for p in await prices_by_site(session, item.org.id, group.id, locale=locale, at=now)
        if p.site is not None
    }
    sites = {
        s.id: s
        for s in await session.scalars(
            select(Site).where(Site.id.in_({cp.site_id for cp in usable})).order_by(Site.name)
        )
    }
    views: dict[uuid.UUID, SiteView] = {}
    for site in sites.values():
        views[site.id] = SiteView(site.id, site.name, prices.get(site.id))
    for cp in usable:
        online = is_online(cp, now, heartbeat_seconds)
        view = ChargerView(cp.id, cp.name or cp.ocpp_id)
        for c in sorted(cp.connectors, key=lambda c: c.number):
            view.connectors.append(ConnectorView(c.number, connector_state(c.status, online), c.parking_spot))
        views[cp.site_id].chargers.append(view)
    return PlacesOf(item, list(views.values()))


async def all_places(
    session: AsyncSession, user_id: uuid.UUID, *, locale: str, heartbeat_seconds: int
) -> list[PlacesOf]:
    now = utcnow()
    return [
        await places_for(session, item, locale=locale, heartbeat_seconds=heartbeat_seconds, now=now)
        for item in await memberships_of(session, user_id)
    ]
