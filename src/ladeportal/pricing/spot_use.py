"""Where an organisation's sessions are priced by the spot price: the price areas of its sites that
have a spot-priced plan assigned (for a group or for guests, at that site or at all sites). Only
there do missing spot prices change what someone pays."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.orgs.models import Site
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion, PublicPricePlan


def _spot_now_or_later(versions: Iterable[tuple[datetime, dict[str, Any]]], now: datetime) -> bool:
    """The version in force at `now` or one that takes effect later prices energy by the spot price."""
    ordered = sorted(versions, key=lambda v: v[0])
    in_force = [v for v in ordered if v[0] <= now][-1:]
    relevant = in_force + [v for v in ordered if v[0] > now]
    return any((definition.get("energy") or {}).get("type") == "spot" for _, definition in relevant)


async def spot_priced_areas(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> set[str]:
    assigned = union_all(
        select(GroupPricePlan.plan_id, GroupPricePlan.site_id).where(GroupPricePlan.organization_id == org_id),
        select(PublicPricePlan.plan_id, PublicPricePlan.site_id).where(PublicPricePlan.organization_id == org_id),
    ).subquery()
    rows = (
        await session.execute(
            select(assigned.c.plan_id, assigned.c.site_id, PricePlanVersion.effective_from, PricePlanVersion.definition)
            .join(PricePlan, PricePlan.id == assigned.c.plan_id)
            .join(PricePlanVersion, PricePlanVersion.plan_id == PricePlan.id)
            .where(PricePlan.organization_id == org_id, PricePlan.archived_at.is_(None))
        )
    ).all()
    # A plan assigned in several scopes comes once per scope: its versions are kept once.
    versions: dict[uuid.UUID, dict[datetime, dict[str, Any]]] = {}
    scopes: dict[uuid.UUID, set[uuid.UUID | None]] = {}
    for plan_id, site_id, effective_from, definition in rows:
        versions.setdefault(plan_id, {})[effective_from] = definition
        scopes.setdefault(plan_id, set()).add(site_id)
    site_ids: set[uuid.UUID | None] = set()
    for plan_id, found in versions.items():
        if _spot_now_or_later(found.items(), now):
            site_ids |= scopes[plan_id]
    if not site_ids:
        return set()
    query = select(Site.price_area).distinct().where(Site.organization_id == org_id)
    if None not in site_ids:  # a plan for all sites covers every area the organisation is in
        query = query.where(Site.id.in_([s for s in site_ids if s is not None]))
    return set(await session.scalars(query))
