"""What the guest pages show: the offer at a connector (price first) and a charge as it stands. Reads
only; nothing here names members, other guests or the charger's OCPP identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.base import utcnow
from ladeportal.guests.charges import charging_session
from ladeportal.guests.models import GuestCharge
from ladeportal.guests.places import PublicConnector, hold_minor, not_found, public_connector
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.assignments import resolve_plan_version
from ladeportal.pricing.describe import describe_definition
from ladeportal.sessions.models import SessionState
from ladeportal.sessions.pricing_hook import running_estimate


@dataclass(frozen=True)
class Offer:
    connector: PublicConnector
    price_text: str
    prices_include_vat: bool
    hold_minor: int
    connector_status: str


async def offer(session: AsyncSession, code: str, language: str) -> Offer:
    """The connector's public price in words and the amount held, or NotFound when guests cannot
    charge there (closed, no public price plan)."""
    connector = await public_connector(session, code)
    resolved = await resolve_plan_version(
        session, connector.organization_id, group_id=None, site_id=connector.site_id, started_at=utcnow()
    )
    if resolved is None:
        raise not_found()
    status = await session.scalar(
        select(Connector.status).where(
            Connector.charge_point_id == connector.charge_point_id, Connector.number == connector.connector_number
        )
    )
    return Offer(
        connector=connector,
        price_text=describe_definition(resolved.definition, "nb" if language == "nb" else "en"),
        prices_include_vat=resolved.definition.plan.prices_include_vat,
        hold_minor=await hold_minor(session, connector.organization_id),
        connector_status=status or "Unknown",
    )


@dataclass(frozen=True)
class ChargeView:
    charge: GuestCharge
    charger_name: str
    connector_number: int
    org_name: str
    time_zone: str
    session_active: bool
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int
    cost_so_far_minor: int | None


async def charge_view(session: AsyncSession, row: GuestCharge) -> ChargeView:
    names = (
        await session.execute(
            select(ChargePoint.name, Organization.legal_name, Site.time_zone)
            .join(Site, Site.id == ChargePoint.site_id)
            .join(Organization, Organization.id == ChargePoint.organization_id)
            .where(ChargePoint.id == row.charge_point_id, ChargePoint.organization_id == row.organization_id)
        )
    ).one()
    running = await charging_session(session, row)
    cost: int | None = None
    energy = 0
    if running is not None:
        if running.state == SessionState.active:
            estimate = await running_estimate(session, running)
            energy = estimate.energy_wh
            cost = estimate.breakdown.total if estimate.breakdown is not None else None
        else:
            energy = running.energy_wh or 0
            cost = running.cost_total_minor
    return ChargeView(
        charge=row,
        charger_name=names[0] or row.code,
        connector_number=row.connector_number,
        org_name=names[1],
        time_zone=names[2],
        session_active=running is not None and running.state == SessionState.active,
        started_at=running.started_at if running else None,
        stopped_at=running.stopped_at if running else None,
        energy_wh=energy,
        cost_so_far_minor=cost,
    )
