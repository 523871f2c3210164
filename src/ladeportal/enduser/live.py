"""The live session as the app shows it: energy, power, duration and the cost so far from the
member's price plan (the pricing engine on the meter values so far), or the stored price once the
session has ended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.chargers.power import Sample, session_power
from ladeportal.db.base import utcnow
from ladeportal.enduser.charging import own_session
from ladeportal.sessions.anomalies import MeterState
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState
from ladeportal.sessions.pricing_hook import running_estimate


@dataclass(frozen=True)
class LiveView:
    session_id: int
    active: bool
    charger: str
    connector: int
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    power_w: int | None
    duration_s: int
    cost_minor: int | None
    currency: str | None
    # Readings stored so far: the stream sends an update only when something changed.
    readings_version: str


async def _power(session: AsyncSession, session_id: int, now: datetime) -> tuple[int | None, str]:
    rows = (
        await session.execute(
            select(MeterReading.id, MeterReading.taken_at, MeterReading.energy_wh, MeterReading.samples)
            .where(MeterReading.session_id == session_id)
            .order_by(MeterReading.taken_at.desc(), MeterReading.id.desc())
            .limit(2)
        )
    ).all()
    if not rows:
        return None, "0"
    samples = [Sample(r.taken_at, r.energy_wh, list(r.samples or [])) for r in rows]
    return session_power(samples[0], samples[1] if len(samples) > 1 else None, now), str(rows[0].id)


async def live_view(session: AsyncSession, user_id: uuid.UUID, session_id: int) -> LiveView:
    """The person's own session (404 for anyone else's) as it stands now. Reads only."""
    cs: ChargingSession = await own_session(session, user_id, session_id)
    now = utcnow()
    cp = await session.get(ChargePoint, cs.charge_point_id)
    charger = (cp.name or cp.ocpp_id) if cp is not None else ""
    if cs.state == SessionState.active:
        energy = MeterState(cs.id, cs.meter_start_wh, cs.meter_last_wh, cs.segment_start_wh, cs.energy_carried_wh)
        power, version = await _power(session, cs.id, now)
        price = await running_estimate(session, cs, now)
        cost = price.breakdown.total if price.breakdown is not None else None
        return LiveView(
            cs.id,
            True,
            charger,
            cs.connector_number,
            cs.started_at,
            None,
            energy.energy_wh,
            power,
            max(0, int((now - cs.started_at).total_seconds())),
            cost,
            price.currency if price.breakdown is not None else None,
            f"a:{version}:{cs.meter_last_wh}",
        )
    stopped = cs.stopped_at or now
    return LiveView(
        cs.id,
        False,
        charger,
        cs.connector_number,
        cs.started_at,
        cs.stopped_at,
        cs.energy_wh or 0,
        None,
        max(0, int((stopped - cs.started_at).total_seconds())),
        cs.cost_total_minor,
        cs.currency,
        f"s:{cs.cost_total_minor}",
    )


async def active_sessions(session: AsyncSession, membership_ids: list[uuid.UUID]) -> list[ChargingSession]:
    if not membership_ids:
        return []
    return list(
        (
            await session.scalars(
                select(ChargingSession)
                .where(ChargingSession.membership_id.in_(membership_ids), ChargingSession.state == SessionState.active)
                .order_by(ChargingSession.started_at.desc())
            )
        ).all()
    )
