"""Who pays by which plan: private plans per user group (optionally per site), a public plan for guests
per site or for the whole organisation, and the lookup of the plan version that prices a session.

Precedence: a plan for the exact site beats one for all sites. Members are priced by their group's
plan; a session without a group (a guest, an unknown card) by the public plan. There is no fallback
from a group to another group: a group without a plan gets a "no price plan" snapshot flagged for
review, so a forgotten assignment is seen rather than billed at someone else's price. Changing an
assignment applies to sessions that stop afterwards; sessions already priced keep their snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound
from ladeportal.members.groups import get_group
from ladeportal.orgs.services import get_site
from ladeportal.platform.audit import Actor, record
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion, PublicPricePlan
from ladeportal.pricing.plan_codec import PlanDefinition
from ladeportal.pricing.services import definition_of, get_plan, version_in_force

Audience = Literal["private", "public"]


@dataclass(frozen=True)
class ResolvedPlan:
    plan: PricePlan
    version: PricePlanVersion
    definition: PlanDefinition
    audience: Audience


def _scope(owner: uuid.UUID, site_id: uuid.UUID | None) -> str:
    return f"{owner}:{site_id or 'all'}"


async def assign_group_plan(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    plan_id: uuid.UUID,
    *,
    site_id: uuid.UUID | None = None,
) -> GroupPricePlan:
    """The group's members pay by this plan (at `site_id` only, or everywhere); replaces the previous one."""
    async with unit_of_work(session):
        await get_group(session, org_id, group_id)
        if site_id is not None:
            await get_site(session, org_id, site_id)
        plan = await _usable_plan(session, org_id, plan_id)
        scope = _scope(group_id, site_id)
        row = await session.scalar(select(GroupPricePlan).where(GroupPricePlan.scope == scope))
        old = None if row is None else str(row.plan_id)
        if row is None:
            row = GroupPricePlan(
                id=uuid.uuid4(),
                organization_id=org_id,
                group_id=group_id,
                site_id=site_id,
                plan_id=plan.id,
                scope=scope,
            )
            session.add(row)
        row.plan_id = plan.id
        record(
            session,
            actor,
            "price_plan.assign_group",
            "user_group",
            group_id,
            organization_id=org_id,
            old={"plan_id": old},
            new={"plan_id": str(plan.id), "site_id": str(site_id) if site_id else None},
        )
    return row


async def unassign_group_plan(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, group_id: uuid.UUID, *, site_id: uuid.UUID | None = None
) -> None:
    async with unit_of_work(session):
        await get_group(session, org_id, group_id)
        result = await session.execute(
            delete(GroupPricePlan).where(
                GroupPricePlan.organization_id == org_id, GroupPricePlan.scope == _scope(group_id, site_id)
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("The group has no plan there.", code="assignment.group_none")
        record(
            session,
            actor,
            "price_plan.unassign_group",
            "user_group",
            group_id,
            organization_id=org_id,
            old={"site_id": str(site_id) if site_id else None},
        )


async def assign_public_plan(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, plan_id: uuid.UUID, *, site_id: uuid.UUID | None = None
) -> PublicPricePlan:
    """Guests pay by this plan at `site_id` (or at every site without its own public plan)."""
    async with unit_of_work(session):
        if site_id is not None:
            await get_site(session, org_id, site_id)
        plan = await _usable_plan(session, org_id, plan_id)
        scope = _scope(org_id, site_id)
        row = await session.scalar(select(PublicPricePlan).where(PublicPricePlan.scope == scope))
        if row is None:
            row = PublicPricePlan(
                id=uuid.uuid4(), organization_id=org_id, site_id=site_id, plan_id=plan.id, scope=scope
            )
            session.add(row)
        row.plan_id = plan.id
        record(
            session,
            actor,
            "price_plan.assign_public",
            "price_plan",
            plan.id,
            organization_id=org_id,
            new={"site_id": str(site_id) if site_id else None},
        )
    return row


async def unassign_public_plan(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, *, site_id: uuid.UUID | None = None
) -> None:
    async with unit_of_work(session):
        result = await session.execute(
            delete(PublicPricePlan).where(
                PublicPricePlan.organization_id == org_id, PublicPricePlan.scope == _scope(org_id, site_id)
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("There is no public plan there.", code="assignment.public_none")
        record(
            session,
            actor,
            "price_plan.unassign_public",
            "organization",
            org_id,
            organization_id=org_id,
            old={"site_id": str(site_id) if site_id else None},
        )


async def _usable_plan(session: AsyncSession, org_id: uuid.UUID, plan_id: uuid.UUID) -> PricePlan:
    plan = await get_plan(session, org_id, plan_id)
    if plan.archived_at is not None:
        raise Conflict("The plan is archived.", field="plan_id", code="plan.archived")
    return plan


async def group_assignments(session: AsyncSession, org_id: uuid.UUID) -> list[GroupPricePlan]:
    return list((await session.scalars(select(GroupPricePlan).where(GroupPricePlan.organization_id == org_id))).all())


async def public_assignments(session: AsyncSession, org_id: uuid.UUID) -> list[PublicPricePlan]:
    return list((await session.scalars(select(PublicPricePlan).where(PublicPricePlan.organization_id == org_id))).all())


async def assigned_plan_id(
    session: AsyncSession, org_id: uuid.UUID, *, group_id: uuid.UUID | None, site_id: uuid.UUID
) -> uuid.UUID | None:
    """The plan for a group at a site (group None: the public plan), site-specific first."""
    if group_id is not None:
        rows = (
            await session.execute(
                select(GroupPricePlan.site_id, GroupPricePlan.plan_id).where(
                    GroupPricePlan.organization_id == org_id,
                    GroupPricePlan.group_id == group_id,
                    (GroupPricePlan.site_id == site_id) | GroupPricePlan.site_id.is_(None),
                )
            )
        ).all()
    else:
        rows = (
            await session.execute(
                select(PublicPricePlan.site_id, PublicPricePlan.plan_id).where(
                    PublicPricePlan.organization_id == org_id,
                    (PublicPricePlan.site_id == site_id) | PublicPricePlan.site_id.is_(None),
                )
            )
        ).all()
    return best_plan_id([(row[0], row[1]) for row in rows], site_id)


def best_plan_id(rows: Iterable[tuple[uuid.UUID | None, uuid.UUID]], site_id: uuid.UUID) -> uuid.UUID | None:
    """Of one audience's assignments (site id or None for all sites, plan id), the plan at `site_id`:
    the site's own before the one for all sites. Also what the portal shows before a change."""
    best = sorted((row for row in rows if row[0] in (site_id, None)), key=lambda row: row[0] is None)
    return best[0][1] if best else None


async def resolve_plan_version(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    group_id: uuid.UUID | None,
    site_id: uuid.UUID,
    started_at: datetime,
) -> ResolvedPlan | None:
    """The plan version that prices a session of this group at this site that started at `started_at`."""
    plan_id = await assigned_plan_id(session, org_id, group_id=group_id, site_id=site_id)
    if plan_id is None:
        return None
    return await plan_in_force(session, plan_id, started_at, "private" if group_id is not None else "public")


async def plan_in_force(
    session: AsyncSession, plan_id: uuid.UUID, at: datetime, audience: Audience
) -> ResolvedPlan | None:
    """The assigned plan with its version at `at`; None while its first version is still scheduled."""
    plan = await session.get(PricePlan, plan_id)
    version = await version_in_force(session, plan_id, at)
    if plan is None or version is None:
        return None
    return ResolvedPlan(plan, version, definition_of(version), audience)
