"""The price of a charging session: the plan version in force at its start, its meter readings, the
stored spot prices for its span, and the engine. Used at stop (the stored snapshot) and while it runs
(an estimate); reads only, never commits.

Energy billed is the session's own accounting (`ChargingSession.energy_wh`, which survives meter
resets and replays); the stored readings only say *when* it was drawn, which matters for time-of-day
and spot prices. Readings are turned into a cumulative curve clamped to that total, so the engine's
lines always add up to exactly the session's energy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.allocation import MeterReading as Reading
from ladeportal.pricing.assignments import ResolvedPlan, resolve_plan_version
from ladeportal.pricing.breakdown import CostBreakdown, WarningCode
from ladeportal.pricing.engine import price_session
from ladeportal.pricing.plan_codec import plan_to_json
from ladeportal.pricing.plans import SpotEnergyPrice
from ladeportal.pricing.snapshot import SNAPSHOT_FORMAT, breakdown_json, spot_prices_json
from ladeportal.pricing.spot_series import SpotPrice
from ladeportal.pricing.spot_store import load_prices
from ladeportal.sessions import anomalies
from ladeportal.sessions.models import ChargingSession, MeterReading

NO_PLAN = "no_price_plan"
PRICED = "priced"


@dataclass(frozen=True)
class SessionPrice:
    resolved: ResolvedPlan | None
    breakdown: CostBreakdown | None  # None: no plan applies
    spot_prices: list[SpotPrice]
    time_zone: str
    energy_wh: int
    currency: str

    @property
    def needs_review(self) -> bool:
        return self.breakdown is None or self.breakdown.needs_review

    @property
    def spot_area(self) -> str | None:
        energy = self.resolved.definition.plan.energy if self.resolved is not None else None
        return energy.area if isinstance(energy, SpotEnergyPrice) else None

    @property
    def awaits_spot_prices(self) -> bool:
        """Part of the energy was billed at the fallback price: no spot price was stored for it."""
        return self.breakdown is not None and any(
            w.code is WarningCode.SPOT_PRICE_MISSING for w in self.breakdown.warnings
        )


def cumulative_readings(
    started_at: datetime,
    meter_start_wh: int | None,
    samples: Sequence[tuple[datetime, int]],
    ended_at: datetime,
    total_wh: int,
) -> list[Reading]:
    """A non-decreasing curve from 0 at the start to `total_wh` at the end, shaped by the registers in
    between; a register going down is a reset (counting restarts from it), as in sessions.anomalies.
    `meter_start_wh` None: the start register is not trustworthy, the first sample is the base."""
    points: list[Reading] = [(started_at, 0)]
    last, counted = meter_start_wh, 0
    for at, register in sorted(samples):
        if not started_at < at < ended_at:
            continue
        if last is not None and register >= last:
            counted += register - last
        last = register
        points.append((at, max(min(counted, total_wh), points[-1][1])))
    points.append((ended_at, max(total_wh, points[-1][1])))
    return points


async def _registers(session: AsyncSession, session_id: int) -> list[tuple[datetime, int]]:
    rows = (
        await session.execute(
            select(MeterReading.taken_at, MeterReading.energy_wh)
            .where(
                MeterReading.session_id == session_id,
                MeterReading.energy_wh.is_not(None),
            )
            .order_by(MeterReading.taken_at)
        )
    ).all()
    return [(at, int(wh)) for at, wh in rows if wh is not None]


async def price_charging_session(
    session: AsyncSession,
    charging_session: ChargingSession,
    *,
    until: datetime,
    energy_wh: int,
    resolved: ResolvedPlan | None = None,
) -> SessionPrice:
    """Price `charging_session` as if it ended at `until` having delivered `energy_wh`, with the plan
    version in force at its start or, when re-pricing, the `resolved` version that priced it before."""
    cs = charging_session
    site = await session.get(Site, cs.site_id)
    time_zone = site.time_zone if site is not None else "UTC"
    if resolved is None:
        resolved = await resolve_plan_version(
            session, cs.organization_id, group_id=cs.group_id, site_id=cs.site_id, started_at=cs.started_at
        )
    if resolved is None:
        currency = await session.scalar(select(Organization.currency).where(Organization.id == cs.organization_id))
        return SessionPrice(None, None, [], time_zone, energy_wh, currency or "")
    plan = resolved.definition.plan
    spot: list[SpotPrice] = []
    if isinstance(plan.energy, SpotEnergyPrice):
        spot = await load_prices(session, plan.energy.area, plan.currency, cs.started_at, until)
    trusted_start = None if anomalies.START_ZERO_REBASED in (cs.anomalies or []) else cs.meter_start_wh
    samples = await _registers(session, cs.id)
    last_sample = samples[-1][0] if samples else cs.started_at
    # While running, the energy known is the one at the last reading; the time fee runs until `until`.
    energy_end = until if cs.stopped_at is not None else max(min(last_sample, until), cs.started_at)
    readings = cumulative_readings(cs.started_at, trusted_start, samples, energy_end, energy_wh)
    breakdown = price_session(
        plan,
        meter_readings=readings,
        connected_at=cs.started_at,
        disconnected_at=until,
        time_zone=time_zone,
        spot_prices=spot,
    )
    return SessionPrice(resolved, breakdown, spot, time_zone, energy_wh, breakdown.currency)


def snapshot_of(price: SessionPrice, charging_session: ChargingSession, priced_at: datetime) -> dict[str, Any]:
    """What the session stores: enough to show and invoice it without ever reading the plan again."""
    flags = list(charging_session.anomalies or [])
    base: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "priced_at": priced_at.isoformat(),
        "time_zone": price.time_zone,
        "session_anomalies": flags,
    }
    if price.resolved is None or price.breakdown is None:
        return {
            **base,
            "status": NO_PLAN,
            "message": "no price plan applies to this session's group at this site",
            "plan": None,
            "energy_wh": price.energy_wh,
            "net": 0,
            "vat": 0,
            "total": 0,
            "lines": [],
            "currency": price.currency,
            "warnings": [],
            "needs_review": True,
            "spot_prices": [],
        }
    resolved = price.resolved
    return {
        **base,
        "status": PRICED,
        "plan": {
            "id": str(resolved.plan.id),
            "name": resolved.plan.name,
            "audience": resolved.audience,
            "version_id": str(resolved.version.id),
            "version": resolved.version.number,
            "effective_from": resolved.version.effective_from.isoformat(),
            "definition": plan_to_json(resolved.definition),
        },
        **breakdown_json(price.breakdown),
        # An odd meter (reset, stop below start) is as much a reason to look as a missing spot price.
        "needs_review": price.breakdown.needs_review or bool(flags),
        "spot_prices": spot_prices_json(price.spot_prices),
    }
