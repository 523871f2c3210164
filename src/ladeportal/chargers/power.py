"""Live power: what each charger draws now, read from the meter values stored for running sessions.

A session's power is its latest Power.Active.Import sample (the phases added up when the charger
reports them per phase); a charger that sends no power gets the energy delivered between its last
two register readings divided by the time between them. A reading older than `STALE_AFTER` counts
as nothing known: a charger that went quiet is not shown drawing its last figure for ever.

Two queries whatever the number of chargers: the running sessions, then their latest two readings
(a window function over ix_meter_readings_session_taken).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.sessions.meter import LOCATIONS, MEASURANDS, PHASES, UNITS
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState

STALE_AFTER = timedelta(minutes=15)
# Nominal voltage per phase used to show a grid limit given in amperes as power (TN 230/400 V).
NOMINAL_VOLTS = 230

_POWER = MEASURANDS.index("Power.Active.Import")
_W, _KW = UNITS.index("W"), UNITS.index("kW")
_TOTAL = PHASES.index("")
_OUTLET = LOCATIONS.index("Outlet")


@dataclass(frozen=True, slots=True)
class Sample:
    taken_at: datetime
    energy_wh: int | None
    samples: list[list[Any]]


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def power_of_sample(samples: list[list[Any]]) -> int | None:
    """Power.Active.Import in W from one packed meterValue (None if it has none): the total if the
    charger gave one, else the sum of its phases."""
    total: Decimal | None = None
    phases: Decimal | None = None
    for sample in samples:
        if not sample or sample[0] != _POWER or (len(sample) > 5 and sample[5] != _OUTLET):
            continue
        value = _number(sample[1])
        if value is None:
            continue
        unit = sample[2] if len(sample) > 2 else _W
        if unit == _KW:
            value *= 1000
        elif unit != _W:
            continue
        phase = sample[3] if len(sample) > 3 else _TOTAL
        if phase == _TOTAL:
            total = value
        else:
            phases = (phases or Decimal(0)) + value
    chosen = total if total is not None else phases
    return max(0, int(chosen)) if chosen is not None else None


def session_power(latest: Sample, previous: Sample | None, now: datetime) -> int | None:
    """The power of one running session in W from its two latest readings, or None if unknown."""
    if now - latest.taken_at > STALE_AFTER:
        return None
    measured = power_of_sample(latest.samples)
    if measured is not None:
        return measured
    if previous is None or latest.energy_wh is None or previous.energy_wh is None:
        return None
    seconds = (latest.taken_at - previous.taken_at).total_seconds()
    if seconds <= 0:
        return None
    return max(0, round((latest.energy_wh - previous.energy_wh) * 3600 / seconds))


@dataclass(frozen=True, slots=True)
class LivePower:
    by_charger: dict[uuid.UUID, int]
    by_site: dict[uuid.UUID, int]

    def charger(self, charge_point_id: uuid.UUID) -> int:
        return self.by_charger.get(charge_point_id, 0)

    def site(self, site_id: uuid.UUID) -> int:
        return self.by_site.get(site_id, 0)


async def live_power(
    session: AsyncSession, org_id: uuid.UUID, *, charge_point_ids: Iterable[uuid.UUID] | None = None
) -> LivePower:
    """Power in W now, per charger and per site (the charger's current site), of the organisation's
    running sessions (of the given chargers only, if named). Chargers that draw nothing are absent."""
    running = (
        select(ChargingSession.id, ChargingSession.charge_point_id, ChargePoint.site_id)
        .join(ChargePoint, ChargePoint.id == ChargingSession.charge_point_id)
        .where(
            ChargingSession.organization_id == org_id,
            ChargePoint.organization_id == org_id,
            ChargingSession.state == SessionState.active,
        )
    )
    if charge_point_ids is not None:
        running = running.where(ChargingSession.charge_point_id.in_(list(charge_point_ids)))
    sessions = {row.id: (row.charge_point_id, row.site_id) for row in (await session.execute(running)).all()}
    if not sessions:
        return LivePower({}, {})
    rank = (
        func.row_number()
        .over(partition_by=MeterReading.session_id, order_by=(MeterReading.taken_at.desc(), MeterReading.id.desc()))
        .label("rank")
    )
    ranked = (
        select(MeterReading.session_id, MeterReading.taken_at, MeterReading.energy_wh, MeterReading.samples, rank)
        .where(MeterReading.session_id.in_(list(sessions)))
        .subquery()
    )
    readings: dict[int, list[Sample]] = {}
    for row in (
        await session.execute(select(ranked).where(ranked.c.rank <= 2).order_by(ranked.c.session_id, ranked.c.rank))
    ).all():
        readings.setdefault(row.session_id, []).append(Sample(row.taken_at, row.energy_wh, list(row.samples or [])))
    now = utcnow()
    by_charger: dict[uuid.UUID, int] = {}
    by_site: dict[uuid.UUID, int] = {}
    for session_id, (cp_id, site_id) in sessions.items():
        latest = readings.get(session_id)
        watts = session_power(latest[0], latest[1] if len(latest) > 1 else None, now) if latest else None
        if watts is None:
            continue
        by_charger[cp_id] = by_charger.get(cp_id, 0) + watts
        by_site[site_id] = by_site.get(site_id, 0) + watts
    return LivePower(by_charger, by_site)


def grid_limit_w(amps: int | None, phases: int) -> int | None:
    """A site's grid limit in W at the nominal voltage (None when the site has none)."""
    return amps * phases * NOMINAL_VOLTS if amps else None
