"""The chargers list: each charger's live state, read as plain rows in two queries.

Reads only: every query filters by the organisation's id first, so a page cannot see another
tenant's rows even if it passes a foreign id. State changes go through the areas' services.

The list is polled every few seconds by every open browser, so it reads tuples, not ORM entities:
hydrating 200 chargers and their connectors as identity-mapped objects cost more than the queries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.chargers.power import live_power
from ladeportal.db.base import utcnow
from ladeportal.i18n import N_
from ladeportal.orgs.models import Site

STATES = ("available", "charging", "occupied", "unavailable", "faulted", "offline", "pending", "unknown")
STATE_LABELS = {
    "available": N_("Available"),
    "charging": N_("Charging"),
    "faulted": N_("Faulted"),
    "offline": N_("Offline"),
    "pending": N_("Pending activation"),
    "unknown": N_("Unknown"),
    "retired": N_("Retired"),
    "occupied": N_("Occupied"),
    "unavailable": N_("Unavailable"),
}
CHARGING = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})
# The only connector status that means a driver can plug in and charge now. Unavailable (set by
# ChangeAvailability Inoperative or reported by the charger), Reserved, Preparing and Finishing are not free.
FREE = "Available"
# A connector's OCPP 1.6 status as the portal names it (the charger's word is kept in the history).
CONNECTOR_LABELS = {
    "Available": N_("Available"),
    "Preparing": N_("Preparing"),
    "Charging": N_("Charging"),
    "SuspendedEV": N_("Paused by the car"),
    "SuspendedEVSE": N_("Paused by the charger"),
    "Finishing": N_("Finishing"),
    "Reserved": N_("Reserved"),
    "Unavailable": N_("Unavailable"),
    "Faulted": N_("Faulted"),
    "Unknown": N_("Unknown"),
}


@dataclass(slots=True)
class ConnectorState:
    number: int
    status: str


@dataclass(slots=True)
class ChargerRow:
    id: uuid.UUID
    ocpp_id: str
    name: str | None
    last_seen_at: datetime | None
    site_name: str
    time_zone: str  # the site's: times are shown as the people on site read their clocks
    state: str
    connectors: list[ConnectorState] = field(default_factory=list)
    power_w: int = 0  # drawn now by its running sessions (chargers/power.py)

    @property
    def label(self) -> str:
        return self.name or self.ocpp_id


def offline_after(heartbeat_seconds: int) -> timedelta:
    # Two missed heartbeats plus a minute of slack: one lost packet on a mobile link is not an outage.
    return timedelta(seconds=2 * heartbeat_seconds + 60)


def state_of(
    commissioning: str,
    last_seen_at: datetime | None,
    statuses: set[str] | frozenset[str],
    now: datetime,
    heartbeat_seconds: int,
) -> str:
    """The one place that decides what a charger's state is called, from its connectors' statuses."""
    if commissioning == CommissioningState.retired:
        return "retired"
    if commissioning == CommissioningState.pending:
        return "pending"
    if last_seen_at is None or now - last_seen_at > offline_after(heartbeat_seconds):
        return "offline"
    if "Faulted" in statuses:
        return "faulted"
    if statuses & CHARGING:
        return "charging"
    if statuses <= {"Unknown"}:
        return "unknown"
    if FREE in statuses:
        return "available"
    if "Unavailable" in statuses and statuses <= {"Unavailable", "Unknown"}:
        return "unavailable"
    return "occupied"


def charger_state(cp: ChargePoint, now: datetime, heartbeat_seconds: int) -> str:
    return state_of(cp.commissioning_state, cp.last_seen_at, {c.status for c in cp.connectors}, now, heartbeat_seconds)


async def charger_rows(
    session: AsyncSession,
    org_id: uuid.UUID,
    heartbeat_seconds: int,
    *,
    site_id: uuid.UUID | None = None,
    state: str | None = None,
    search: str | None = None,
) -> list[ChargerRow]:
    in_org = (ChargePoint.organization_id == org_id, ChargePoint.commissioning_state != CommissioningState.retired)
    query = (
        select(
            ChargePoint.id,
            ChargePoint.ocpp_id,
            ChargePoint.name,
            ChargePoint.last_seen_at,
            ChargePoint.commissioning_state,
            Site.name,
            Site.time_zone,
        )
        .join(Site, Site.id == ChargePoint.site_id)
        .where(*in_org)
        # The label people read, so the order is the same on SQLite and PostgreSQL (NULLs sort apart).
        .order_by(Site.name, func.coalesce(ChargePoint.name, ChargePoint.ocpp_id), ChargePoint.ocpp_id)
    )
    if site_id is not None:
        query = query.where(ChargePoint.site_id == site_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(ChargePoint.ocpp_id).like(pattern), func.lower(ChargePoint.name).like(pattern))
        )
    chargers = (await session.execute(query)).all()
    connectors: dict[uuid.UUID, list[ConnectorState]] = {}
    for cp_id, number, status in (
        await session.execute(
            select(Connector.charge_point_id, Connector.number, Connector.status)
            .join(ChargePoint, ChargePoint.id == Connector.charge_point_id)
            .where(*in_org)
            .order_by(Connector.number)
        )
    ).all():
        connectors.setdefault(cp_id, []).append(ConnectorState(number, status))
    power = await live_power(session, org_id)
    now = utcnow()
    rows = []
    for cp_id, ocpp_id, name, last_seen_at, commissioning, site_name, time_zone in chargers:
        mine = connectors.get(cp_id, [])
        charger = state_of(commissioning, last_seen_at, {c.status for c in mine}, now, heartbeat_seconds)
        if state is None or charger == state:
            rows.append(
                ChargerRow(
                    cp_id, ocpp_id, name, last_seen_at, site_name, time_zone, charger, mine, power.charger(cp_id)
                )
            )
    return rows
