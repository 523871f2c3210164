"""The organisation's plans as an owner reads them: each in plain words, its version history, and
who pays by it (groups, guests). What the Prices page and the plan list of the API show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Site
from ladeportal.pricing.describe import describe_definition
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion, PublicPricePlan
from ladeportal.pricing.services import definition_of, list_plans


@dataclass(frozen=True)
class VersionView:
    version: PricePlanVersion
    description: str
    status: str  # "past" | "current" | "scheduled"


@dataclass(frozen=True)
class UsedBy:
    audience: str  # "private" (a group's members) | "public" (guests)
    group_id: uuid.UUID | None
    group_name: str | None
    site_id: uuid.UUID | None  # None: every site
    site_name: str | None


@dataclass(frozen=True)
class PlanOverview:
    plan: PricePlan
    current: VersionView | None  # None: the first version is still scheduled
    versions: list[VersionView]  # oldest first
    used_by: list[UsedBy]


def version_views(versions: list[PricePlanVersion], *, locale: str, now: datetime) -> list[VersionView]:
    in_force = [v for v in versions if v.effective_from <= now]
    current_id = max(in_force, key=lambda v: v.effective_from).id if in_force else None
    return [
        VersionView(
            v,
            describe_definition(definition_of(v), locale),
            "current" if v.id == current_id else "past" if v.effective_from <= now else "scheduled",
        )
        for v in sorted(versions, key=lambda v: v.number)
    ]


async def plan_overview(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    locale: str = "nb",
    now: datetime | None = None,
    include_archived: bool = False,
) -> list[PlanOverview]:
    now = now or utcnow()
    plans = await list_plans(session, org_id, include_archived=include_archived)
    ids = [p.id for p in plans]
    versions = (await session.scalars(select(PricePlanVersion).where(PricePlanVersion.plan_id.in_(ids)))).all()
    groups = (
        await session.execute(
            select(GroupPricePlan.plan_id, GroupPricePlan.group_id, UserGroup.name, GroupPricePlan.site_id, Site.name)
            .join(UserGroup, UserGroup.id == GroupPricePlan.group_id)
            .outerjoin(Site, Site.id == GroupPricePlan.site_id)
            .where(GroupPricePlan.organization_id == org_id)
            .order_by(UserGroup.name, Site.name)
        )
    ).all()
    public = (
        await session.execute(
            select(PublicPricePlan.plan_id, PublicPricePlan.site_id, Site.name)
            .outerjoin(Site, Site.id == PublicPricePlan.site_id)
            .where(PublicPricePlan.organization_id == org_id)
            .order_by(Site.name)
        )
    ).all()
    result = []
    for plan in plans:
        views = version_views([v for v in versions if v.plan_id == plan.id], locale=locale, now=now)
        used = [UsedBy("private", g, gname, s, sname) for pid, g, gname, s, sname in groups if pid == plan.id]
        used += [UsedBy("public", None, None, s, sname) for pid, s, sname in public if pid == plan.id]
        current = next((v for v in views if v.status == "current"), None)
        result.append(PlanOverview(plan, current, views, used))
    return result
