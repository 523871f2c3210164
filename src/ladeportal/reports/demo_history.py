"""A year of charging history for the demo cooperative, so its reports have something to show: the
residents' sessions of the twelve months before last month (last month's are the invoicing demo's),
with a meter sample every 30 minutes, priced by the product's engine, and the demo's generated
spot prices for those days (for electricity bought vs. sold). The same history every time.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.members.models import IdTag, Membership
from ladeportal.orgs.models import Organization
from ladeportal.pricing.assignments import ResolvedPlan, resolve_plan_version
from ladeportal.pricing.session_pricing import price_charging_session, snapshot_of
from ladeportal.pricing.spot_demo import demo_day_prices
from ladeportal.pricing.spot_store import has_day, store_prices
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState

MONTHS = 12
SESSIONS_PER_MONTH = 9  # per resident
SAMPLE_MINUTES = 30


def _month_start(today: date, months_back: int) -> date:
    first = today.replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


async def load_report_history(
    s: AsyncSession,
    org: Organization,
    residents: list[tuple[Membership, IdTag]],
    chargers: list[ChargePoint],
    area: str,
) -> int:
    """Add the history and commit; returns the sessions added."""
    zone = ZoneInfo(org.time_zone)
    today = datetime.now(zone).date()
    first, end = _month_start(today, MONTHS + 1), today
    day = first - timedelta(days=1)
    while day <= end:
        if not await has_day(s, area, org.currency, day):
            await store_prices(s, area, org.currency, demo_day_prices(area, day).prices)
        day += timedelta(days=1)

    plans: dict[tuple[object, object], ResolvedPlan | None] = {}
    rng = random.Random(13)  # the same demo every time
    meters = {cp.id: 500_000 + 50_000 * n for n, cp in enumerate(chargers)}
    added = 0
    for back in range(MONTHS + 1, 1, -1):
        month = _month_start(today, back)
        days = ((month + timedelta(days=32)).replace(day=1) - month).days
        # Winter months see more charging than summer ones.
        season = 1.3 if month.month in (11, 12, 1, 2, 3) else 0.8 if month.month in (6, 7, 8) else 1.0
        for n, (membership, tag) in enumerate(residents):
            home = chargers[n % len(chargers)]
            for k in range(round(SESSIONS_PER_MONTH * season)):
                cp = home if rng.random() < 0.85 else chargers[rng.randrange(len(chargers))]
                local = datetime(
                    month.year,
                    month.month,
                    1 + rng.randrange(days),
                    rng.choice((7, 16, 17, 17, 18, 19, 21, 22)),
                    rng.randrange(60),
                    tzinfo=zone,
                )
                started = local.astimezone(UTC)
                minutes = rng.randint(45, 11 * 60)
                power_w = rng.choice((3_700, 7_400, 11_000))
                full_after = rng.randint(30, max(31, minutes))
                energy = power_w * min(minutes, full_after) // 60
                meter_start = meters[cp.id]
                meters[cp.id] += energy + rng.randint(0, 2_000)
                row = ChargingSession(
                    organization_id=org.id,
                    site_id=cp.site_id,
                    charge_point_id=cp.id,
                    connector_number=1 + k % 2,
                    id_tag=tag.uid,
                    tag_id=tag.id,
                    membership_id=membership.id,
                    group_id=membership.group_id,
                    auth_status="Accepted",
                    state=SessionState.stopped,
                    started_at=started,
                    stopped_at=started + timedelta(minutes=minutes),
                    stop_reason="Local",
                    meter_start_wh=meter_start,
                    meter_stop_wh=meter_start + energy,
                    meter_last_wh=meter_start + energy,
                    segment_start_wh=meter_start,
                    energy_carried_wh=0,
                    energy_wh=energy,
                    anomalies=[],
                )
                s.add(row)
                await s.flush()
                samples = [
                    {
                        "charge_point_id": cp.id,
                        "connector_number": row.connector_number,
                        "session_id": row.id,
                        "taken_at": started + timedelta(minutes=m),
                        "energy_wh": meter_start + energy * min(m, full_after) // max(1, min(minutes, full_after)),
                        "samples": [],
                    }
                    for m in range(SAMPLE_MINUTES, minutes, SAMPLE_MINUTES)
                ]
                if samples:
                    await s.execute(insert(MeterReading), samples)
                await _price(s, row, plans)
                added += 1
    await s.commit()
    return added


async def _price(
    s: AsyncSession, row: ChargingSession, plans: dict[tuple[object, object], ResolvedPlan | None]
) -> None:
    """Priced as the pricing hook prices a session, but by the plan in force now: the demo's plans start
    two months back, and history without prices would show no revenue."""
    key = (row.group_id, row.site_id)
    if key not in plans:
        plans[key] = await resolve_plan_version(
            s, row.organization_id, group_id=row.group_id, site_id=row.site_id, started_at=utcnow()
        )
    assert row.stopped_at is not None
    price = await price_charging_session(
        s, row, until=row.stopped_at, energy_wh=row.energy_wh or 0, resolved=plans[key]
    )
    row.cost_snapshot = snapshot_of(price, row, utcnow())
    row.cost_total_minor = price.breakdown.total if price.breakdown is not None else None
    row.currency = price.currency if price.breakdown is not None else None
