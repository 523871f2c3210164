"""Sessions as the gateway leaves them, with meter samples, for the report tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.orgs.models import Site
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState

METER_START = 100_000


def cost(net: int, vat: int, plan_id: uuid.UUID | None = None) -> dict[str, object]:
    plan = {"id": str(plan_id), "name": "Plan"} if plan_id is not None else None
    return {"format": 1, "currency": "NOK", "net": net, "vat": vat, "total": net + vat, "lines": [], "plan": plan}


async def add_session(
    session: AsyncSession,
    site: Site,
    cp_id: uuid.UUID,
    started: datetime,
    stopped: datetime | None,
    energy_wh: int,
    *,
    samples: Sequence[tuple[datetime, int]] = (),
    net: int | None = None,
    vat: int = 0,
    plan_id: uuid.UUID | None = None,
    membership_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
    connector: int = 1,
    commit: bool = True,
) -> ChargingSession:
    """A session; `samples` are (time, Wh since the start); stopped=None leaves it running."""
    row = ChargingSession(
        organization_id=site.organization_id,
        site_id=site.id,
        charge_point_id=cp_id,
        connector_number=connector,
        id_tag=uuid.uuid4().hex[:8].upper(),
        membership_id=membership_id,
        group_id=group_id,
        auth_status="Accepted",
        state=SessionState.stopped if stopped is not None else SessionState.active,
        started_at=started,
        stopped_at=stopped,
        meter_start_wh=METER_START,
        meter_stop_wh=METER_START + energy_wh if stopped is not None else None,
        meter_last_wh=METER_START + energy_wh,
        segment_start_wh=METER_START,
        energy_carried_wh=0,
        energy_wh=energy_wh if stopped is not None else None,
        anomalies=[],
        cost_snapshot=cost(net, vat, plan_id) if net is not None else None,
        cost_total_minor=net + vat if net is not None else None,
        currency="NOK" if net is not None else None,
    )
    session.add(row)
    await session.flush()
    for taken, wh in samples:
        session.add(
            MeterReading(
                charge_point_id=cp_id,
                connector_number=connector,
                session_id=row.id,
                taken_at=taken,
                energy_wh=METER_START + wh,
                samples=[],
            )
        )
    if commit:
        await session.commit()
    return row
