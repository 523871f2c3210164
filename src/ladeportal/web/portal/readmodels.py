"""What the dashboard and the charger pages show, read in few queries.

Reads only: every query filters by the organisation's id first, so a page cannot see another
tenant's rows even if it passes a foreign id. State changes go through the areas' services.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.i18n import N_
from ladeportal.orgs.models import Organization, Site
from ladeportal.sessions.models import ChargingSession, OrphanMessage

STATES = ("available", "charging", "faulted", "offline", "pending", "unknown")
STATE_LABELS = {
    "available": N_("Available"), "charging": N_("Charging"), "faulted": N_("Faulted"),
    "offline": N_("Offline"), "pending": N_("Pending activation"), "unknown": N_("Unknown"),
    "retired": N_("Retired"),
}
CHARGING = {"Charging", "SuspendedEV", "SuspendedEVSE"}


@dataclass
class ChargerRow:
    charge_point: ChargePoint
    site_name: str
    time_zone: str  # the site's: times are shown as the people on site read their clocks
    state: str
    connectors: list[Connector] = field(default_factory=list)


def offline_after(heartbeat_seconds: int) -> timedelta:
    # Two missed heartbeats plus a minute of slack: one lost packet on a mobile link is not an outage.
    return timedelta(seconds=2 * heartbeat_seconds + 60)


def charger_state(cp: ChargePoint, now: datetime, heartbeat_seconds: int) -> str:
    if cp.commissioning_state == CommissioningState.retired:
        return "retired"
    if cp.commissioning_state == CommissioningState.pending:
        return "pending"
    if cp.last_seen_at is None or now - cp.last_seen_at > offline_after(heartbeat_seconds):
        return "offline"
    statuses = {c.status for c in cp.connectors}
    if "Faulted" in statuses:
        return "faulted"
    if statuses & CHARGING:
        return "charging"
    if statuses <= {"Unknown"}:
        return "unknown"
    return "available"


async def charger_rows(
    session: AsyncSession, org_id: uuid.UUID, heartbeat_seconds: int, *, site_id: uuid.UUID | None = None,
    state: str | None = None, search: str | None = None,
) -> list[ChargerRow]:
    query = (
        select(ChargePoint, Site.name, Site.time_zone)
        .join(Site, Site.id == ChargePoint.site_id)
        .options(selectinload(ChargePoint.connectors))
        .where(ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired)
        .order_by(Site.name, ChargePoint.name, ChargePoint.ocpp_id)
    )
    if site_id is not None:
        query = query.where(ChargePoint.site_id == site_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(ChargePoint.ocpp_id).like(pattern), func.lower(ChargePoint.name).like(pattern))
        )
    now = utcnow()
    rows = [
        ChargerRow(cp, name, tz, charger_state(cp, now, heartbeat_seconds), list(cp.connectors))
        for cp, name, tz in (await session.execute(query)).all()
    ]
    return [r for r in rows if r.state == state] if state else rows


def local_midnight(now: datetime, time_zone: str, *, month: bool = False) -> datetime:
    local = now.astimezone(ZoneInfo(time_zone))
    start = local.replace(day=1 if month else local.day, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(ZoneInfo("UTC"))


@dataclass
class Dashboard:
    counts: dict[str, int]
    sessions_today: int
    energy_month_wh: int
    offline: list[ChargerRow]
    faulted: list[ChargerRow]
    orphans: int


async def dashboard(session: AsyncSession, org: Organization, heartbeat_seconds: int) -> Dashboard:
    rows = await charger_rows(session, org.id, heartbeat_seconds)
    counts = {s: 0 for s in STATES}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    now = utcnow()
    day = local_midnight(now, org.time_zone)
    month = local_midnight(now, org.time_zone, month=True)
    sessions_today = await session.scalar(
        select(func.count()).select_from(ChargingSession)
        .where(ChargingSession.organization_id == org.id, ChargingSession.started_at >= day)
    )
    # Running sessions count with what they have delivered so far.
    delivered = func.coalesce(
        ChargingSession.energy_wh,
        ChargingSession.energy_carried_wh + ChargingSession.meter_last_wh - ChargingSession.segment_start_wh,
    )
    energy = await session.scalar(
        select(func.coalesce(func.sum(delivered), 0))
        .where(ChargingSession.organization_id == org.id, ChargingSession.started_at >= month)
    )
    orphans = await session.scalar(
        select(func.count()).select_from(OrphanMessage)
        .join(ChargePoint, ChargePoint.id == OrphanMessage.charge_point_id)
        .where(ChargePoint.organization_id == org.id, OrphanMessage.resolved_at.is_(None))
    )
    return Dashboard(
        counts=counts, sessions_today=int(sessions_today or 0), energy_month_wh=int(energy or 0),
        offline=[r for r in rows if r.state == "offline"], faulted=[r for r in rows if r.state == "faulted"],
        orphans=int(orphans or 0),
    )



@dataclass
class ChargerDetail:
    row: ChargerRow
    active_sessions: list[ChargingSession]
    recent_sessions: list[ChargingSession]
    status_history: list[object]
    commands: list[object]
    notifications: list[object]


async def charger_detail(session: AsyncSession, org_id: uuid.UUID, charger_id: uuid.UUID,
                         heartbeat_seconds: int) -> ChargerDetail:
    from ladeportal.chargers.history_models import ChargerCommand, ChargerNotification, ConnectorStatusEvent
    from ladeportal.chargers.services import get_charge_point
    from ladeportal.sessions.models import SessionState

    cp = await get_charge_point(session, org_id, charger_id)  # NotFound for other tenants' chargers
    site = await session.get(Site, cp.site_id)
    sessions = list((await session.scalars(
        select(ChargingSession)
        .where(ChargingSession.organization_id == org_id, ChargingSession.charge_point_id == cp.id)
        .order_by(ChargingSession.started_at.desc()).limit(20)
    )).all())
    history = list((await session.scalars(
        select(ConnectorStatusEvent).where(ConnectorStatusEvent.charge_point_id == cp.id)
        .order_by(ConnectorStatusEvent.received_at.desc()).limit(20)
    )).all())
    commands = list((await session.scalars(
        select(ChargerCommand).where(ChargerCommand.organization_id == org_id, ChargerCommand.charge_point_id == cp.id)
        .order_by(ChargerCommand.id.desc()).limit(10)
    )).all())
    notifications = list((await session.scalars(
        select(ChargerNotification).where(ChargerNotification.charge_point_id == cp.id)
        .order_by(ChargerNotification.received_at.desc()).limit(10)
    )).all())
    assert site is not None  # charge_points.site_id is a foreign key
    state = charger_state(cp, utcnow(), heartbeat_seconds)
    row = ChargerRow(cp, site.name, site.time_zone, state, list(cp.connectors))
    return ChargerDetail(
        row=row,
        active_sessions=[s for s in sessions if s.state == SessionState.active],
        recent_sessions=[s for s in sessions if s.state != SessionState.active][:10],
        status_history=list(history), commands=list(commands), notifications=list(notifications),
    )
