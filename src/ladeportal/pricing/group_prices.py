"""What a group's members (or guests) pay at each site today, and what they would pay once one of
their assignments is removed: the answer comes from the same precedence (`assignments.best_plan_id`)
and the same version lookup (`assignments.plan_in_force`) that price finished sessions, so the
portal can never promise a price that billing does not charge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.orgs.models import Site
from ladeportal.orgs.services import list_sites
from ladeportal.pricing.assignments import ResolvedPlan, best_plan_id, plan_in_force
from ladeportal.pricing.describe import describe_plan
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PublicPricePlan

Row = tuple[uuid.UUID | None, uuid.UUID]  # (site id or None for all sites, plan id)


@dataclass(frozen=True)
class SitePrice:
    site: Site | None  # None: the assignment for all sites
    plan: PricePlan | None  # None: sessions are not priced and are flagged for review
    resolved: ResolvedPlan | None  # None also while the plan's first version is still scheduled
    description: str | None  # the version in force in plain words
    own: bool  # an assignment for exactly this site (or for all sites) exists and applies


async def _rows(session: AsyncSession, org_id: uuid.UUID, group_id: uuid.UUID | None) -> list[Row]:
    if group_id is None:
        query = select(PublicPricePlan.site_id, PublicPricePlan.plan_id).where(
            PublicPricePlan.organization_id == org_id
        )
    else:
        query = select(GroupPricePlan.site_id, GroupPricePlan.plan_id).where(
            GroupPricePlan.organization_id == org_id, GroupPricePlan.group_id == group_id
        )
    return [(site_id, plan_id) for site_id, plan_id in (await session.execute(query)).all()]


async def _price_at(
    session: AsyncSession, rows: list[Row], site: Site | None, *, group_id: uuid.UUID | None, locale: str, at: datetime
) -> SitePrice:
    if site is None:
        plan_id = next((plan_id for site_id, plan_id in rows if site_id is None), None)
    else:
        plan_id = best_plan_id(rows, site.id)
    if plan_id is None:
        return SitePrice(site, None, None, None, False)
    resolved = await plan_in_force(session, plan_id, at, "private" if group_id is not None else "public")
    plan = resolved.plan if resolved else await session.get(PricePlan, plan_id)
    description = describe_plan(resolved.definition.plan, locale) if resolved else None
    own = site is None or any(site_id == site.id for site_id, _ in rows)
    return SitePrice(site, plan, resolved, description, own)


async def prices_by_site(
    session: AsyncSession,
    org_id: uuid.UUID,
    group_id: uuid.UUID | None,
    *,
    locale: str = "nb",
    at: datetime | None = None,
) -> list[SitePrice]:
    """What the group (None: guests) pays for sessions starting `at`: first the plan for all sites, then
    at each of the organisation's sites (its own plan, else the one for all sites, else none)."""
    at = at or utcnow()
    rows = await _rows(session, org_id, group_id)
    sites: list[Site | None] = [None, *await list_sites(session, org_id)]
    return [await _price_at(session, rows, site, group_id=group_id, locale=locale, at=at) for site in sites]


async def assigned_plan(
    session: AsyncSession, org_id: uuid.UUID, group_id: uuid.UUID | None, site_id: uuid.UUID | None
) -> PricePlan | None:
    """The plan of exactly this assignment (site None: the one for all sites), if there is one."""
    plan_id = next((plan for site, plan in await _rows(session, org_id, group_id) if site == site_id), None)
    return None if plan_id is None else await session.get(PricePlan, plan_id)


async def prices_after_removal(
    session: AsyncSession,
    org_id: uuid.UUID,
    group_id: uuid.UUID | None,
    site_id: uuid.UUID | None,
    *,
    locale: str = "nb",
    at: datetime | None = None,
) -> list[SitePrice]:
    """At each site where the assignment for `site_id` (None: all sites) prices sessions today, what
    prices them once it is removed. Reads only; the caller has checked the group and site."""
    at = at or utcnow()
    rows = await _rows(session, org_id, group_id)
    remaining = [row for row in rows if row[0] != site_id]
    sites: list[Site | None] = list(await list_sites(session, org_id)) or [None]
    affected = [site for site in sites if _priced_by(rows, site, site_id)]
    return [await _price_at(session, remaining, site, group_id=group_id, locale=locale, at=at) for site in affected]


def _priced_by(rows: list[Row], site: Site | None, site_id: uuid.UUID | None) -> bool:
    """Whether the assignment for `site_id` (None: all sites) is the one that prices at `site`."""
    if site is None:
        return site_id is None
    if site_id is not None:
        return site.id == site_id
    return all(row_site != site.id for row_site, _ in rows)
