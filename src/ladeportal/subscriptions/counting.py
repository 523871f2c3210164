"""What a quarter's invoice counts for a batch of organisations: their units at the run (chargers not
retired, or those chargers' connectors) and, for plans that prorate, the units added during the
previous quarter after its invoice was counted, with the days each was there. A charger retired during
a quarter is not credited (the quarter was paid in advance); it simply no longer counts next quarter.
Each query covers the whole batch."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.subscriptions.models import PlanUnit, SubscriptionInvoice
from ladeportal.subscriptions.pricing import Added
from ladeportal.subscriptions.quarters import Quarter

ACTIVE = ChargePoint.commissioning_state != CommissioningState.retired


async def unit_counts(
    session: AsyncSession, org_ids: Sequence[uuid.UUID], unit: PlanUnit | None = None
) -> dict[PlanUnit, dict[uuid.UUID, int]]:
    counts: dict[PlanUnit, dict[uuid.UUID, int]] = {}
    if unit in (None, PlanUnit.charger):
        counts[PlanUnit.charger] = dict(
            (
                await session.execute(
                    select(ChargePoint.organization_id, func.count())
                    .where(ChargePoint.organization_id.in_(org_ids), ACTIVE)
                    .group_by(ChargePoint.organization_id)
                )
            ).all()
        )
    if unit in (None, PlanUnit.connector):
        counts[PlanUnit.connector] = dict(
            (
                await session.execute(
                    select(ChargePoint.organization_id, func.count(Connector.id))
                    .join(Connector, Connector.charge_point_id == ChargePoint.id)
                    .where(ChargePoint.organization_id.in_(org_ids), ACTIVE)
                    .group_by(ChargePoint.organization_id)
                )
            ).all()
        )
    return counts


async def added_last_quarter(
    session: AsyncSession,
    quarter: Quarter,
    orgs: Sequence[tuple[uuid.UUID, str, PlanUnit]],
) -> dict[uuid.UUID, list[Added]]:
    """Per organisation (id, time zone, unit), the units added in the quarter before `quarter` that are
    still active, grouped by how many days of that quarter they were there."""
    if not orgs:
        return {}
    before = quarter.previous()
    ids = [org_id for org_id, _, _ in orgs]
    # Widened by a day on each side for any time zone; each organisation's own bounds are applied below.
    low = datetime.combine(before.first_day, datetime.min.time(), ZoneInfo("UTC")) - timedelta(days=1)
    high = datetime.combine(before.end_day, datetime.min.time(), ZoneInfo("UTC")) + timedelta(days=1)
    counted = dict(
        (
            await session.execute(
                select(SubscriptionInvoice.organization_id, SubscriptionInvoice.counted_at).where(
                    SubscriptionInvoice.organization_id.in_(ids), SubscriptionInvoice.quarter == str(before)
                )
            )
        ).all()
    )
    chargers = select(ChargePoint.organization_id, ChargePoint.created_at, func.count(Connector.id)).outerjoin(
        Connector, Connector.charge_point_id == ChargePoint.id
    )
    rows = (
        await session.execute(
            chargers.where(
                ChargePoint.organization_id.in_(ids),
                ACTIVE,
                ChargePoint.created_at >= low,
                ChargePoint.created_at < high,
            ).group_by(ChargePoint.id, ChargePoint.organization_id, ChargePoint.created_at)
        )
    ).all()
    by_org: dict[uuid.UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for org_id, created_at, connectors in rows:
        by_org[org_id].append((created_at, connectors))
    result: dict[uuid.UUID, list[Added]] = {}
    for org_id, time_zone, unit in orgs:
        start, end = before.starts_at(time_zone), before.ends_at(time_zone)
        since = max(start, counted[org_id]) if org_id in counted else start
        zone = ZoneInfo(time_zone)
        days = Counter[int]()
        for created_at, connectors in by_org.get(org_id, ()):
            if since <= created_at < end:
                there = (before.end_day - created_at.astimezone(zone).date()).days
                days[there] += connectors if unit == PlanUnit.connector else 1
        if days:
            result[org_id] = [Added(units, d, before.days) for d, units in sorted(days.items(), reverse=True)]
    return result
